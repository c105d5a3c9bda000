"""Creation models on the marketplace: versions, the quality gate, publishing, prices, disabling.

Each change commits together with its ledger event (model.trained, model.published,
price.changed, model.disabled) in one transaction. Money is integer cents.

The quality gate generates from the held-out captions with the fine-tuned model and
with its base, and measures how close each set of outputs is to the creator's own
image for the same caption in style (colour and texture statistics; content matched). A model is publishable only if
its outputs are closer to the portfolio than the base's. Where the shapes-world
checker applies (studio-tiny captions) it also reports prompt following.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from studio.errors import StudioError
from studio.rights import ledger
from studio.store.tables import Creator, Generation, Model, ModelVersion, Price, utcnow


@dataclass(frozen=True)
class VersionView:
    id: str
    model_id: str
    handle: str
    number: int
    status: str  # trained | published | retired
    model_status: str  # draft | published | disabled
    path: Path  # the model folder (absolute)
    base_model: str
    trigger: str | None
    scores: dict[str, Any] | None
    metrics: dict[str, Any]
    manifest: dict[str, Any]
    created_at: datetime
    published_at: datetime | None

    @property
    def gate_passed(self) -> bool:
        return bool(self.scores and self.scores.get("passed"))


def _view(st, v: ModelVersion, m: Model, handle: str) -> VersionView:
    return VersionView(v.id, m.id, handle, v.number, v.status, m.status, (st.home / v.path).resolve(), v.base_model,
                       v.trigger, v.scores, v.manifest.get("metrics", {}), v.manifest, v.created_at, v.published_at)


def _model(s, creator: Creator) -> Model | None:
    return s.scalar(select(Model).where(Model.creator_id == creator.id).order_by(Model.created_at))


# --- versions ----------------------------------------------------------------------------------


def next_version_dir(st, handle: str) -> Path:
    """``HOME/models/HANDLE/vN``: the folder the next training run writes to."""
    root = st.home / "models" / handle
    taken = [int(p.name[1:]) for p in root.glob("v*") if p.name[1:].isdigit()] if root.is_dir() else []
    with st.transaction() as s:
        creator = st._creator(s, handle)
        model = _model(s, creator)
        recorded = s.scalar(select(func.max(ModelVersion.number)).where(ModelVersion.model_id == model.id)) if model else None
    return root / f"v{max(taken + [recorded or 0]) + 1}"


def unfinished_run(st, handle: str) -> Path | None:
    """The newest version folder that has checkpoints but no recorded model (a killed run)."""
    root = st.home / "models" / handle
    if not root.is_dir():
        return None
    with st.transaction() as s:
        recorded = set(s.scalars(select(ModelVersion.path)))
    for p in sorted((p for p in root.glob("v*") if p.name[1:].isdigit()), key=lambda p: -int(p.name[1:])):
        rel = p.relative_to(st.home).as_posix()
        if rel not in recorded and any(p.glob("checkpoint-*/state.json")):
            return p
    return None


def record_version(st, handle: str, folder: Path, manifest: dict) -> VersionView:
    """Record a finished training run as the creator's next model version (event model.trained)."""
    weights = (Path(folder) / "pytorch_lora_weights.safetensors").read_bytes()
    with st.transaction() as s:
        creator = st._creator(s, handle)
        model = _model(s, creator)
        if model is None:
            model = Model(creator_id=creator.id, name=f"{creator.name} style")
            s.add(model)
            s.flush()
        number = (s.scalar(select(func.max(ModelVersion.number)).where(ModelVersion.model_id == model.id)) or 0) + 1
        v = ModelVersion(model_id=model.id, number=number, base_model=manifest["base"]["name"],
                         base_sha256=manifest["base"]["sha256"], path=Path(folder).relative_to(st.home).as_posix(),
                         trigger=manifest["config"].get("trigger"), manifest=manifest, status="trained")
        s.add(v)
        s.flush()
        ledger.append(s, "model.trained", v.id, {
            "creator": handle, "model": model.id, "version": v.id, "number": number,
            "base": manifest["base"]["name"], "base_sha256": manifest["base"]["sha256"],
            "weights_sha256": hashlib.sha256(weights).hexdigest(),
            "items": [{"item": i["item_id"], "sha256": i["sha256"], "consent": i["consent_id"], "role": i["role"]}
                      for i in manifest["items"]],
            "steps": manifest["metrics"]["steps"], "seed": manifest["seed"]})
        view = _view(st, v, model, handle)
    st._notify("model.trained", {"handle": handle, "version": view.id})
    return view


