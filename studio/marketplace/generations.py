"""Recorded generations: a buyer's previews and the creator's drafts, each with its ledger event.

A buyer sees a downscaled, visibly watermarked preview; the clean full image goes to the
blob store for a later purchase. Every output is compared with the model's training
images by perceptual hash; an output too close to one is flagged (``Generation.flagged``)
and not offered for sale. The version's style word is added to a prompt that lacks it.
"""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from studio import inference
from studio.context import StudioContext
from studio.errors import StudioError
from studio.events import EventKind
from studio.rights import ledger
from studio.store.tables import Blob, Creator, Generation, ModelVersion
from studio.training.data import with_trigger
from studio.training.versions import Versions, VersionView, model_row

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class GenerationView:
    id: str
    model_version_id: str | None
    prompt: str
    seed: int
    buyer: str | None
    sha256: str  # the clean full image
    preview_sha256: str | None
    phash: str | None
    flagged: str | None
    price_cents: int | None
    status: str
    created_at: datetime

    @property
    def offered(self) -> bool:
        """May a buyer purchase it? Not if it copies a training item or is hidden."""
        return self.flagged is None and self.status == "draft"


def _view(g: Generation) -> GenerationView:
    return GenerationView(g.id, g.model_version_id, g.prompt, g.seed, g.buyer, g.blob_sha256, g.preview_sha256,
                          g.phash, g.flagged, g.price_cents, g.status, g.created_at)


class Generations:
    def __init__(self, ctx: StudioContext, versions: Versions, listing):
        self.ctx, self.versions, self.listing = ctx, versions, listing
        self._reference_hashes: dict[str, dict[str, str]] = {}

    def _version_for(self, handle: str, version_id: str | None, buyer: str | None):
        """Which version generates: the published one for buyers, any trained one for the creator."""
        with self.ctx.reading() as s:
            model = model_row(s, self.ctx.creator_row(s, handle))
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

    def reference_hashes(self, version: ModelVersion | VersionView) -> dict[str, str]:
        """Perceptual hashes of the images a model version learnt from (item id -> phash)."""
        from PIL import Image

        if version.id not in self._reference_hashes:
            refs = {}
            for item in version.manifest.get("items", []):
                if item.get("role") == "train" and item["sha256"] in self.ctx.blobs:
                    img = Image.open(io.BytesIO(self.ctx.blobs.get(item["sha256"])))
                    refs[item.get("item_id") or item["sha256"][:12]] = inference.phash(img)
            self._reference_hashes[version.id] = refs
        return self._reference_hashes[version.id]

    def generate(self, handle: str, prompt: str, n: int = 1, seed: int | None = None, buyer: str | None = None,
                 version_id: str | None = None, device: str = "cpu") -> list[GenerationView]:
        """Generate ``n`` images (seeds ``seed .. seed+n-1``) from the creator's model and record each.

        A buyer may only use a published model; the creator may preview any trained version.
        A disabled model generates nothing.
        """
        if not 1 <= int(n) <= 64:
            raise StudioError(f"-n must be between 1 and 64, not {n}")
        if buyer is not None and not EMAIL_RE.match(buyer):
            raise StudioError(f"--buyer must be an email address, not {buyer!r}")
        version, model = self._version_for(handle, version_id, buyer)
        pipe = inference.pipeline(self.ctx.home / version.path, device=device)
        prompt = inference.check_prompt(pipe, with_trigger(prompt, version.trigger))
        seed = secrets.randbelow(2**31) if seed is None else int(seed)
        refs = self.reference_hashes(version)
        price = self.listing.current_price(model.id) if buyer else None
        out = []
        seeds = list(range(seed, seed + int(n)))
        for s, img in zip(seeds, inference.render_many(pipe, prompt, seeds)):
            clean, preview = inference.png_bytes(img), inference.png_bytes(inference.watermark(img))
            h = inference.phash(img)
            flag = inference.memorisation_flag(h, refs)
            clean_sha, preview_sha = self.ctx.blobs.put(clean), self.ctx.blobs.put(preview)
            with self.ctx.transaction() as session:
                for sha, size in ((clean_sha, len(clean)), (preview_sha, len(preview))):
                    if session.get(Blob, sha) is None:
                        session.add(Blob(sha256=sha, size=size, media_type="image/png"))
                session.flush()
                row = Generation(model_version_id=version.id, creator_id=model.creator_id, prompt=prompt, seed=s,
                                 buyer=buyer, blob_sha256=clean_sha, preview_sha256=preview_sha, phash=h,
                                 flagged=flag, price_cents=None if flag else price, status="draft")
                session.add(row)
                session.flush()
                ledger.append(session, "generation.created", row.id, {
                    "creator": handle, "model": model.id, "version": version.id, "prompt": prompt, "seed": s,
                    "buyer": buyer, "sha256": clean_sha, "preview_sha256": preview_sha, "phash": h, "flagged": flag})
                out.append(_view(row))
        self.ctx.emit(EventKind.GENERATION_CREATED, handle, ids=[g.id for g in out])
        return out

    def from_base(self, handle: str, prompt: str, seeds: list[int], version_id: str | None = None) -> list[bytes]:
        """PNGs of what the version's base alone makes of the same prompt and seeds (not recorded):
        the other half of a side-by-side comparison."""
        version = self.versions.get(handle, version_id)
        pipe = inference.pipeline(None, base=inference.base_of(version.manifest))
        prompt = inference.check_prompt(pipe, with_trigger(prompt, version.trigger))
        return [inference.png_bytes(img) for img in inference.render_many(pipe, prompt, [int(s) for s in seeds])]

    def list(self, handle: str | None = None, buyer: str | None = None) -> list[GenerationView]:
        with self.ctx.reading() as s:
            q = select(Generation).order_by(Generation.created_at, Generation.id)
            if handle:
                q = q.join(Creator, Creator.id == Generation.creator_id).where(Creator.handle == handle)
            if buyer:
                q = q.where(Generation.buyer == buyer)
            return [_view(g) for g in s.scalars(q)]

    def image(self, generation_id: str, preview: bool = True) -> bytes:
        """A generation's PNG: the watermarked preview, or the clean full image."""
        with self.ctx.reading() as s:
            g = s.get(Generation, generation_id)
            if g is None:
                raise StudioError(f"no generation {generation_id!r}")
            sha = g.preview_sha256 if preview and g.preview_sha256 else g.blob_sha256
        return self.ctx.blobs.get(sha)
