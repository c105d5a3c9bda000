"""Benchmark: the personal assistant on CLINC150 (issue 5).

Treats CLINC150 as a creator's knowledge (train = approved questions per intent,
oos_train = what must be handed off), chooses the confidence threshold on the
validation split, and reports the test split once: in-scope accuracy, out-of-scope
recall and per-reply latency (p50/p95, one query at a time after warm-up, on this CPU).

    .venv/bin/python bench/bench_assistant.py [--clinc DIR] [--json]

Reference (Larson et al. 2019, threshold): BERT 96.2% in-scope, 52.3% oos recall.
Target: >= 93% in-scope, >= 55% oos recall, p95 < 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from studio.assistant import clinc  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clinc", type=Path, default=clinc.DEFAULT_DIR)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    t = time.perf_counter()
    result = clinc.evaluate(args.clinc, progress=lambda m: print(f"  {m}", file=sys.stderr, flush=True))
    result["total_seconds"] = round(time.perf_counter() - t, 1)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    ok = result["in_scope_accuracy"] >= 0.93 and result["oos_recall"] >= 0.55 and result["p95_ms"] < 50
    print(f"CLINC150 test ({result['test_queries']} in-scope, {result['oos_test_queries']} out-of-scope), "
          f"encoder {result['encoder']}, threshold {result['threshold']} chosen on validation")
    print(f"  in-scope accuracy  {result['in_scope_accuracy']:.1%}   (target >= 93%; BERT 96.2%)")
    print(f"  out-of-scope recall {result['oos_recall']:.1%}   (target >= 55%; BERT 52.3%)")
    print(f"  reply latency      p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms   (target p95 < 50 ms)")
    print(f"  validation         in-scope {result['validation']['in_scope_accuracy']:.1%}, "
          f"oos recall {result['validation']['oos_recall']:.1%}")
    print(f"  train {result['train_seconds']} s, total {result['total_seconds']} s -> {'PASS' if ok else 'BELOW TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