def versions(st, handle: str) -> list[VersionView]:
    with st.transaction() as s:
        creator = st._creator(s, handle)
        rows = s.execute(select(ModelVersion, Model).join(Model, Model.id == ModelVersion.model_id)
                         .where(Model.creator_id == creator.id).order_by(ModelVersion.number)).all()
        return [_view(st, v, m, handle) for v, m in rows]


def version(st, handle: str, version_id: str | None = None) -> VersionView:
    """A version by id, else the creator's newest one."""
    found = versions(st, handle)
    if not found:
        raise StudioError(f"{handle!r} has no trained model yet (train one with `studio train {handle}`)")
    if version_id is None:
        return found[-1]
    for v in found:
        if v.id == version_id or str(v.number) == str(version_id).lstrip("v"):
            return v
    raise StudioError(f"{handle!r} has no model version {version_id!r}")


def version_for_generation(st, handle: str, version_id: str | None, buyer: str | None):
    """Which version generates: the published one for buyers, any trained one for the creator."""
    with st.transaction() as s:
        creator = st._creator(s, handle)
        model = _model(s, creator)
        if model is None:
            raise StudioError(f"{handle!r} has no trained model yet (train one with `studio train {handle}`)")
        if model.status == "disabled":
            raise StudioError(f"{handle}'s model is disabled: it makes no new generations")
        q = select(ModelVersion).where(ModelVersion.model_id == model.id)
        if version_id is not None:
            v = s.scalar(q.where(ModelVersion.id == version_id))
            if v is None:
                raise StudioError(f"{handle!r} has no model version {version_id!r}")
        elif buyer is not None:
            v = s.scalar(q.where(ModelVersion.status == "published"))
        else:
            v = s.scalar(q.order_by(ModelVersion.number.desc()))
        if buyer is not None and (v is None or v.status != "published"):
            raise StudioError(f"{handle}'s model is not published yet; buyers can only use published models")
        s.expunge_all()
        return v, model


# --- the quality gate -----------------------------------------------------------------------------

FEATURES = ("red", "green", "blue", "red_sd", "green_sd", "blue_sd", "saturation", "brightness",
            "edges", "fine_texture", "edge_density")


def style_features(img) -> list[float]:
    """Colour and texture statistics of one image, each roughly in [0, 1]."""
    import numpy as np

    rgb = np.asarray(img.convert("RGB").resize((64, 64)), dtype=np.float64) / 255.0
    mx, mn = rgb.max(axis=2), rgb.min(axis=2)
    sat = np.where(mx > 0, (mx - mn) / np.maximum(mx, 1e-6), 0.0)
    grey = rgb @ np.array([0.299, 0.587, 0.114])
    gx, gy = np.abs(np.diff(grey, axis=1)), np.abs(np.diff(grey, axis=0))
    grad = (gx[:-1, :] + gy[:, :-1]) / 2
    lap = np.abs(4 * grey[1:-1, 1:-1] - grey[:-2, 1:-1] - grey[2:, 1:-1] - grey[1:-1, :-2] - grey[1:-1, 2:])
    return [*rgb.mean(axis=(0, 1)), *rgb.std(axis=(0, 1)), float(sat.mean()), float(mx.mean()),
            float(grad.mean()), float(lap.mean()), float((grad > 0.1).mean())]


def _groups(images) -> list[list]:
    """A flat list of images is one group; a list of lists is several (one per prompt)."""
    images = list(images)
    return images if images and isinstance(images[0], (list, tuple)) else [images]


def style_distance(images, reference, scale=None) -> float:
    """How far a set of images is from a reference set in style: the distance between their mean
    feature vectors, each feature divided by ``scale`` (default: the reference's spread)."""
    import numpy as np

    a = np.array([style_features(i) for i in images])
    r = np.array([style_features(i) for i in reference])
    scale = np.asarray(scale) if scale is not None else r.std(axis=0) + 0.02
    return float(np.sqrt(np.mean(((a.mean(axis=0) - r.mean(axis=0)) / scale) ** 2)))


