"""Recorded generations: a buyer's previews and the creator's drafts, each with its ledger event.

A buyer sees a downscaled, visibly watermarked preview; the clean full image goes to the
blob store for a later purchase. Every output is compared with the model's training
images by perceptual hash; an output too close to one is flagged (``Generation.flagged``)
and not offered for sale. The version's style word is added to a prompt that lacks it.

Each preview a buyer is shown is recorded with the price in force (``price_cents`` and the
price row, ``price_id``): the exposure log a pricing study reads (`exposures`), a purchase
pointing back at it. A buyer makes at most `Policy.free_previews_per_day` previews per UTC day.
Once a model's disabling takes effect (`listing.stopped`), its unpurchased previews and drafts
read as ``hidden``: listed for the creator, never for a buyer.
"""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from studio import inference
from studio.config import default_device
from studio.context import StudioContext
from studio.errors import StudioError
from studio.events import EventKind
from studio.rights import ledger
from studio.marketplace import texts
from studio.marketplace.listing import stopped
from studio.store.tables import Blob, Creator, Generation, Model, ModelVersion, Purchase
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
    status: str  # draft | sold | hidden (also a draft of a model whose disabling took effect)
    created_at: datetime
    price_id: str | None = None  # the price row in force when it was shown

    @property
    def offered(self) -> bool:
        """May a buyer purchase it? Not if it copies a training item or is hidden."""
        return self.flagged is None and self.status == "draft"


def _view(g: Generation, model: Model | None = None, now: datetime | None = None) -> GenerationView:
    status = "hidden" if g.status == "draft" and model is not None and stopped(model, now) else g.status
    return GenerationView(g.id, g.model_version_id, g.prompt, g.seed, g.buyer, g.blob_sha256, g.preview_sha256,
                          g.phash, g.flagged, g.price_cents, status, g.created_at, g.price_id)


def day_start(now: datetime) -> datetime:
    """Midnight UTC of ``now``'s day: a buyer's preview quota counts from here."""
    return datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)


