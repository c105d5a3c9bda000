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
        result = _train_and_score(st, handle, seeds_per_prompt, options)
        st.close()
        return result


def run_sample(handle: str, seeds_per_prompt: int = 8, images: int = 24, **options) -> dict:
    """The same for a sample creator of ``studio.samples`` (Mira, Juno, Oskar)."""
    import studio
    from studio import samples

    with tempfile.TemporaryDirectory(prefix="style-lab-") as tmp:
        st = studio.open(Path(tmp) / "home")
        samples.seed(st, images=images)
        result = _train_and_score(st, handle, seeds_per_prompt, options)
        creator = next(c for c in samples.SAMPLE_CREATORS if c.handle == handle)
        result["imitation"] = imitation_scores(st, handle, creator.style, seeds_per_prompt)
        st.close()
        return result


def imitation_scores(st, handle: str, style: str, seeds_per_prompt: int = 8) -> dict:
    """The gate's measures and verdict for a perfect imitation: the creator's own look (``world.STYLES[style]``)
    drawn afresh by the shapes world for the newest version's held-out captions, in place of the model's
    outputs. A sound gate passes it; with ``passed`` False, the gate asks for more than the creator's own work."""
    import io

    from PIL import Image

    from studio import inference
    from studio.models import world
    from studio.quality.gate import passes
    from studio.quality.metrics import compare_styles

    v = st.model_version(handle)
    load = lambda sha: Image.open(io.BytesIO(st.context.blobs.get(sha))).convert("RGB")  # noqa: E731
    held = [i for i in v.manifest["items"] if i["role"] == "holdout"][:8]  # as the gate takes them
    seeds = [10_000 + k for k in range(seeds_per_prompt)]
    base = inference.pipeline(None, base=inference.base_of(v.manifest))
    base_images = [inference.render_many(base, i["caption"], seeds) for i in held]
    own = [[world.render(777 + s, world.STYLES[style], objects=objects, background=bg)[0] for s in seeds]
           for objects, bg in (world.read_caption(i["caption"]) for i in held)]
    scores = compare_styles(base_images, own, [[load(i["sha256"])] for i in held],
                            [load(i["sha256"]) for i in v.manifest["items"]])
    inference.forget_pipelines()
    return {**scores, "passed": passes(scores)}


def _train_and_score(st, handle: str, seeds_per_prompt: int, options: dict) -> dict:
    from studio import inference

    t0 = time.perf_counter()
    v = st.train(handle, sample_every=0, checkpoint_every=0, **options)
    seconds = time.perf_counter() - t0
    scores = st.quality_gate(handle, seeds_per_prompt=seeds_per_prompt)
    inference.forget_pipelines()
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
    if "palette_difference_upper" in s:  # the gate's 95% intervals of (model - base)
        pf += (f" | model - base: style [{s['style_difference_lower']:+.2f}, {s['style_difference_upper']:+.2f}], "
               f"palette [{s['palette_difference_lower']:+.3f}, {s['palette_difference_upper']:+.3f}]")
    return (f"{name:11s} palette {s['palette_distance_base']:.3f} -> {s['palette_distance_model']:.3f} "
            f"(x{r['palette_ratio']:.2f}) | style {s['style_distance_base']:.2f} -> {s['style_distance_model']:.2f} "
            f"| gate {'PASS' if s['passed'] else 'FAIL'}{pf} | train {r['train_seconds']:.0f} s")
