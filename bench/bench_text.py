"""Benchmark the embedded text base studio-tiny-text: brief following, watermark, latency.

    python bench/bench_text.py [--n 300] [--seed 0] [--model PATH] [--watermark-n 100]

Prints, measured on this run: the share of held-out briefs (never drawn in training) whose copy
passes the world's checker, with the model's default decoding (plain and watermarked) and
greedy; the checker on the world's own copy and on copy for another brief; watermark detection
on 100-token watermarked outputs, read with the model as the studio reads a file it identifies
(entropy-aware, name slots put back; also without the model, and under another key), and false
positives on human-written text (CLINC150 queries), the world's own copy and the model's
unwatermarked outputs (under the measurement key and averaged over further keys); and the
wall-clock time of four watermarked copies in one batch.
Targets: >= 90% of briefs followed watermarked, >= 95% detection, <= 1% false positives on human text.
"""

from __future__ import annotations

import argparse
import json
import os
import time


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=None, help="a model folder (default: the embedded studio-tiny-text)")
    p.add_argument("--n", type=int, default=300, help="held-out briefs to score")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--watermark-n", type=int, default=100, help="watermarked 100-token outputs")
    p.add_argument("--human-n", type=int, default=500, help="human and world texts scored for false positives")
    p.add_argument("--keys", type=int, default=20, help="further keys the false-positive rates are averaged over")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    import torch
    from transformers import LogitsProcessorList

    from studio.text import checker, world
    from studio.text.base import TEXT_BASE, load
    from studio.text.build.measure import TEST_KEY, brief_following, latency, watermark_figures
    from studio.text.watermark import Watermark

    torch.set_num_threads(args.threads)
    model, tokenizer = load(args.model or TEXT_BASE)
    mark = Watermark(TEST_KEY, model.config.vocab_size)
    t0 = time.time()
    pairs = [world.sample(i, namespace="bench") for i in range(args.n)]
    res = dict(
        checker_world_copy=checker.pass_rate(pairs),
        checker_mismatched_copy=checker.pass_rate([(b, pairs[(i + 1) % len(pairs)][1]) for i, (b, _) in enumerate(pairs)]),
        default_decoding=brief_following(model, tokenizer, n=args.n, seed=args.seed),
        default_decoding_watermarked=brief_following(model, tokenizer, n=args.n, seed=args.seed,
                                                     logits_processor=LogitsProcessorList([mark.processor()])),
        greedy=brief_following(model, tokenizer, n=args.n, seed=args.seed, do_sample=False, temperature=None,
                               top_k=None, top_p=None),
        watermark=watermark_figures(model, tokenizer, n=args.watermark_n, seed=args.seed, n_human=args.human_n, mark=mark,
                                    other_keys=args.keys),
        latency_4_copies_s=latency(model, tokenizer, mark=mark),
    )
    res["seconds"] = round(time.time() - t0)
    for name in ("default_decoding", "default_decoding_watermarked", "greedy"):
        res[name].pop("examples")
    print(json.dumps(res, indent=2, ensure_ascii=False))
    wm = res["watermark"]
    fp = {k: wm[k]["detected"] for k in ("human_clinc150", "world_copy", "unwatermarked_model", "wrong_key") if k in wm}
    print(f"base: {res['default_decoding']['pass_rate']:.1%} of {args.n} held-out briefs pass the checker "
          f"({res['default_decoding_watermarked']['pass_rate']:.1%} watermarked, {res['greedy']['pass_rate']:.1%} greedy); "
          f"watermark detected on {wm['watermarked']['detected']:.1%} of {wm['watermarked']['n']} 100-token outputs "
          f"({wm['watermarked_without_model']['detected']:.1%} without the model); false positives "
          + ", ".join(f"{k} {v:.1%}" for k, v in fp.items())
          + f"; four copies in {res['latency_4_copies_s']['median']} s")
    return res


if __name__ == "__main__":
    main()
