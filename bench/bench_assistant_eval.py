"""Benchmark: the personal assistant on freelance client messages (issue 13).

Three creators in different fields (`bench/data/assistant_eval/`: a children's-book
illustrator, a voice-over artist, a logo designer), each a knowledge file, and 179 client
messages labelled *answer* (with the figures the reply must state) or *handoff* (with the
kind). Every message is sent through a real `Assistant` in a temporary home, each in a
new conversation, one at a time.

Split, fixed before any tuning: every message of the logo designer (kira) is held out, and
of the other two, those whose text's sha256 starts with a byte below 77 (about 30%).
The policy was tuned on the tune part only; `--failures` lists tune failures, and the
held-out ones only with `--failures held-out`.

    .venv/bin/python bench/bench_assistant_eval.py [--json] [--failures tune|held-out]

Reported per part: answerable messages answered with every expected figure, must-hand-off
messages handed off, replies stating a figure the knowledge file does not (checked here
independently of the guardrails), and reply latency (p50/p95 after a warm-up).
Targets on held-out: >= 90%, 100%, 0, p95 < 50 ms.

Measured with the not-offered check (`studio.assistant.services`), one held-out run on a quiet
2-core machine: held-out 94.1% of 68 answered, 100.0% of 32 handed off, 0 invented figures,
p50 20.0 ms, p95 27.9 ms; tune 100.0% of 53, 96.2% of 26, 0, p50 20.8 ms, p95 24.9 ms.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

import studio  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "assistant_eval"
HELD_OUT_CREATORS = {"kira"}
NAMES = {"lena": "Lena Brightwater", "vox": "Marco Reyes", "kira": "Kira Tanaka"}


def part(row: dict) -> str:
    if row["creator"] in HELD_OUT_CREATORS or hashlib.sha256(row["text"].encode()).digest()[0] < 77:
        return "held-out"
    return "tune"


def has_figure(reply: str, figure: str) -> bool:
    text = reply.lower()
    m = re.fullmatch(r"(\d+) (days?|revisions?)", figure.lower())
    if m:
        n, unit = m.groups()
        if unit.startswith("day"):
            return re.search(rf"\b{n}[\s-]*days?\b", text) is not None
        return re.search(rf"\b{n}\s+(?:rounds? of\s+)?revisions?\b", text) is not None
    return figure.lower() in text


def invented(reply: str, knowledge_text: str) -> list[str]:
    """Numbers in a reply that the knowledge file's text does not contain."""
    known = set(re.findall(r"\d+(?:\.\d+)?", knowledge_text))
    return [n for n in re.findall(r"\d+(?:\.\d+)?", reply.replace(",", "")) if n not in known]


def run(show: str | None) -> dict:
    rows = [json.loads(line) for line in (DATA / "messages.jsonl").read_text().splitlines() if line.strip()]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        st = studio.open(Path(tmp) / "home")
        try:
            assistants = {}
            for handle in sorted({r["creator"] for r in rows}):
                st.add_creator(handle, NAMES[handle], level="level2")
                assistants[handle] = st.assistant(handle)
                assistants[handle].setup(DATA / f"{handle}.yaml")
                for warm in ("hello", "how much is it", "can you do it cheaper"):  # build the index, load the model
                    assistants[handle].reply(warm)
            texts = {h: (DATA / f"{h}.yaml").read_text() for h in assistants}
            for row in rows:
                t = time.perf_counter()
                r = assistants[row["creator"]].reply(row["text"])
                ms = (time.perf_counter() - t) * 1000
                ok_answer = not r.handoff and all(has_figure(r.text, f) for f in row["figures"])
                results.append({**row, "part": part(row), "ms": ms, "handoff": r.handoff, "reply": r.text,
                                "source": r.source, "reason": r.reason,
                                "correct": ok_answer if row["expect"] == "answer" else r.handoff,
                                "invented": [] if r.handoff else invented(r.text, texts[row["creator"]])})
        finally:
            st.close()
    report = {}
    for name in ("tune", "held-out"):
        mine = [x for x in results if x["part"] == name]
        ans = [x for x in mine if x["expect"] == "answer"]
        hand = [x for x in mine if x["expect"] == "handoff"]
        ms = np.array([x["ms"] for x in mine])
        report[name] = {
            "messages": len(mine), "creators": sorted({x["creator"] for x in mine}),
            "answered_with_right_figure": round(sum(x["correct"] for x in ans) / max(1, len(ans)), 4),
            "answerable": len(ans),
            "handed_off": round(sum(x["correct"] for x in hand) / max(1, len(hand)), 4),
            "must_hand_off": len(hand),
            "replies_with_invented_figure": sum(bool(x["invented"]) for x in mine),
            "p50_ms": round(float(np.percentile(ms, 50)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1),
        }
        if show == name:
            report[name]["failures"] = [{k: x[k] for k in ("creator", "text", "expect", "kind", "figures", "reply",
                                                          "source", "reason", "invented")}
                                        for x in mine if not x["correct"] or x["invented"]]
    return report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--failures", choices=["tune", "held-out"], default=None, help="list the failures of one part")
    args = ap.parse_args()
    report = run(args.failures)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for name, d in report.items():
        print(f"{name}: {d['messages']} messages ({', '.join(d['creators'])})")
        print(f"  answerable answered with the right figure {d['answered_with_right_figure']:.1%} of {d['answerable']}"
              f"   (target >= 90%)")
        print(f"  must-hand-off handed off                  {d['handed_off']:.1%} of {d['must_hand_off']}   (target 100%)")
        print(f"  replies stating a figure not in the file  {d['replies_with_invented_figure']}   (target 0)")
        print(f"  reply latency p50 {d['p50_ms']} ms, p95 {d['p95_ms']} ms   (target p95 < 50 ms)")
        for f in d.get("failures", []):
            print(f"    x [{f['creator']}] {f['text']!r} expect {f['expect']} {f['kind']} {f['figures']}\n"
                  f"        -> {f['reply'][:160]!r} ({f['source']}; {f['reason']}) {f['invented'] or ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
