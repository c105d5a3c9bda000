"""Choose the training defaults by measurement, on the tuning portfolios only.

    python bench/tune_style.py [--configs NAME ...] [--out bench/results/tune_style.json]

Each candidate configuration trains one model per portfolio of ``style_portfolios.TUNING`` and is
scored by the quality gate (palette and style distance to the portfolio, base vs fine-tuned, and
prompt following). The held-out portfolios of ``bench/bench_style.py`` are never used here.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.style_lab import line, run_folder  # noqa: E402
from bench.style_portfolios import TUNING, write_portfolio  # noqa: E402

PREVIOUS = dict(steps=300, lora_layers="attention", noise_offset=0.15, snr_gamma=5.0)  # the defaults before grain
CANDIDATES = {
    "attn-300": dict(steps=300, lora_layers="attention"),
    "attn-600": dict(steps=600, lora_layers="attention"),
    "res-300": dict(steps=300, lora_layers="attention+resnets"),
    "res-300-lr1e-3": dict(steps=300, lora_layers="attention+resnets", lr=1e-3),
    "res-300-te": dict(steps=300, lora_layers="attention+resnets", train_text_encoder=True),
    "res-600": dict(steps=600, lora_layers="attention+resnets"),
    "res-600-te": dict(steps=600, lora_layers="attention+resnets", train_text_encoder=True),
    "res-1000": dict(steps=1000, lora_layers="attention+resnets"),
    "res-300-r16": dict(steps=300, lora_layers="attention+resnets", rank=16),
    # issue 10: offset noise (global colour and ground), noisier timesteps, min-SNR weighting
    "attn-300-off05": dict(steps=300, lora_layers="attention", noise_offset=0.05),
    "attn-300-off10": dict(steps=300, lora_layers="attention", noise_offset=0.1),
    "attn-300-off20": dict(steps=300, lora_layers="attention", noise_offset=0.2),
    "res-300-off10": dict(steps=300, lora_layers="attention+resnets", noise_offset=0.1),
    "res-300-off20": dict(steps=300, lora_layers="attention+resnets", noise_offset=0.2),
    "attn-300-off10-bias1": dict(steps=300, lora_layers="attention", noise_offset=0.1, timestep_bias=1.0),
    "attn-300-off10-snr5": dict(steps=300, lora_layers="attention", noise_offset=0.1, snr_gamma=5.0),
    "attn-300-bias1": dict(steps=300, lora_layers="attention", timestep_bias=1.0),
    "attn-300-off15": dict(steps=300, lora_layers="attention", noise_offset=0.15),
    "attn-300-off15-bias1": dict(steps=300, lora_layers="attention", noise_offset=0.15, timestep_bias=1.0),
    "attn-300-off15-snr5": dict(steps=300, lora_layers="attention", noise_offset=0.15, snr_gamma=5.0),
    "attn-300-snr5": dict(steps=300, lora_layers="attention", snr_gamma=5.0),
    "attn-300-off20-snr5": dict(steps=300, lora_layers="attention", noise_offset=0.2, snr_gamma=5.0),
    # issue 10, with the grain the VAE loses fitted and synthesised (TrainConfig.grain, on by default) and the
    # creator's own decoder (TrainConfig.decoder_steps): variations on the previous choice
    "res-300-off15-snr5": {**PREVIOUS, "lora_layers": "attention+resnets"},
    "res-300-off05-snr5": {**PREVIOUS, "lora_layers": "attention+resnets", "noise_offset": 0.05},
    "res-300-off15-snr5-s1": {**PREVIOUS, "lora_layers": "attention+resnets", "seed": 1},
    "attn-300-off15-snr5-dec200": {**PREVIOUS, "decoder_steps": 200},
    "attn-300-off05-snr5-dec200": {**PREVIOUS, "noise_offset": 0.05, "decoder_steps": 200},
    "attn-300-off0-snr5-dec200": {**PREVIOUS, "noise_offset": 0.0, "decoder_steps": 200},
    "attn-300-off15-snr5-dec0": {**PREVIOUS, "decoder_steps": 0},
    "attn-300-off15-snr5-prior1": {**PREVIOUS, "prior_weight": 1.0},
    "attn-300-off15-snr5-prior03": {**PREVIOUS, "prior_weight": 0.3},
    "attn-300-off15-snr5-nograin": {**PREVIOUS, "grain": False},
    # issue 10, second round, on five tuning portfolios (dusk and screen added): the guidance the model generates
    # with (the base's 6 before), and caption dropout (the empty caption trained too)
    **{f"gs{g:g}": {**PREVIOUS, "caption_dropout": 0.0, "guidance_scale": g} for g in (6.0, 4.0, 3.0, 2.0)},
    **{f"cd{round(d * 100)}-gs{g:g}": {**PREVIOUS, "caption_dropout": d, "guidance_scale": g}
       for d in (0.1, 0.2) for g in (4.0, 3.0, 2.0)},
    "cd10-gs2-s1": {**PREVIOUS, "caption_dropout": 0.1, "guidance_scale": 2.0, "seed": 1},
    "cd20-gs2-s1": {**PREVIOUS, "caption_dropout": 0.2, "guidance_scale": 2.0, "seed": 1},
    # variations on that choice (the defaults from here on: caption dropout 0.1, guidance 2)
    "cd10-gs2-500": {**PREVIOUS, "steps": 500},
    "cd10-gs2-res": {**PREVIOUS, "lora_layers": "attention+resnets"},
    "cd10-gs2-r16": {**PREVIOUS, "rank": 16},
    "cd10-gs2-off10": {**PREVIOUS, "noise_offset": 0.1},
    # the same with another seed: how much of a difference is the seed's
    "attn-300-s1": dict(steps=300, lora_layers="attention", seed=1),
    "attn-300-off10-s1": dict(steps=300, lora_layers="attention", noise_offset=0.1, seed=1),
    "attn-300-off15-s1": dict(steps=300, lora_layers="attention", noise_offset=0.15, seed=1),
    "attn-300-off10-bias1-s1": dict(steps=300, lora_layers="attention", noise_offset=0.1, timestep_bias=1.0, seed=1),
    "attn-300-off15-snr5-s1": dict(steps=300, lora_layers="attention", noise_offset=0.15, snr_gamma=5.0, seed=1),
    "attn-300-off10-snr5-s1": dict(steps=300, lora_layers="attention", noise_offset=0.1, snr_gamma=5.0, seed=1),
}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--configs", nargs="*", default=list(CANDIDATES), choices=list(CANDIDATES))
    p.add_argument("--base", default=None, help="default: the training default ($STUDIO_BASE or studio-tiny-v2)")
    p.add_argument("--out", type=Path, default=Path("bench/results/tune_style.json"))
    args = p.parse_args(argv)
    results: dict = json.loads(args.out.read_text()) if args.out.is_file() else {}
    with tempfile.TemporaryDirectory() as tmp:
        folders = {s.name: write_portfolio(s, Path(tmp) / s.name) for s in TUNING}
        for name in args.configs:
            opts = dict(CANDIDATES[name], **({"base": args.base} if args.base else {}))
            runs = {}
            for style in TUNING:
                r = run_folder(folders[style.name], style.name, style.trigger, **opts)
                print(f"[{name}] " + line(style.name, r), flush=True)
                runs[style.name] = r
            ratios = [r["palette_ratio"] for r in runs.values()]
            results[name] = {"options": opts, "runs": runs, "palette_ratio_mean": round(statistics.mean(ratios), 3),
                             "palette_ratio_worst": max(ratios), "all_pass": all(r["scores"]["passed"] for r in runs.values())}
            print(f"[{name}] palette ratio mean {results[name]['palette_ratio_mean']}, worst "
                  f"{results[name]['palette_ratio_worst']}, all pass {results[name]['all_pass']}", flush=True)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(results, indent=1, default=str) + "\n")
    return results


if __name__ == "__main__":
    main()
