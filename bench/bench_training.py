"""Benchmark LoRA training, the quality gate and previews on a sample creator.

    python bench/bench_training.py [--handle mira] [--steps 300] [--base studio-tiny] [--images 24]

Prints, all measured on this run in a fresh temporary studio home:
- training time for the sample creator's model (its ~24-image portfolio from `studio samples`);
- steps/s with and without the latent cache (30 steps each);
- style distance to the creator's portfolio, base vs fine-tuned, on held-out captions
  (and the shapes-world checker's prompt following, where it applies);
- preview latency: 4 images from the fine-tuned model, pipeline already loaded, and the first
  request (which loads it).
If the shipped studio-tiny weights are not there yet, it runs on a random tiny base and says so:
then only the timings mean anything.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--handle", default="mira", choices=["mira", "oskar", "juno"])
    p.add_argument("--base", default=None, help="default: $STUDIO_BASE or studio-tiny")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--images", type=int, default=24)
    p.add_argument("--lr", type=float, default=None, help="default: the training default for the base")
    p.add_argument("--rank", type=int, default=8)
    p.add_argument("--repeats", type=int, default=3, help="timed preview batches")
    p.add_argument("--skip-speed", action="store_true", help="skip the cache on/off steps/s comparison")
    args = p.parse_args(argv)

    import studio
    from studio import inference, samples
    from studio.models.bases import default_base, resolve_base
    from studio.training import TrainConfig, data, lora
    from studio.errors import StudioError

    tmp = Path(tempfile.mkdtemp(prefix="bench-training-"))
    base = args.base or default_base()
    random_base = False
    try:
        resolve_base(base)
    except StudioError:
        from tests.tiny_random import make_random_base

        print(f"NOTE: base {base!r} is not available yet; using a RANDOM tiny base: timings only, "
              "style and prompt-following numbers are meaningless")
        base, random_base = str(make_random_base(tmp / "random-base", small=False)), True
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f} (shared: figures are upper bounds)")

    st = studio.open(tmp / "home")
    samples.seed(st, images=args.images)
    n_items = len(st.training_items(args.handle))

    # 1. steps/s with and without the latent cache (same data, 30 steps each)
    examples = data.from_items(args.handle, st.training_items(args.handle), st.blobs, st.creator(args.handle).style_word)
    rates = {}
    for cached in (() if args.skip_speed else (True, False)):
        cfg = TrainConfig(base=base, steps=30, rank=args.rank, lr=args.lr, sample_every=0, checkpoint_every=0,
                          cache_latents=cached)
        r = lora.train(cfg, examples, tmp / f"speed-{cached}")
        rates[cached] = r["manifest"]["metrics"]["steps_per_s"]
    if rates:
        print(f"steps/s, batch 4: with the latent cache {rates[True]:.2f}, re-encoding every step {rates[False]:.2f} "
              f"({rates[True] / rates[False]:.2f}x)")

    # 2. the sample creator's model, end to end as `studio train HANDLE` does it
    t0 = time.perf_counter()
    v = st.train(args.handle, base=base, steps=args.steps, rank=args.rank, lr=args.lr, sample_every=0,
                 checkpoint_every=100)
    wall = time.perf_counter() - t0
    m = v.metrics
    print(f"training {args.handle} ({n_items} items, {sum(i['role'] == 'train' for i in v.manifest['items'])} trained on): "
          f"{args.steps} steps in {wall:.1f} s wall ({m['seconds']:.1f} s in the loop, {m['steps_per_s']} steps/s, "
          f"encode {m['encode_seconds']} s), final loss {m['final_loss']}")

    # 3. the quality gate: style distance to the portfolio, base vs fine-tuned
    t0 = time.perf_counter()
    s = st.quality_gate(args.handle, seeds_per_prompt=4)
    print(f"style distance to {args.handle}'s portfolio ({s['images']} images, {s['prompts']} {s['prompt_source']}): "
          f"base {s['style_distance_base']}, fine-tuned {s['style_distance_model']} -> "
          f"{'closer' if s['passed'] else 'NOT closer'} ({time.perf_counter() - t0:.1f} s)")
    if "prompt_following_model" in s:
        pm, pb = s["prompt_following_model"], s["prompt_following_base"]
        print(f"prompt following (checker, n={pm['n']}): colour {pm['color_accuracy']:.0%} vs base "
              f"{pb['color_accuracy']:.0%}, shape {pm['shape_accuracy']:.0%} vs base {pb['shape_accuracy']:.0%}")

    # 4. preview latency
    inference.forget_pipelines()
    prompt = (v.manifest["holdout_captions"] or v.manifest["sample_prompts"])[0]
    t0 = time.perf_counter()
    st.generate(args.handle, prompt, n=1, seed=0)
    first = time.perf_counter() - t0
    times = []
    for i in range(args.repeats):
        t0 = time.perf_counter()
        st.generate(args.handle, prompt, n=4, seed=100 + 4 * i)
        times.append(time.perf_counter() - t0)
    print(f"preview latency: 4 images (generate + watermark + phash + record) median {statistics.median(times):.2f} s, "
          f"best {min(times):.2f} s; first request incl. loading the pipeline {first:.2f} s")
    return {"rates": rates, "train_seconds": wall, "scores": s, "preview_s": statistics.median(times),
            "random_base": random_base}


if __name__ == "__main__":
    main()
