"""Benchmark the embedded studio-tiny base: prompt following and preview latency.

    python bench/bench_tiny.py [--n 300] [--seed 0] [--model studio-tiny-v2]

Prints the colour and shape accuracy on single-shape prompts (judged by the shapes-world
checker) in three prompt sets: the caption grammar, the same with an unknown word appended,
and the same without the background; the checker's own accuracy on
rendered images, and the wall-clock time of one preview batch of 4 images with
the model's default inference settings. All figures are measured on this run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="studio-tiny-v2")
    p.add_argument("--n", type=int, default=300, help="prompts to score in each prompt set")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--guidance-scale", type=float, default=None)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--repeats", type=int, default=5, help="timed preview batches")
    args = p.parse_args(argv)

    import torch

    from studio.models import load_base, load_defaults
    from studio.models.build.measure import PROMPT_SETS, evaluate_rendered, prompt_following
    from studio.models.checker import Checker

    pipe = load_base(args.model)
    defaults = load_defaults(pipe)
    steps = args.steps or defaults["num_inference_steps"]
    scale = defaults["guidance_scale"] if args.guidance_scale is None else args.guidance_scale
    checker = Checker.load()

    own = evaluate_rendered(checker, n=500, seed=5)
    print(f"checker on rendered images (n={own['n']}): shape {own['shape_accuracy']:.1%}, "
          f"colour {own['color_accuracy']:.1%}, background {own['background_accuracy']:.1%}")

    results = {}
    for variant in PROMPT_SETS:
        t0 = time.time()
        res = results[variant] = prompt_following(pipe, n=args.n, seed=args.seed, num_inference_steps=steps,
                                                  guidance_scale=scale, checker=checker, variant=variant)
        met = res["color_accuracy"] >= 0.9 and res["shape_accuracy"] >= 0.85
        bg = f", background {res['background_accuracy']:.1%}" if res["background_accuracy"] is not None else ""
        print(f"prompt following, {variant} (e.g. {res['example_prompt']!r}; n={res['n']}, {steps} steps, "
              f"guidance {scale}): colour {res['color_accuracy']:.1%}, shape {res['shape_accuracy']:.1%}, "
              f"both {res['both_accuracy']:.1%}{bg} -> target colour >= 90%, shape >= 85% "
              f"{'met' if met else 'NOT met'} [{time.time() - t0:.0f}s]", flush=True)

    prompt = "a red circle on a white background"
    pipe(prompt, num_images_per_prompt=4, num_inference_steps=steps, guidance_scale=scale, height=64, width=64)
    times = []
    for i in range(args.repeats):
        g = torch.Generator().manual_seed(i)
        t0 = time.perf_counter()
        pipe(prompt, num_images_per_prompt=4, num_inference_steps=steps, guidance_scale=scale, generator=g,
             height=64, width=64)
        times.append(time.perf_counter() - t0)
    lat = dict(median=statistics.median(times), best=min(times), threads=torch.get_num_threads())
    print(f"preview latency, 4 images 64x64, {steps} steps: median {lat['median']:.2f}s, "
          f"best {lat['best']:.2f}s over {args.repeats} runs ({lat['threads']} threads)")
    out = dict(checker=own, prompt_following=results, preview_latency_s=lat)
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
