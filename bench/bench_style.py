"""Does a creator's model learn their style? Measured with the training defaults, end to end.

    python bench/bench_style.py [--quick] [--out bench/results/bench_style.json]

- the held-out portfolios of ``style_portfolios.HELD_OUT`` (never used to choose the defaults):
  palette distance of the fine-tuned outputs to the portfolio vs the base's (target: at most
  0.6x for every one) and the quality gate's verdict;
- the sample creators Mira, Juno and Oskar: gate verdict and before/after numbers, and the gate's
  verdict on their own look drawn afresh for the same captions (a sound gate passes it);
- training time of each (target: under 3 minutes for a 24-image portfolio on the 2-core machine).

Nothing is tuned here. ``--quick`` runs one held-out portfolio and one sample creator.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.style_lab import line, run_folder, run_sample  # noqa: E402
from bench.style_portfolios import HELD_OUT, write_portfolio  # noqa: E402


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--out", type=Path, default=None, help="also write the results as JSON")
    args = p.parse_args(argv)

    from studio.models import base_path
    from studio.models.bases import default_base

    from studio.training.config import TrainConfig

    d = TrainConfig()
    print(f"base: {default_base()}; training defaults from studio.training.config.TrainConfig: {d.steps} steps, "
          f"rank {d.rank}, {d.lora_layers}, noise offset {d.noise_offset}, timestep bias {d.timestep_bias}, "
          f"min-SNR gamma {d.snr_gamma}, caption dropout {d.caption_dropout}, generating at guidance "
          f"{d.model_guidance(base_path(default_base()))}")
    results = {}
    portfolios = HELD_OUT[:1] if args.quick else HELD_OUT
    with tempfile.TemporaryDirectory() as tmp:
        for style in portfolios:
            folder = write_portfolio(style, Path(tmp) / style.name)
            results[style.name] = r = run_folder(folder, style.name, style.trigger)
            print(line(style.name, r), flush=True)
    for handle in (["mira"] if args.quick else ["mira", "juno", "oskar"]):
        results[handle] = r = run_sample(handle)
        print(line(handle, r), flush=True)
        im = r["imitation"]
        print(f"{'':11s} their own look drawn afresh for the same captions: palette {im['palette_distance_base']:.3f} -> "
              f"{im['palette_distance_model']:.3f}, style {im['style_distance_base']:.2f} -> "
              f"{im['style_distance_model']:.2f} | gate {'PASS' if im['passed'] else 'FAIL'}", flush=True)

    held = [results[s.name] for s in portfolios]
    worst = max(r["palette_ratio"] for r in held)
    slowest = max(r["train_seconds"] for r in results.values())
    print(f"held-out portfolios: worst palette ratio {worst:.2f} (target <= 0.60: "
          f"{'met' if worst <= 0.6 else 'NOT met'}); gate passed "
          f"{sum(r['scores']['passed'] for r in held)}/{len(held)}")
    print(f"sample creators: gate passed {sum(results[h]['scores']['passed'] for h in results if h in ('mira', 'juno', 'oskar'))}"
          f"/{len([h for h in results if h in ('mira', 'juno', 'oskar')])}; slowest training {slowest:.0f} s "
          f"(target < 180 s: {'met' if slowest < 180 else 'NOT met'})")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1, default=str) + "\n")
    return results


if __name__ == "__main__":
    main()