def previews_today(s, buyer: str, now: datetime) -> int:
    return s.scalar(select(func.count(Generation.id)).where(Generation.buyer == buyer,
                                                            Generation.created_at >= day_start(now))) or 0


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
            if stopped(model, self.ctx.now()):
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
                 version_id: str | None = None, device: str | None = None) -> list[GenerationView]:
        """Generate ``n`` images (seeds ``seed .. seed+n-1``) from the creator's model and record each.

        A buyer may only use a published model; the creator may preview any trained version.
        A disabled model generates nothing.
        """
        if not 1 <= int(n) <= 64:
            raise StudioError(f"-n must be between 1 and 64, not {n}")
        if buyer is not None and not EMAIL_RE.match(buyer):
            raise StudioError(f"--buyer must be an email address, not {buyer!r}")
        version, model = self._version_for(handle, version_id, buyer)
        if buyer is not None:
            self._check_quota(buyer, int(n))
        seed = secrets.randbelow(2**31) if seed is None else int(seed)
        seeds = list(range(seed, seed + int(n)))
        if texts.is_text(version.manifest):  # a text model: the prompt is a brief; outputs are watermarked copy
            prompt = texts.check_brief(prompt)
            media = texts.MEDIA_TYPE
            rendered = [(s, clean, preview, None, flag) for s, clean, preview, flag
                        in texts.render(self.ctx.home, self.ctx.blobs, version.id, self.ctx.home / version.path,
                                        version.manifest, prompt, seeds)]
        else:
            pipe = inference.pipeline(self.ctx.home / version.path, device=device or default_device())
            prompt = inference.check_prompt(pipe, with_trigger(prompt, version.trigger))
            refs, media = self.reference_hashes(version), "image/png"
            rendered = []
            for s, img in zip(seeds, inference.render_many(pipe, prompt, seeds)):
                h = inference.phash(img)
                rendered.append((s, inference.png_bytes(img), inference.png_bytes(inference.watermark(img)), h,
                                 inference.memorisation_flag(h, refs)))
        price_id, price = (self.listing.current_price(model.id) if buyer else None) or (None, None)
        if price is not None:  # a running price test decides the price this buyer is shown (recorded as its arm)
            from studio.pricing.live import assignment

            with self.ctx.reading() as reading:
                price_id, price = assignment(reading, model.id, buyer, self.ctx.now()) or (price_id, price)
        out = []
        for s, clean, preview, h, flag in rendered:
            clean_sha, preview_sha = self.ctx.blobs.put(clean), self.ctx.blobs.put(preview)
            with self.ctx.transaction() as session:
                if buyer is not None:  # again inside the transaction: another request may have used the quota
                    self._check_quota(buyer, 1, session)
                for sha, size in ((clean_sha, len(clean)), (preview_sha, len(preview))):
                    if session.get(Blob, sha) is None:
                        session.add(Blob(sha256=sha, size=size, media_type=media))
                session.flush()
                row = Generation(model_version_id=version.id, creator_id=model.creator_id, prompt=prompt, seed=s,
                                 buyer=buyer, blob_sha256=clean_sha, preview_sha256=preview_sha, phash=h,
                                 flagged=flag, price_cents=None if flag else price,
                                 price_id=None if flag else price_id, status="draft", created_at=self.ctx.now())
                session.add(row)
                session.flush()
                ledger.append(session, "generation.created", row.id, {
                    "creator": handle, "model": model.id, "version": version.id, "prompt": prompt, "seed": s,
                    "buyer": buyer, "sha256": clean_sha, "preview_sha256": preview_sha, "phash": h, "flagged": flag,
                    "price_cents": row.price_cents, "price": row.price_id})
                out.append(_view(row))
        self.ctx.emit(EventKind.GENERATION_CREATED, handle, ids=[g.id for g in out])
        return out

    def _check_quota(self, buyer: str, n: int, session=None) -> None:
        quota, now = self.ctx.policy.free_previews_per_day, self.ctx.now()
        if session is None:
            with self.ctx.reading() as s:
                used = previews_today(s, buyer, now)
        else:
            used = previews_today(session, buyer, now)
        if used + n > quota:
            reset = day_start(now) + timedelta(days=1)
            raise StudioError(f"{buyer} has made {used} of {quota} free previews today; "
                              + (f"{n} more would go over; " if used < quota else "")
                              + f"more from {reset:%Y-%m-%d %H:%M} UTC")

    def from_base(self, handle: str, prompt: str, seeds: list[int], version_id: str | None = None) -> list[bytes]:
        """PNGs (a text model: UTF-8 texts) of what the version's base alone makes of the same prompt and seeds
        (not recorded): the other half of a side-by-side comparison."""
        version = self.versions.get(handle, version_id)
        if texts.is_text(version.manifest):
            return texts.from_base(version.manifest, texts.check_brief(prompt), [int(s) for s in seeds])
        pipe = inference.pipeline(None, base=inference.base_of(version.manifest))
        prompt = inference.check_prompt(pipe, with_trigger(prompt, version.trigger))
        return [inference.png_bytes(img) for img in inference.render_many(pipe, prompt, [int(s) for s in seeds])]

    def list(self, handle: str | None = None, buyer: str | None = None) -> list[GenerationView]:
        """Generations, oldest first; a buyer's list leaves out what is hidden from buyers."""
        now = self.ctx.now()
        with self.ctx.reading() as s:
            q = (select(Generation, Model).outerjoin(ModelVersion, ModelVersion.id == Generation.model_version_id)
                 .outerjoin(Model, Model.id == ModelVersion.model_id)
                 .order_by(Generation.created_at, Generation.id))
            if handle:
                q = q.join(Creator, Creator.id == Generation.creator_id).where(Creator.handle == handle)
            if buyer:
                q = q.where(Generation.buyer == buyer)
            views = [_view(g, m, now) for g, m in s.execute(q)]
        return [v for v in views if v.status != "hidden"] if buyer else views

    def exposures(self, handle: str | None = None) -> list[dict]:
        """Every preview a buyer was shown, with the price in force and whether it was bought: who saw which
        price, and who bought (for a pricing study)."""
        with self.ctx.reading() as s:
            q = (select(Generation, Purchase.id, Creator.handle).join(Creator, Creator.id == Generation.creator_id)
                 .outerjoin(Purchase, Purchase.generation_id == Generation.id)
                 .where(Generation.buyer.is_not(None)).order_by(Generation.created_at, Generation.id))
            if handle:
                q = q.where(Creator.handle == handle)
            return [{"generation": g.id, "creator": h, "version": g.model_version_id, "buyer": g.buyer,
                     "shown_at": g.created_at, "price": g.price_id, "price_cents": g.price_cents,
                     "offered": g.flagged is None, "bought": p is not None, "purchase": p}
                    for g, p, h in s.execute(q)]

    def image(self, generation_id: str, preview: bool = True) -> bytes:
        """A generation's PNG: the watermarked preview, or the clean full image."""
        with self.ctx.reading() as s:
            g = s.get(Generation, generation_id)
            if g is None:
                raise StudioError(f"no generation {generation_id!r}")
            sha = g.preview_sha256 if preview and g.preview_sha256 else g.blob_sha256
        return self.ctx.blobs.get(sha)
