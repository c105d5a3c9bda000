"""Measurements of a text base: brief following, watermark detection and false positives, latency.

Used by the model card writer (``studio.text.build.card``) and ``bench/bench_text.py``.
Held-out briefs come from the ``briefs`` stream of :func:`studio.text.world.briefs`, which
pretraining never draws from (it uses ``train{seed}`` and ``tokenizer{seed}``).
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections import Counter
from pathlib import Path

from studio.text import checker, world
from studio.text.base import generate
from studio.text.watermark import Watermark, read_text

CLINC = Path(__file__).resolve().parents[4] / "shared" / "data" / "clinc150" / "data_full.json"
TEST_KEY = b"studio-tiny-text measurement key, not a model's secret"
OUTPUT_TOKENS = 100


def brief_following(model, tokenizer, n: int = 300, seed: int = 0, batch: int = 50, logits_processor=None,
                    **settings) -> dict:
    """Generate one copy for each of ``n`` held-out briefs and score them with the checker."""
    briefs = world.briefs(n, seed)
    texts = []
    for start in range(0, n, batch):
        texts += generate(model, tokenizer, briefs[start:start + batch], seed=seed * 1000 + start,
                          logits_processor=logits_processor, **settings)
    results = [checker.check(b, t) for b, t in zip(briefs, texts)]
    by_kind = {k: round(statistics.mean(r.passed for b, r in zip(briefs, results) if b.kind == k), 4)
               for k in world.KINDS if any(b.kind == k for b in briefs)}
    failures = Counter(f for r in results for f in r.failures)
    return dict(n=n, seed=seed, pass_rate=round(statistics.mean(r.passed for r in results), 4), by_kind=by_kind,
                failures=dict(failures.most_common()), settings=settings or "generation_config.json",
                examples=[dict(prompt=world.prompt(b), copy=t, passed=r.passed)
                          for b, t, r in list(zip(briefs, texts, results))[:5]])


def long_outputs(model, tokenizer, n: int, seed: int, logits_processor=None, batch: int = 50,
                 tokens: int = OUTPUT_TOKENS) -> list[str]:
    """``n`` texts of ``tokens`` tokens: copies for consecutive held-out briefs joined by
    blank lines, cut at that many tokens (one copy is 8-50 tokens)."""
    per_output = max(8, tokens // 10)
    briefs = world.briefs(n * per_output, seed, namespace="watermark")
    copies = []
    for start in range(0, len(briefs), batch):
        copies += generate(model, tokenizer, briefs[start:start + batch], seed=seed * 1000 + start,
                           logits_processor=logits_processor)
    outputs = []
    for i in range(n):
        ids = tokenizer("\n\n".join(copies[i * per_output:(i + 1) * per_output]), add_special_tokens=False,
                        verbose=False).input_ids
        outputs.append(tokenizer.decode(ids[:tokens]))
    return outputs


def human_texts(tokenizer, n: int, seed: int = 0, path: Path = CLINC) -> list[str]:
    """``n`` human-written texts of about ``OUTPUT_TOKENS`` tokens: CLINC150 test queries joined as sentences."""
    rows = json.loads(path.read_text())
    queries = [q for q, _ in rows["test"] + rows["oos_test"]]
    random.Random(f"human:{seed}").shuffle(queries)
    texts, cur = [], []
    for q in queries:
        cur.append(q[:1].upper() + q[1:] + ("" if q.endswith("?") else "."))
        if len(tokenizer(" ".join(cur), add_special_tokens=False).input_ids) >= OUTPUT_TOKENS:
            ids = tokenizer(" ".join(cur), add_special_tokens=False).input_ids[:OUTPUT_TOKENS]
            texts.append(tokenizer.decode(ids))
            cur = []
            if len(texts) == n:
                break
    return texts


def world_texts(tokenizer, n: int, seed: int = 0) -> list[str]:
    """``n`` texts of ``OUTPUT_TOKENS`` tokens of the world's own copy (written by the world, no model)."""
    out = []
    for i in range(n):
        copies = [world.sample(i * 8 + j, namespace=f"unmarked{seed}")[1] for j in range(8)]
        ids = tokenizer("\n\n".join(copies), add_special_tokens=False).input_ids[:OUTPUT_TOKENS]
        out.append(tokenizer.decode(ids))
    return out


