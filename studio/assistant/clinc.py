"""CLINC150 as a creator's knowledge: how well does the assistant answer, and hand off?

The 150 intents play approved Q&A pairs: the train split's queries are each intent's
approved questions, and its out-of-scope queries (``oos_train``) are examples of what
must be handed off. The validation split chooses the confidence threshold; the test
split is only reported. A test query is answered correctly when the assistant picks
its intent with confidence at or above the threshold; an out-of-scope test query is
handled correctly when it is handed off (confidence below the threshold).

The data is read from where it lies (``$CLINC150_DIR``, else ``../shared/data/clinc150``
beside the repository, or a directory the user names); nothing is copied into the project. Embeddings are computed in this run
and memoised in this process only.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from studio.errors import StudioError



def default_dir() -> Path:
    """``$CLINC150_DIR``, else ``../shared/data/clinc150`` beside the repository (or the current folder)."""
    if os.environ.get("CLINC150_DIR"):
        return Path(os.environ["CLINC150_DIR"])
    for root in (Path(__file__).resolve().parents[2], Path.cwd()):
        candidate = root.parent / "shared" / "data" / "clinc150"
        if candidate.is_dir():
            return candidate
    return Path("../shared/data/clinc150")


DEFAULT_DIR = default_dir()
_EMB: dict[tuple, np.ndarray] = {}


def load(directory: str | Path) -> dict[str, list[tuple[str, str]]]:
    path = Path(directory) / "data_full.json"
    if not path.is_file():
        raise StudioError(f"no CLINC150 data_full.json in {directory} (see the dataset's README)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise StudioError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    needed = ["train", "val", "test", "oos_train", "oos_val", "oos_test"]
    missing = [k for k in needed if k not in data]
    if missing:
        raise StudioError(f"{path} lacks the split(s) {', '.join(missing)}")
    return {k: [(q, label) for q, label in data[k]] for k in needed}


def subset(data: dict, intents: int | None = None, per_intent: int | None = None, oos: int | None = None) -> dict:
    """A smaller benchmark (first `intents` intents, `per_intent` queries each, `oos` oos queries) for tests."""
    if intents is None and per_intent is None and oos is None:
        return data
    keep = sorted({label for _, label in data["train"]})[:intents] if intents else None
    out = {}
    for split, rows in data.items():
        if split.startswith("oos"):
            out[split] = rows[:oos] if oos else rows
            continue
        seen: dict[str, int] = {}
        out[split] = []
        for q, label in rows:
            if keep is not None and label not in keep:
                continue
            if per_intent and seen.get(label, 0) >= per_intent:
                continue
            seen[label] = seen.get(label, 0) + 1
            out[split].append((q, label))
    return out


def _embed(enc, key: tuple, texts: list[str]) -> np.ndarray:
    if key not in _EMB:
        batch = getattr(enc, "encode_uncached", enc.encode)
        _EMB[key] = batch(texts)
    return _EMB[key]


def evaluate(directory: str | Path = DEFAULT_DIR, encoder_kind: str | None = None, intents: int | None = None,
             per_intent: int | None = None, oos: int | None = None, min_in_scope: float = 0.95,
             progress=None) -> dict:
    """Train on train, choose the threshold on validation, report on test (one query at a time, timed)."""
    from studio.assistant.embed import encoder
    from studio.assistant.matcher import Matcher, choose_threshold

    say = progress or (lambda msg: None)
    data = subset(load(directory), intents, per_intent, oos)
    enc = encoder(encoder_kind)
    tag = (str(Path(directory).resolve()), enc.name, intents, per_intent, oos)

    t0 = time.perf_counter()
    say(f"encoding {len(data['train']) + len(data['oos_train'])} train queries with {enc.name}")
    train_q = [q for q, _ in data["train"]]
    E_train = _embed(enc, tag + ("train",), train_q)
    E_reject = _embed(enc, tag + ("oos_train",), [q for q, _ in data["oos_train"]])
    say("training the linear head")
    matcher = Matcher(enc, mode="linear").fit(train_q, [label for _, label in data["train"]],
                                             [q for q, _ in data["oos_train"]], E_train, E_reject)
    train_s = time.perf_counter() - t0

    say("choosing the threshold on validation")
    val_q = [q for q, _ in data["val"]]
    val = matcher.decide_many(val_q, _embed(enc, tag + ("val",), val_q))
    oos_val_q = [q for q, _ in data["oos_val"]]
    oos_val = matcher.decide_many(oos_val_q, _embed(enc, tag + ("oos_val",), oos_val_q))
    conf = np.array([m.confidence for m in val])
    correct = np.array([m.label == label for m, (_, label) in zip(val, data["val"])])
    reject_conf = np.array([m.confidence for m in oos_val])
    threshold = choose_threshold(conf, correct, reject_conf, min_in_scope)
    val_acc = float(np.mean(correct & (conf >= threshold)))
    val_rec = float(np.mean(reject_conf < threshold)) if len(reject_conf) else 0.0

    say(f"answering {len(data['test']) + len(data['oos_test'])} test queries one at a time")
    for q, _ in data["train"][:20]:  # warm-up: first calls pay for lazy initialisation
        matcher.decide(q)
    times, hits, handed = [], 0, 0
    for q, label in data["test"]:
        t = time.perf_counter()
        m = matcher.decide(q)
        answered = m.confidence >= threshold
        times.append(time.perf_counter() - t)
        hits += answered and m.label == label
    for q, _ in data["oos_test"]:
        t = time.perf_counter()
        m = matcher.decide(q)
        handoff = m.confidence < threshold
        times.append(time.perf_counter() - t)
        handed += handoff
    ms = np.array(times) * 1000
    return {
        "in_scope_accuracy": round(hits / max(1, len(data["test"])), 4),
        "oos_recall": round(handed / max(1, len(data["oos_test"])), 4),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "threshold": round(threshold, 4),
        "validation": {"in_scope_accuracy": round(val_acc, 4), "oos_recall": round(val_rec, 4)},
        "encoder": enc.name,
        "classifier": "softmax head on embedding + tf-idf, oos_train as reject class",
        "intents": len(matcher.labels),
        "test_queries": len(data["test"]),
        "oos_test_queries": len(data["oos_test"]),
        "train_seconds": round(train_s, 1),
        "data": str(Path(directory).resolve()),
    }
