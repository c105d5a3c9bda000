"""The quality gate: are a version's outputs closer to the creator's own work than its base's?

It generates from the held-out captions with the fine-tuned model and with its base, and
measures how close each set of outputs is to the creator's own image for the same caption
in style (ground, grain, outlines, softness, subject size and vividness; content matched) and
in palette (the colours used, wherever they are). A model is publishable only if its outputs are
closer to the portfolio than the base's by more than the seeds' luck, and farther in neither (:func:`passes`). On the embedded base, where the
shapes-world checker applies, it also reports prompt following of both, so a model that learned
the style but forgot the shapes shows it. Text versions (manifest ``"kind": "text"``) are scored by
`studio.quality.text_gate` (style distance to the held-out writing, brief following, memorisation).
"""

from __future__ import annotations

import io

from studio import inference
from studio.context import StudioContext
from studio.errors import StudioError
from studio.events import EventKind
from studio.models import BUILTIN
from studio.quality import text_gate
from studio.quality.metrics import FEATURES, compare_styles, prompt_following
from studio.store.tables import ModelVersion, utcnow
from studio.training.versions import Versions


def passes(scores: dict) -> bool:
    """The rule, on the 95% intervals of (model - base) over resampled seeds (`metrics.compare_styles`):
    the model's outputs are closer to the creator's work than the base's by more than chance in style
    (content matched) or in palette, and farther by more than chance in neither.

    Not "closer in both": a creator who paints in the base's own colours (Oskar's ink, Juno's prints) has
    no palette to learn, and their own work, drawn afresh for the held-out captions, is no closer in
    palette than the base's outputs (measured: DESIGN, "Learning a creator's style"); a gate that refuses
    the creator's own work measures nothing. Prompt following is reported beside it, not part of the
    rule. Scores stored before the intervals were measured are judged by the old rule (closer in both).
    A text version's scores follow the text rule (`studio.quality.text_gate.passes`)."""
    if scores.get("kind") == "text":
        return text_gate.passes(scores)
    if "palette_difference_upper" not in scores:
        return (scores["style_distance_model"] < scores["style_distance_base"]
                and scores["palette_distance_model"] < scores["palette_distance_base"])
    closer = scores["style_difference_upper"] < 0 or scores["palette_difference_upper"] < 0
    farther = scores["style_difference_lower"] > 0 or scores["palette_difference_lower"] > 0
    return closer and not farther


def score_rows(scores: dict) -> list[tuple[str, str]]:
    """The scores as (label, value) lines for a person: what the CLI, the gallery and refusals show.
    Scores written before the palette was measured simply lack those lines."""
    if scores.get("kind") == "text":
        return text_gate.score_rows(scores)
    rows = [("style distance to the portfolio (model / base)",
             f"{scores['style_distance_model']} / {scores['style_distance_base']}")]
    if "palette_distance_model" in scores:
        rows.append(("palette distance to the portfolio (model / base)",
                     f"{scores['palette_distance_model']} / {scores['palette_distance_base']}"))
    for what in ("style", "palette"):
        if f"{what}_difference_upper" in scores:
            rows.append((f"{what} difference, model - base (95% interval over seeds)",
                         f"{scores[f'{what}_difference_lower']} to {scores[f'{what}_difference_upper']}"))
    for who in ("model", "base"):
        pf = scores.get(f"prompt_following_{who}")
        if pf:
            colour = f"colour {pf['color_accuracy']:.0%}, " if "color_accuracy" in pf else ""
            rows.append((f"prompt following, {who} (checker, n={pf['n']})", f"{colour}shape {pf['shape_accuracy']:.0%}"))
    return rows


class QualityGate:
    def __init__(self, ctx: StudioContext, versions: Versions):
        self.ctx, self.versions = ctx, versions

    def score(self, handle: str, version_id: str | None = None, seeds_per_prompt: int = 4,
              max_prompts: int = 8) -> dict:
        """Score a version against its base on held-out captions; store the scores on the version."""
        from PIL import Image

        v = self.versions.get(handle, version_id)
        if v.manifest.get("kind") == "text":  # a text model: its own measures and rule (studio.quality.text_gate)
            return self._store(handle, v, text_gate.score(self.ctx.blobs, v, seeds_per_prompt, max_prompts))
        blobs = self.ctx.blobs
        images = {i["sha256"]: i for i in v.manifest["items"] if i["sha256"] in blobs}
        if not images:
            raise StudioError("the model's training images are no longer in the blob store; cannot score it")

        def load(sha):
            return Image.open(io.BytesIO(blobs.get(sha))).convert("RGB")

        held = [i for i in images.values() if i["role"] == "holdout"][:max_prompts]
        if held:  # each held-out caption, compared with the creator's own image for it
            prompts, source = [i["caption"] for i in held], "held-out captions"
            reference = [[load(i["sha256"])] for i in held]
        else:  # too few items to hold any out: training captions, against the whole portfolio
            prompts = v.manifest.get("sample_prompts", [])[:max_prompts]
            source = "training captions (too few items to hold any out)"
            reference = [[load(sha) for sha in images]] * len(prompts)
        seeds = [10_000 + k for k in range(seeds_per_prompt)]
        model_pipe = inference.pipeline(v.path)
        base_pipe = inference.pipeline(None, base=inference.base_of(v.manifest))
        model_images = [inference.render_many(model_pipe, p, seeds) for p in prompts]
        base_images = [inference.render_many(base_pipe, p, seeds) for p in prompts]
        portfolio = [load(sha) for sha in images]  # the palette is the whole portfolio's
        scores = compare_styles(base_images, model_images, reference, portfolio)
        scores.update(prompts=len(prompts), images=len(prompts) * len(seeds), prompt_source=source,
                      reference_images=len(held) or len(images), features=list(FEATURES))
        jobs = [p for p in prompts for _ in seeds]
        if inference.base_of(v.manifest) in BUILTIN:  # the checker knows only the embedded base's world
            pf_model = prompt_following([i for g in model_images for i in g], jobs)
            if pf_model is not None:
                scores["prompt_following_model"] = pf_model
                scores["prompt_following_base"] = prompt_following([i for g in base_images for i in g], jobs)
        return self._store(handle, v, scores)

    def _store(self, handle: str, v, scores: dict) -> dict:
        """Record scores on the version (with the rule's verdict and when they were measured)."""
        scores["passed"] = passes(scores)
        scores["measured_at"] = utcnow().isoformat(timespec="seconds")
        with self.ctx.transaction() as s:
            s.get(ModelVersion, v.id).scores = scores
        self.ctx.emit(EventKind.MODEL_SCORED, handle, version=v.id)
        return scores