def watermark_figures(model, tokenizer, n: int = 100, seed: int = 0, n_human: int = 500, mark: Watermark | None = None,
                      lengths: tuple[int, ...] = (50, 200, 400), other_keys: int = 20) -> dict:
    """Detection on ``n`` watermarked 100-token outputs; false positives on text the model did not
    watermark: human text (CLINC150, when present), world copy, and the model's own unwatermarked
    outputs; the watermarked outputs under another model's key.

    Texts are read with the model (entropy-aware, name slots put back: ``read_text(..., model=model)``
    then ``Watermark.score``, which is what ``detect_text(..., model=model)`` does), as the studio
    reads a file it identifies; ``watermarked_without_model`` is the fallback without the model.
    ``over_keys``: the false-positive rates under ``other_keys`` further keys (the same readings):
    the p-value is exact averaged over keys, but templated copy repeats token pairs across texts,
    so one key's rate on such text can sit above or below it."""
    from transformers import LogitsProcessorList

    mark = mark or Watermark(TEST_KEY, model.config.vocab_size)
    procs = LogitsProcessorList([mark.processor()])
    seconds = []

    def read(texts, with_model: bool = True):
        out = []
        for t in texts:
            start = time.perf_counter()
            out.append(read_text(t, tokenizer, model=model if with_model else None))
            if with_model:
                seconds.append(time.perf_counter() - start)
        return out

    def rate(readings, key: Watermark = mark):
        ds = [key.score(r) for r in readings]
        return dict(n=len(ds), detected=round(statistics.mean(d.detected for d in ds), 4),
                    flagged=sum(d.detected for d in ds), median_z=round(statistics.median(d.z for d in ds), 3),
                    median_scored=statistics.median(d.scored for d in ds),
                    median_tokens=statistics.median(d.tokens for d in ds))

    def like(secret: bytes) -> Watermark:
        return Watermark(secret, model.config.vocab_size, gamma=mark.gamma, delta=mark.delta,
                         p_threshold=mark.p_threshold, min_entropy=mark.min_entropy,
                         bias_min_entropy=mark.bias_min_entropy)

    marked_texts = long_outputs(model, tokenizer, n, seed, procs)
    marked, plain = read(marked_texts), read(long_outputs(model, tokenizer, n, seed + 1))
    world_copy = read(world_texts(tokenizer, n_human, seed))
    res = dict(gamma=mark.gamma, delta=mark.delta, bias_min_entropy=mark.bias_min_entropy, p_threshold=mark.p_threshold,
               min_entropy=mark.min_entropy, output_tokens=OUTPUT_TOKENS, watermarked=rate(marked),
               unwatermarked_model=rate(plain), world_copy=rate(world_copy),
               wrong_key=rate(marked, like(b"another model's secret key, for the measurement")))
    nulls = dict(unwatermarked_model=plain, world_copy=world_copy)
    if CLINC.is_file():
        nulls["human_clinc150"] = human = read(human_texts(tokenizer, n_human, seed))
        res["human_clinc150"] = rate(human)
    res["detect_seconds_median"] = round(statistics.median(seconds), 3)  # reading a 100-token text with the model
    keys = [like(f"measurement key {k}".encode()) for k in range(other_keys)]
    res["over_keys"] = {}
    for name, readings in nulls.items() if keys else ():
        rates = [rate(readings, k)["detected"] for k in keys]
        res["over_keys"][name] = dict(keys=len(keys), n=len(readings), mean=round(statistics.mean(rates), 4),
                                      max=max(rates))
    res["watermarked_without_model"] = rate(read(marked_texts, with_model=False))
    for tokens in lengths:  # how detection changes with length (fewer samples: a trend, not a figure)
        res[f"watermarked_{tokens}_tokens"] = rate(read(long_outputs(model, tokenizer, min(n, 40), seed, procs, tokens=tokens)))
    res["example_watermarked"] = marked_texts[0]
    return res


def latency(model, tokenizer, repeats: int = 5, mark: Watermark | None = None) -> dict:
    """Wall-clock seconds to write four copies in one batch (a preview set), watermarked, default decoding."""
    import torch
    from transformers import LogitsProcessorList

    mark = mark or Watermark(TEST_KEY, model.config.vocab_size)
    procs = LogitsProcessorList([mark.processor()])
    briefs = world.briefs(4, 99, namespace="latency")
    generate(model, tokenizer, briefs, logits_processor=procs)
    times = []
    for i in range(repeats):
        t = time.perf_counter()
        generate(model, tokenizer, briefs, seed=i, logits_processor=procs)
        times.append(time.perf_counter() - t)
    return dict(median=round(statistics.median(times), 3), best=round(min(times), 3), repeats=repeats,
                threads=torch.get_num_threads())