def compare_styles(base_images, model_images, reference) -> dict:
    """Style distances of the base's and the model's outputs to the reference, on one common scale
    (the spread of all images together).

    Each argument is a list of images, or a list of groups: then group k of the outputs is compared
    with group k of the reference (the outputs for one held-out caption with the creator's own image
    for that caption, so that content is matched and only style differs), and distances are averaged.
    """
    import numpy as np

    base_g, model_g, ref_g = _groups(base_images), _groups(model_images), _groups(reference)
    every = [i for g in base_g + model_g + ref_g for i in g]
    scale = np.array([style_features(i) for i in every]).std(axis=0) + 0.02

    def mean_distance(groups):
        return float(np.mean([style_distance(g, r, scale) for g, r in zip(groups, ref_g)]))

    return {"style_distance_base": round(mean_distance(base_g), 4),
            "style_distance_model": round(mean_distance(model_g), 4)}


def prompt_following(images, prompts, trigger: str | None) -> dict | None:
    """Checker accuracy on single-shape shapes-world prompts, when the checker is installed."""
    from studio.models import checker, world

    if not (checker.CHECKER_DIR / checker.WEIGHTS).is_file():
        return None
    wanted = []
    for img, prompt in zip(images, prompts):
        text = prompt.replace(f", {trigger}", "").strip() if trigger else prompt
        try:
            objects, _bg = world.parse_caption(text)
        except ValueError:
            continue
        if len(objects) == 1:
            wanted.append((img, *objects[0]))
    if not wanted:
        return None
    preds = checker.Checker.load()([w[0] for w in wanted])
    color = sum(p["color"] == c for p, (_, c, _s) in zip(preds, wanted)) / len(wanted)
    shape = sum(p["shape"] == sh for p, (_, _c, sh) in zip(preds, wanted)) / len(wanted)
    return {"n": len(wanted), "color_accuracy": round(color, 4), "shape_accuracy": round(shape, 4)}


def quality_gate(st, handle: str, version_id: str | None = None, seeds_per_prompt: int = 4,
                 max_prompts: int = 8) -> dict:
    """Score a version against its base on held-out captions; store the scores on the version."""
    from PIL import Image

    from studio import generation

    v = version(st, handle, version_id)
    images = {i["sha256"]: i for i in v.manifest["items"] if i["sha256"] in st.blobs}
    if not images:
        raise StudioError("the model's training images are no longer in the blob store; cannot score it")

    def load(sha):
        return Image.open(io.BytesIO(st.blobs.get(sha))).convert("RGB")

    held = [i for i in images.values() if i["role"] == "holdout"][:max_prompts]
    if held:  # each held-out caption, compared with the creator's own image for it
        prompts, source = [i["caption"] for i in held], "held-out captions"
        reference = [[load(i["sha256"])] for i in held]
    else:  # too few items to hold any out: training captions, against the whole portfolio
        prompts = v.manifest.get("sample_prompts", [])[:max_prompts]
        source = "training captions (too few items to hold any out)"
        reference = [[load(sha) for sha in images]] * len(prompts)
    seeds = [10_000 + k for k in range(seeds_per_prompt)]
    model_pipe = generation.pipeline(v.path)
    base_pipe = generation.pipeline(None, base=generation.base_of(v.manifest))
    model_images = [generation.render_many(model_pipe, p, seeds) for p in prompts]
    base_images = [generation.render_many(base_pipe, p, seeds) for p in prompts]
    scores = compare_styles(base_images, model_images, reference)
    scores.update(prompts=len(prompts), images=len(prompts) * len(seeds), prompt_source=source,
                  reference_images=len(held) or len(images), features=list(FEATURES))
    jobs = [(p, s) for p in prompts for s in seeds]
    model_images = [i for g in model_images for i in g]
    base_images = [i for g in base_images for i in g]
    pf_model = prompt_following(model_images, [p for p, _ in jobs], v.trigger)
    if pf_model is not None:
        scores["prompt_following_model"] = pf_model
        scores["prompt_following_base"] = prompt_following(base_images, [p for p, _ in jobs], v.trigger)
    scores["passed"] = scores["style_distance_model"] < scores["style_distance_base"]
    scores["measured_at"] = utcnow().isoformat(timespec="seconds")
    with st.transaction() as s:
        s.get(ModelVersion, v.id).scores = scores
    st._notify("model.scored", {"handle": handle, "version": v.id})
    return scores


