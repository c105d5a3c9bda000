"""A creator's portfolio: the items their model may learn from, each with its consent record.

Invariant: an item is trained on only while its consent record is active; revoking or
replacing consent is a ledger event written in the same transaction as the change, and
so is a caption the creator edits (`set_caption`). Files are validated by
`studio.portfolio.intake` before anything is stored.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from studio.context import StudioContext
from studio.errors import StudioError
from studio.events import EventKind
from studio.portfolio.intake import Accepted, Candidate, Consent, IntakeReport, Rejection, collect, expand, validate
from studio.rights import ledger
from studio.store.tables import Blob, ConsentRecord, Creator, PortfolioItem, utcnow


@dataclass(frozen=True)
class ItemView:
    """A portfolio item as a user sees it: what it is and whether it may be trained on."""

    id: str
    kind: str
    source: str
    caption: str | None
    sha256: str
    width: int | None
    height: int | None
    note: str | None
    consent_id: str
    consent: str  # "own" or "client:REF"
    revoked_at: datetime | None
    added_at: datetime

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Portfolio:
    def __init__(self, ctx: StudioContext):
        self.ctx = ctx

    def add(self, handle: str, paths: list[Path | str], consent: str | Consent = "own") -> IntakeReport:
        """Ingest files and folders (images with captions, text); see `studio.portfolio.intake`."""
        candidates, rejected = collect([Path(p) for p in paths], self.ctx.policy)
        return self._ingest(handle, candidates, consent, rejected)

    def add_upload(self, handle: str, files: list[tuple[str, bytes]], consent: str | Consent = "own") -> IntakeReport:
        """Ingest in-memory uploads (file name, bytes), e.g. from a FileUpload widget."""
        return self._ingest(handle, [Candidate.from_bytes(name, data) for name, data in files], consent, [])

    def _ingest(self, handle: str, candidates: list[Candidate], consent: str | Consent, rejected: list[Rejection]) -> IntakeReport:
        consent = consent if isinstance(consent, Consent) else Consent.parse(consent)
        with self.ctx.reading() as s:
            creator = self.ctx.creator_row(s, handle)
        report = IntakeReport(rejected=list(rejected))
        # read, check and store one file at a time (a writing-samples file one line at a time): memory stays
        # one file's worth
        for candidate in expand(candidates, self.ctx.policy):
            result = validate(candidate, self.ctx.policy)
            if isinstance(result, Rejection):
                report.rejected.append(result)
                continue
            added, duplicate = self._store_item(creator, result, consent)
            (report.duplicates if duplicate else report.added).append(added)
            del result
        if report.added:
            self.ctx.emit(EventKind.PORTFOLIO_CHANGED, handle)
        return report

    def _store_item(self, creator: Creator, item: Accepted, consent: Consent) -> tuple[dict, bool]:
        # The blob is written first: a crash after it leaves an unreferenced file, never a
        # row pointing at nothing. Rows and the ledger event commit together.
        sha = self.ctx.blobs.put(item.data)
        with self.ctx.transaction() as s:
            existing = s.scalar(select(PortfolioItem).where(
                PortfolioItem.creator_id == creator.id, PortfolioItem.blob_sha256 == sha))
            if existing is not None:
                return {"file": item.name, "item": existing.id, "sha256": sha}, True
            if s.get(Blob, sha) is None:
                s.add(Blob(sha256=sha, size=len(item.data), media_type=item.media_type))
            record = ConsentRecord(creator_id=creator.id, basis=consent.basis, reference=consent.reference)
            s.add(record)
            s.flush()
            row = PortfolioItem(creator_id=creator.id, blob_sha256=sha, kind=item.kind, caption=item.caption,
                                source=item.name, width=item.width, height=item.height, note=item.note,
                                consent_id=record.id)
            s.add(row)
            s.flush()
            ledger.append(s, "consent.given", row.id, {
                "creator": creator.handle, "item": row.id, "sha256": sha, "consent": record.id,
                "basis": consent.basis, "reference": consent.reference})
        info = {"file": item.name, "item": row.id, "sha256": sha, "kind": item.kind, "consent": str(consent)}
        if item.note:
            info["note"] = item.note
        return info, False

    def items(self, handle: str, include_revoked: bool = True) -> list[ItemView]:
        with self.ctx.reading() as s:
            creator = self.ctx.creator_row(s, handle)
            rows = s.execute(
                select(PortfolioItem, ConsentRecord)
                .join(ConsentRecord, PortfolioItem.consent_id == ConsentRecord.id)
                .where(PortfolioItem.creator_id == creator.id)
                .order_by(PortfolioItem.added_at, PortfolioItem.id)
            ).all()
        views = [
            ItemView(i.id, i.kind, i.source, i.caption, i.blob_sha256, i.width, i.height, i.note, c.id,
                     c.basis if c.reference is None else f"{c.basis}:{c.reference}", c.revoked_at, i.added_at)
            for i, c in rows
        ]
        return views if include_revoked else [v for v in views if v.active]

    def training_items(self, handle: str) -> list[ItemView]:
        """Items the creator's model may learn from: active consent only."""
        return [v for v in self.items(handle, include_revoked=False)]

    def _own_item(self, s: Session, handle: str, item_id: str) -> PortfolioItem:
        creator = self.ctx.creator_row(s, handle)
        item = s.get(PortfolioItem, item_id)
        if item is None or item.creator_id != creator.id:
            raise StudioError(f"{handle!r} has no portfolio item {item_id!r}")
        return item

    def revoke(self, handle: str, item_id: str, reason: str | None = None) -> ItemView:
        """Withdraw consent for an item: it is excluded from all future training."""
        with self.ctx.transaction() as s:
            item = self._own_item(s, handle, item_id)
            record = s.get(ConsentRecord, item.consent_id)
            if record.revoked_at is not None:
                raise StudioError(f"consent for {item_id} was already revoked on {record.revoked_at:%Y-%m-%d}")
            record.revoked_at = utcnow()
            record.revoke_reason = reason
            ledger.append(s, "consent.revoked", item.id, {
                "creator": handle, "item": item.id, "consent": record.id, "reason": reason})
        self.ctx.emit(EventKind.PORTFOLIO_CHANGED, handle)
        return next(v for v in self.items(handle) if v.id == item_id)

    def set_consent(self, handle: str, item_id: str, consent: str | Consent) -> ItemView:
        """Record a new consent basis for an item (e.g. the client's reference arrived)."""
        consent = consent if isinstance(consent, Consent) else Consent.parse(consent)
        with self.ctx.transaction() as s:
            item = self._own_item(s, handle, item_id)
            old = s.get(ConsentRecord, item.consent_id)
            if old.revoked_at is None:
                old.revoked_at, old.revoke_reason = utcnow(), f"replaced by {consent}"
            record = ConsentRecord(creator_id=item.creator_id, basis=consent.basis, reference=consent.reference)
            s.add(record)
            s.flush()
            item.consent_id = record.id
            ledger.append(s, "consent.given", item.id, {
                "creator": handle, "item": item.id, "sha256": item.blob_sha256, "consent": record.id,
                "basis": consent.basis, "reference": consent.reference, "replaces": old.id})
        self.ctx.emit(EventKind.PORTFOLIO_CHANGED, handle)
        return next(v for v in self.items(handle) if v.id == item_id)

    def set_caption(self, handle: str, item_id: str, text: str | None) -> ItemView:
        """Write the caption of an image item as the creator typed it (surrounding space stripped, line
        breaks made spaces; empty clears it), with a ``portfolio.captioned`` event naming its sha256."""
        caption = " ".join((text or "").split()) or None
        limit = self.ctx.policy.max_caption_chars
        if caption is not None and len(caption) > limit:
            raise StudioError(f"caption is {len(caption)} characters, over the limit of {limit}; nothing was changed")
        with self.ctx.transaction() as s:
            item = self._own_item(s, handle, item_id)
            if item.kind != "image":
                raise StudioError(f"{item_id} is a {item.kind} item: only images have captions")
            changed = item.caption != caption
            if changed:  # saving the same text again is no event
                item.caption = caption
                ledger.append(s, "portfolio.captioned", item.id, {
                    "creator": handle, "item": item.id, "caption_sha256": caption_sha256(caption)})
        if changed:
            self.ctx.emit(EventKind.PORTFOLIO_CHANGED, handle)
        return next(v for v in self.items(handle) if v.id == item_id)

    def suggest_captions(self, handle: str, base: str | None = None) -> list[tuple[ItemView, str]]:
        """Captions for the creator's image items (active consent) whose caption is missing or names no shape
        the embedded base knows, from `studio.models.captioner`; nothing is written.

        Only for an embedded shapes base (``base``, by default the one new models train on: $STUDIO_BASE
        or the newest embedded base): a real base such as Stable Diffusion 1.5 learns from ordinary
        captions, and the captioner knows only the shapes world, so it returns [] then. Items the
        captioner cannot read are left out.
        """
        from PIL import Image

        from studio.models import BUILTIN, captioner
        from studio.models.bases import default_base

        if str(base or default_base()) not in BUILTIN:
            return []
        out = []
        for v in self.items(handle, include_revoked=False):
            if v.kind != "image" or captioner.readable(v.caption):
                continue
            text = captioner.describe(Image.open(io.BytesIO(self.ctx.blobs.get(v.sha256))))
            if text is not None:
                out.append((v, text))
        return out

    def thumbnail(self, sha256: str, size: int = 128) -> bytes:
        """A PNG thumbnail of an image blob, for panels and previews."""
        from PIL import Image

        img = Image.open(io.BytesIO(self.ctx.blobs.get(sha256)))
        img.thumbnail((size, size))
        buf = io.BytesIO()
        img.convert("RGBA" if img.mode in ("RGBA", "LA", "P") else "RGB").save(buf, format="PNG")
        return buf.getvalue()


def caption_sha256(caption: str | None) -> str | None:
    """What the ledger records of a caption: its UTF-8 sha256 (the text stays in the database only)."""
    return None if caption is None else hashlib.sha256(caption.encode("utf-8")).hexdigest()
