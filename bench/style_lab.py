"""Train a creator's model end to end, as a user does, and measure how well it learned the style.

Shared by ``bench/tune_style.py`` (choosing the training defaults on the tuning portfolios) and
``bench/bench_style.py`` (reporting on portfolios never used to choose them). Every run is a fresh
studio home: add the creator with their style word, add the portfolio folder (images with
same-name captions), ``st.train`` with the given options, then the quality gate.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def run_folder(folder: Path, handle: str, trigger: str, seeds_per_prompt: int = 8, **options) -> dict:
    """Train on a portfolio folder with ``options`` (TrainConfig fields) and score it with the gate."""
    import studio

    with tempfile.TemporaryDirectory(prefix="style-lab-") as tmp:
        st = studio.open(Path(tmp) / "home")
        st.add_creator(handle, handle.title(), "top_rated", plan="creator", style_word=trigger)
        report = st.add_to_portfolio(handle, [folder], consent="own")
        if not report.added:
            raise SystemExit(f"nothing added from {folder}: {report}")
        return _train_and_score(st, handle, seeds_per_prompt, options)


def run_sample(handle: str, seeds_per_prompt: int = 8, images: int = 24, **options) -> dict:
    """The same for a sample creator of ``studio.samples`` (Mira, Juno, Oskar)."""
    import studio
    from studio import samples

    with tempfile.TemporaryDirectory(prefix="style-lab-") as tmp:
        st = studio.open(Path(tmp) / "home")
        samples.seed(st, images=images)
        return _train_and_score(st, handle, seeds_per_prompt, options)


def _train_and_score(st, handle: str, seeds_per_prompt: int, options: dict) -> dict:
    from studio import inference

    t0 = time.perf_counter()
    v = st.train(handle, sample_every=0, checkpoint_every=0, **options)
    seconds = time.perf_counter() - t0
    scores = st.quality_gate(handle, seeds_per_prompt=seeds_per_prompt)
    inference.forget_pipelines()
    st.close()
    return {"train_seconds": round(seconds, 1), "items": len(v.manifest["items"]), "scores": scores,
            "palette_ratio": round(scores["palette_distance_model"] / max(scores["palette_distance_base"], 1e-9), 3),
            "style_ratio": round(scores["style_distance_model"] / max(scores["style_distance_base"], 1e-9), 3),
            "config": {k: v.manifest["config"][k] for k in ("steps", "rank", "lr", "train_text_encoder", "base")
                       if k in v.manifest["config"]}
            | {k: v.manifest["config"].get(k) for k in ("lora_layers", "noise_offset", "timestep_bias", "snr_gamma",
                                                        "seed")},
            "learning_rate": v.manifest.get("metrics", {}).get("learning_rate")}


def line(name: str, r: dict) -> str:
    s = r["scores"]
    pf = ""
    if "prompt_following_model" in s:
        pm, pb = s["prompt_following_model"], s["prompt_following_base"] or {}
        pf = f" | shape {pm['shape_accuracy']:.0%} (base {pb.get('shape_accuracy', 0):.0%})"
    return (f"{name:11s} palette {s['palette_distance_base']:.3f} -> {s['palette_distance_model']:.3f} "
            f"(x{r['palette_ratio']:.2f}) | style {s['style_distance_base']:.2f} -> {s['style_distance_model']:.2f} "
            f"| gate {'PASS' if s['passed'] else 'FAIL'}{pf} | train {r['train_seconds']:.0f} s")