# --- publishing, prices, disabling ------------------------------------------------------------------


def _check_cents(cents) -> int:
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise StudioError(f"a price is a whole number of cents, not {cents!r}")
    if cents < 0:
        raise StudioError(f"a price cannot be negative ({cents} cents)")
    return cents


def current_price(st, model_id: str) -> int | None:
    with st.transaction() as s:
        row = s.scalar(select(Price).where(Price.model_id == model_id)
                       .order_by(Price.effective_at.desc(), Price.id.desc()))
        return row.cents if row else None


def _set_price(s, model: Model, handle: str, cents: int) -> None:
    old = s.scalar(select(Price).where(Price.model_id == model.id).order_by(Price.effective_at.desc(), Price.id.desc()))
    row = Price(model_id=model.id, cents=cents)
    s.add(row)
    s.flush()
    ledger.append(s, "price.changed", model.id, {"creator": handle, "model": model.id, "price": row.id,
                                                 "cents": cents, "previous_cents": old.cents if old else None,
                                                 "currency": row.currency})


def publish(st, handle: str, version_id: str | None = None, price_cents: int | None = None) -> VersionView:
    """Offer a version to buyers. Refused unless the creator is vetted and the version passed the gate."""
    st.require_vetted(handle)
    if price_cents is not None:
        _check_cents(price_cents)
    v = version(st, handle, version_id)
    if v.scores is None:
        raise StudioError(f"version {v.number} has no quality scores yet; run the quality gate "
                          f"(`studio model gate {handle}`) before publishing")
    if not v.gate_passed:
        raise StudioError(
            f"version {v.number} did not pass the quality gate: its outputs are no closer to {handle}'s portfolio "
            f"than the base model's (style distance {v.scores['style_distance_model']} vs base "
            f"{v.scores['style_distance_base']}); train longer or on more items")
    with st.transaction() as s:
        model = s.get(Model, v.model_id)
        if model.status == "disabled":
            raise StudioError(f"{handle}'s model is disabled and cannot be published")
        for other in s.scalars(select(ModelVersion).where(ModelVersion.model_id == model.id,
                                                          ModelVersion.status == "published")):
            other.status = "retired"
        row = s.get(ModelVersion, v.id)
        row.status, row.published_at = "published", utcnow()
        model.status = "published"
        ledger.append(s, "model.published", row.id, {"creator": handle, "model": model.id, "version": row.id,
                                                      "number": row.number, "scores": v.scores})
        if price_cents is not None:
            _set_price(s, model, handle, price_cents)
    st._notify("model.published", {"handle": handle, "version": v.id})
    return version(st, handle, v.id)


def set_price(st, handle: str, cents: int) -> int:
    _check_cents(cents)
    with st.transaction() as s:
        model = _model(s, st._creator(s, handle))
        if model is None:
            raise StudioError(f"{handle!r} has no model to price yet")
        _set_price(s, model, handle, cents)
    st._notify("price.changed", {"handle": handle, "cents": cents})
    return cents


def disable(st, handle: str, reason: str | None = None) -> dict:
    """Stop the model: no new generations; unpurchased drafts become visible to the creator only."""
    with st.transaction() as s:
        model = _model(s, st._creator(s, handle))
        if model is None:
            raise StudioError(f"{handle!r} has no model to disable")
        if model.status == "disabled":
            raise StudioError(f"{handle}'s model is already disabled")
        model.status, model.disabled_at = "disabled", utcnow()
        hidden = 0
        for g in s.scalars(select(Generation).where(Generation.creator_id == model.creator_id,
                                                    Generation.status == "draft")):
            g.status = "hidden"
            hidden += 1
        ledger.append(s, "model.disabled", model.id, {"creator": handle, "model": model.id, "reason": reason,
                                                      "drafts_hidden": hidden})
    st._notify("model.disabled", {"handle": handle})
    return {"model": model.id, "drafts_hidden": hidden}
