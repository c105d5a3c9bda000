"""`Studio`: one open studio home. Every action a UI offers is one call here.

A widget, the CLI, the Gradio app and a test all drive these same methods.
Listeners registered with `subscribe` hear about each committed change, so a
panel can refresh without holding business state of its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from studio.config import DEFAULT_POLICY, LEVELS, Policy, default_db_url, default_home
from studio.errors import StudioError
from studio.portfolio import Accepted, Candidate, Consent, IntakeReport, Rejection, collect, validate
from studio.rights import ledger
from studio.store import BlobStore, make_engine, make_sessionmaker, migrate
from studio.store.tables import Blob, ConsentRecord, Creator, PortfolioItem, utcnow

HANDLE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,62}$")


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


class Studio:
    """An open studio home: database, blob store and policy."""

    def __init__(self, home: Path | str | None = None, db_url: str | None = None, policy: Policy = DEFAULT_POLICY):
        self.home = Path(home) if home is not None else default_home()
        self.home.mkdir(parents=True, exist_ok=True)
        self.db_url = db_url or default_db_url(self.home)
        self.policy = policy
        self.engine = make_engine(self.db_url)
        self.schema_found, self.schema_version = migrate(self.engine)
        self._sessions = make_sessionmaker(self.engine)
        self.blobs = BlobStore(self.home / "blobs")
        self._listeners: list[Callable[[str, dict], None]] = []

    def __repr__(self) -> str:
        return f"Studio(home={str(self.home)!r})"

    def close(self) -> None:
        self.engine.dispose()

    # --- plumbing ---------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: the change and its ledger event commit together or not at all."""
        with self._sessions.begin() as session:
            yield session

    def subscribe(self, listener: Callable[[str, dict], None]) -> Callable[[], None]:
        """Call `listener(kind, info)` after each committed change; returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _notify(self, kind: str, info: dict) -> None:
        for listener in list(self._listeners):
            listener(kind, info)

    # --- creators -----------------------------------------------------------------------

    def add_creator(self, handle: str, name: str, level: str = "new", plan: str = "free") -> Creator:
        if not HANDLE_RE.match(handle or ""):
            raise StudioError(f"handle {handle!r} must be 2-63 lowercase letters, digits, '-' or '_'")
        if level not in LEVELS:
            raise StudioError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
        if plan not in self.policy.plans:
            raise StudioError(f"plan must be one of {', '.join(self.policy.plans)}, not {plan!r}")
        if not (name or "").strip():
            raise StudioError("a creator needs a name")
        with self.transaction() as s:
            if s.scalar(select(Creator).where(Creator.handle == handle)):
                raise StudioError(f"a creator with handle {handle!r} already exists")
            creator = Creator(handle=handle, name=name.strip(), level=level, vetted=self.policy.is_vetted(level),
                              plan=plan, plan_cents=self.policy.plans[plan])
            s.add(creator)
            s.flush()
            ledger.append(s, "creator.added", creator.id, {"handle": handle, "level": level, "vetted": creator.vetted})
        self._notify("creator.added", {"handle": handle})
        return creator

    def creator(self, handle: str) -> Creator:
        with self._sessions() as s:
            return self._creator(s, handle)

    def _creator(self, s: Session, handle: str) -> Creator:
        creator = s.scalar(select(Creator).where(Creator.handle == handle))
        if creator is None:
            raise StudioError(f"no creator with handle {handle!r} (add one with `studio creator add`)")
        return creator

    def creators(self) -> list[Creator]:
        with self._sessions() as s:
            return list(s.scalars(select(Creator).order_by(Creator.handle)))

    def require_vetted(self, handle: str) -> Creator:
        """The creator, if policy lets them train and publish a model."""
        creator = self.creator(handle)
        if not self.policy.is_vetted(creator.level):
            allowed = ", ".join(sorted(self.policy.vetted_levels))
            raise StudioError(f"creator {handle!r} is level {creator.level}; only {allowed} creators may create models")
        return creator

    # --- portfolio ----------------------------------------------------------------------

    def add_to_portfolio(self, handle: str, paths: list[Path | str], consent: str | Consent = "own") -> IntakeReport:
        """Ingest files and folders (images with captions, text); see `studio.portfolio`."""
        candidates, rejected = collect([Path(p) for p in paths], self.policy)
        return self._ingest(handle, candidates, consent, rejected)

    def add_upload(self, handle: str, files: list[tuple[str, bytes]], consent: str | Consent = "own") -> IntakeReport:
        """Ingest in-memory uploads (file name, bytes), e.g. from a FileUpload widget."""
        return self._ingest(handle, [Candidate(name, bytes(data)) for name, data in files], consent, [])

    def _ingest(self, handle: str, candidates: list[Candidate], consent: str | Consent, rejected: list[Rejection]) -> IntakeReport:
        consent = consent if isinstance(consent, Consent) else Consent.parse(consent)
        creator = self.creator(handle)
        report = IntakeReport(rejected=list(rejected))
        for candidate in candidates:
            result = validate(candidate, self.policy)
            if isinstance(result, Rejection):
                report.rejected.append(result)
                continue
            added, duplicate = self._store_item(creator, result, consent)
            (report.duplicates if duplicate else report.added).append(added)
        if report.added:
            self._notify("portfolio.changed", {"handle": handle})
        return report

    def _store_item(self, creator: Creator, item: Accepted, consent: Consent) -> tuple[dict, bool]:
        # The blob is written first: a crash after it leaves an unreferenced file, never a
        # row pointing at nothing. Rows and the ledger event commit together.
        sha = self.blobs.put(item.data)
        with self.transaction() as s:
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

    def portfolio(self, handle: str, include_revoked: bool = True) -> list[ItemView]:
        with self._sessions() as s:
            creator = self._creator(s, handle)
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
        return [v for v in self.portfolio(handle, include_revoked=False)]

    def _own_item(self, s: Session, handle: str, item_id: str) -> PortfolioItem:
        creator = self._creator(s, handle)
        item = s.get(PortfolioItem, item_id)
        if item is None or item.creator_id != creator.id:
            raise StudioError(f"{handle!r} has no portfolio item {item_id!r}")
        return item

    def revoke(self, handle: str, item_id: str, reason: str | None = None) -> ItemView:
        """Withdraw consent for an item: it is excluded from all future training."""
        with self.transaction() as s:
            item = self._own_item(s, handle, item_id)
            record = s.get(ConsentRecord, item.consent_id)
            if record.revoked_at is not None:
                raise StudioError(f"consent for {item_id} was already revoked on {record.revoked_at:%Y-%m-%d}")
            record.revoked_at = utcnow()
            record.revoke_reason = reason
            ledger.append(s, "consent.revoked", item.id, {
                "creator": handle, "item": item.id, "consent": record.id, "reason": reason})
        self._notify("portfolio.changed", {"handle": handle})
        return next(v for v in self.portfolio(handle) if v.id == item_id)

    def set_consent(self, handle: str, item_id: str, consent: str | Consent) -> ItemView:
        """Record a new consent basis for an item (e.g. the client's reference arrived)."""
        consent = consent if isinstance(consent, Consent) else Consent.parse(consent)
        with self.transaction() as s:
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
        self._notify("portfolio.changed", {"handle": handle})
        return next(v for v in self.portfolio(handle) if v.id == item_id)

    def thumbnail(self, sha256: str, size: int = 128) -> bytes:
        """A PNG thumbnail of an image blob, for panels and previews."""
        import io

        from PIL import Image

        img = Image.open(io.BytesIO(self.blobs.get(sha256)))
        img.thumbnail((size, size))
        buf = io.BytesIO()
        img.convert("RGBA" if img.mode in ("RGBA", "LA", "P") else "RGB").save(buf, format="PNG")
        return buf.getvalue()

    # --- rights ---------------------------------------------------------------------------

    def verify_ledger(self) -> ledger.Verification:
        with self._sessions() as s:
            return ledger.verify(s)

    def ledger_events(self, subject: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        with self._sessions() as s:
            return [
                {"seq": e.seq, "id": e.id, "kind": e.kind, "subject": e.subject, "created_at": e.created_at,
                 "payload": json.loads(e.payload), "hash": e.hash}
                for e in ledger.events(s, subject, kind)
            ]

    # --- creation models ----------------------------------------------------------------------
    # Thin calls into studio.training, studio.generation and studio.marketplace (issue 3).

    def train(self, handle: str, *, on_event=None, cancel=None, resume: bool = False, **options):
        """Train the creator's next model version on their consented images; returns the version
        (a `marketplace.VersionView`), or None if `cancel` stopped it (resume with resume=True).

        `options` are `studio.training.TrainConfig` fields: steps, rank, lr, batch_size, trigger, base...
        A sample creator's trigger word is used when none is given.
        """
        from studio import marketplace
        from studio.samples import SAMPLE_CREATORS
        from studio.training import TrainConfig, data, default_base, lora

        self.require_vetted(handle)
        options.setdefault("base", default_base())
        if options.get("trigger") is None:
            options["trigger"] = next((c.trigger for c in SAMPLE_CREATORS if c.handle == handle), None)
        options.setdefault("name", f"{handle}-style")
        config = TrainConfig(**options)
        examples = data.from_studio(self, handle, config.trigger)
        out = (marketplace.unfinished_run(self, handle) if resume else None) or marketplace.next_version_dir(self, handle)
        result = lora.train(config, examples, out, on_event=on_event, cancel=cancel, resume=resume, creator=handle)
        if result["status"] != "done" or not result["main"]:  # under `accelerate launch`, one process records
            return None
        return marketplace.record_version(self, handle, out, result["manifest"])

    def models(self, handle: str) -> list:
        """The creator's model versions, oldest first."""
        from studio import marketplace

        return marketplace.versions(self, handle)

    def model_version(self, handle: str, version_id: str | None = None):
        """A version by id (or number), else the newest."""
        from studio import marketplace

        return marketplace.version(self, handle, version_id)

    def quality_gate(self, handle: str, version_id: str | None = None, **kw) -> dict:
        """Score a version's outputs against the base's (style distance to the portfolio); stored on it."""
        from studio import marketplace

        return marketplace.quality_gate(self, handle, version_id, **kw)

    def publish(self, handle: str, version_id: str | None = None, price_cents: int | None = None):
        from studio import marketplace

        return marketplace.publish(self, handle, version_id, price_cents)

    def set_price(self, handle: str, cents: int) -> int:
        from studio import marketplace

        return marketplace.set_price(self, handle, cents)

    def price(self, handle: str) -> int | None:
        """The model's current price in cents (None if never priced)."""
        from studio import marketplace

        found = marketplace.versions(self, handle)
        return marketplace.current_price(self, found[0].model_id) if found else None

    def disable_model(self, handle: str, reason: str | None = None) -> dict:
        from studio import marketplace

        return marketplace.disable(self, handle, reason)

    def generate(self, handle: str, prompt: str, n: int = 1, seed: int | None = None, buyer: str | None = None,
                 version_id: str | None = None) -> list:
        """Generate and record `n` images (seeds seed..seed+n-1); buyers get watermarked previews."""
        from studio import generation

        return generation.generate(self, handle, prompt, n, seed, buyer, version_id)

    def generations(self, handle: str | None = None, buyer: str | None = None) -> list:
        from studio import generation

        return generation.generations(self, handle, buyer)

    def image(self, generation_id: str, preview: bool = True) -> bytes:
        """A generation's PNG: the watermarked preview, or the clean full image."""
        found = [g for g in self.generations() if g.id == generation_id]
        if not found:
            raise StudioError(f"no generation {generation_id!r}")
        g = found[0]
        return self.blobs.get(g.preview_sha256 if preview and g.preview_sha256 else g.sha256)
