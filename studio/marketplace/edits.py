"""Edit jobs: a buyer hires the human creator to finish an AI draft by hand.

The buyer a preview was made for asks for an edit of it, with a note (`request`): the job opens
for the model's creator with the draft, its prompt and seed attached. The creator quotes a price
(`quote`), the buyer accepts it (`accept`), and the creator delivers a file (`deliver`); the
creator may decline a job that is open or quoted (`decline`). Each step checks the job's state
and says why when it is the wrong one, then writes the new status, the time it was reached and
its ledger event (``edit.requested``, ``edit.quoted``, ``edit.accepted``, ``edit.delivered``,
``edit.declined``) in one transaction; the audit replays them against the table.

    open --quote--> quoted --accept--> accepted --deliver--> delivered
    open, quoted --decline--> declined

Refused, with nothing written: a creator's draft (not a buyer's preview), someone else's preview,
one the memorisation guard flagged, one whose model's disabling took effect, and a second job on
a preview while one is under way.

The delivered file is re-encoded as PNG (whatever the creator's file carried is dropped) and
signed with C2PA by the home's chain: the AI draft (the generation's clean image) is its
``parentOf`` ingredient, opened by ``c2pa.opened``, and the creator's work is ``c2pa.edited``
(`studio.rights.provenance.edit_manifest_parts`). The signed bytes are kept as a blob; the buyer
gets them with `download`. The note's text stays on the row; the ledger records its sha256.
Payment for an edit is not collected through the studio yet: the accepted quote is recorded.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import and_, select

from studio.context import StudioContext
from studio.errors import StudioError
from studio.events import EventKind
from studio.marketplace import licences
from studio.marketplace.listing import stopped
from studio.money import dollars
from studio.rights import ledger
from studio.store.blobs import sha256_bytes
from studio.store.tables import Blob, Creator, EditRequest, Generation, Model, ModelVersion, iso

MAX_NOTE_CHARS = 2_000
ACTIVE = ("open", "quoted", "accepted")


def note_sha256(note: str) -> str:
    return hashlib.sha256(note.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class EditView:
    id: str
    generation_id: str
    creator: str
    buyer: str
    note: str
    status: str  # open | quoted | accepted | delivered | declined
    quote_cents: int | None
    prompt: str  # the draft's
    seed: int
    draft_sha256: str  # the generation's clean image
    model_version_id: str | None
    created_at: datetime
    quoted_at: datetime | None
    accepted_at: datetime | None
    delivered_at: datetime | None
    declined_at: datetime | None
    reason: str | None
    delivered_sha256: str | None
    files: tuple[str, ...] = ()  # written by `download`

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        quote = f", quoted {dollars(self.quote_cents)}" if self.quote_cents is not None else ""
        why = f" ({self.reason})" if self.reason else ""
        return (f"{self.id}  {self.status}{quote}{why}: {self.buyer} asks {self.creator} to finish "
                f"{self.generation_id} (prompt {self.prompt!r}, seed {self.seed}): {self.note}")


def _read_image(source: bytes | str | Path, policy) -> bytes:
    """The creator's file as a clean PNG: size checked before a byte is read, pixels before they are decoded."""
    from PIL import Image, UnidentifiedImageError

    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise StudioError(f"no file {path}")
        if path.stat().st_size > policy.max_image_bytes:
            raise StudioError(f"{path.name} is larger than {policy.max_image_bytes} bytes")
        data = path.read_bytes()
    if len(data) > policy.max_image_bytes:
        raise StudioError(f"the file is larger than {policy.max_image_bytes} bytes")
    try:
        img = Image.open(io.BytesIO(data))
        if img.width * img.height > policy.max_image_pixels:
            raise StudioError(f"the image has more than {policy.max_image_pixels} pixels")
        img.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise StudioError(f"the delivered file is not an image this studio can read ({exc})") from None
    buf = io.BytesIO()
    img.convert("RGBA" if img.mode in ("RGBA", "LA", "P") else "RGB").save(buf, format="PNG")
    return buf.getvalue()


def _read_text(source: bytes | str | Path, policy) -> bytes:
    """The creator's finished text for a text draft: size checked before it is read, UTF-8, not empty."""
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise StudioError(f"no file {path}")
        if path.stat().st_size > policy.max_text_bytes:
            raise StudioError(f"{path.name} is larger than {policy.max_text_bytes} bytes")
        data = path.read_bytes()
    if len(data) > policy.max_text_bytes:
        raise StudioError(f"the file is larger than {policy.max_text_bytes} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise StudioError("the delivered file is not UTF-8 text: the draft is a text, so the edit is one too") from None
    if "\x00" in text or not text.strip():
        raise StudioError("the delivered file is empty or binary: the draft is a text, so the edit is one too")
    return data


class Edits:
    def __init__(self, ctx: StudioContext, purchases):
        self.ctx, self.purchases = ctx, purchases  # purchases: the home's C2PA chain

    # --- reading ---------------------------------------------------------------------------------

    def _rows(self, s, where=None):
        q = (select(EditRequest, Generation, Creator.handle).join(Generation, Generation.id == EditRequest.generation_id)
             .join(Creator, Creator.id == Generation.creator_id).order_by(EditRequest.created_at, EditRequest.id))
        return s.execute(q if where is None else q.where(where)).all()

    @staticmethod
    def _view(e: EditRequest, g: Generation, handle: str, files: tuple[str, ...] = ()) -> EditView:
        return EditView(e.id, e.generation_id, handle, e.buyer, e.message, e.status, e.quote_cents, g.prompt, g.seed,
                        g.blob_sha256, g.model_version_id, e.created_at, e.quoted_at, e.accepted_at, e.delivered_at,
                        e.declined_at, e.reason, e.delivered_sha256, files)

    def get(self, job_id: str) -> EditView:
        with self.ctx.reading() as s:
            found = self._rows(s, EditRequest.id == job_id)
        if not found:
            raise StudioError(f"no edit job {job_id!r}")
        return self._view(*found[0])

    def list(self, handle: str | None = None, buyer: str | None = None) -> list[EditView]:
        """Edit jobs, oldest first: a creator's (``handle``), a buyer's, or all."""
        with self.ctx.reading() as s:
            where = []
            if handle:
                where.append(Creator.handle == handle)
            if buyer:
                where.append(EditRequest.buyer == buyer)
            rows = self._rows(s, and_(*where) if where else None)
        return [self._view(*r) for r in rows]

    def _job(self, s, job_id: str, wanted: tuple[str, ...], becomes: str) -> tuple[EditRequest, Generation, str]:
        """The job in session ``s`` (under the ledger's lock), if it is in one of the ``wanted`` states."""
        ledger.lock(s)
        found = self._rows(s, EditRequest.id == job_id)
        if not found:
            raise StudioError(f"no edit job {job_id!r}")
        e, g, handle = found[0]
        if e.status not in wanted:
            raise StudioError(f"edit job {job_id} is {e.status}: only {' or '.join(wanted)} jobs can be {becomes}"
                              f" ({_where(e.status, e.quote_cents)})")
        return e, g, handle

    # --- the steps ---------------------------------------------------------------------------------

    def request(self, generation_id: str, buyer: str, note: str) -> EditView:
        """The buyer of a preview asks its creator to finish it by hand."""
        note = (note or "").strip()
        if not note:
            raise StudioError("say what you would like changed (--note TEXT)")
        if len(note) > MAX_NOTE_CHARS:
            raise StudioError(f"a note is at most {MAX_NOTE_CHARS} characters, not {len(note)}")
        with self.ctx.transaction() as s:
            ledger.lock(s)
            g = s.get(Generation, generation_id)
            if g is None:
                raise StudioError(f"no generation {generation_id!r}")
            if g.buyer is None:
                raise StudioError(f"{generation_id} is a creator's draft, not a buyer's preview: there is no buyer "
                                  "to finish it for")
            if g.buyer != buyer:
                raise StudioError(f"{generation_id} is someone else's preview: only the buyer it was made for may "
                                  "ask for an edit of it")
            if g.flagged:
                raise StudioError(f"{generation_id} cannot be edited for a buyer: the memorisation guard flagged it "
                                  f"({g.flagged})")
            model = s.get(Model, s.get(ModelVersion, g.model_version_id).model_id)
            if g.status == "hidden" or stopped(model, self.ctx.now()):
                raise StudioError(f"{generation_id} is the creator's only now: the creator disabled the model")
            under_way = s.scalar(select(EditRequest).where(EditRequest.generation_id == g.id,
                                                           EditRequest.status.in_(ACTIVE)))
            if under_way is not None:
                raise StudioError(f"{generation_id} already has edit job {under_way.id} ({under_way.status})")
            now = self.ctx.now()
            job = EditRequest(generation_id=g.id, buyer=buyer, message=note, status="open", created_at=now,
                              creator_id=g.creator_id)
            s.add(job)
            s.flush()
            handle = s.get(Creator, g.creator_id).handle
            ledger.append(s, "edit.requested", job.id, {
                "generation": g.id, "buyer": buyer, "creator": handle, "creator_id": g.creator_id,
                "version": g.model_version_id, "draft_sha256": g.blob_sha256, "prompt": g.prompt, "seed": g.seed,
                "note_sha256": note_sha256(note), "at": iso(now)})
            job_id = job.id
        self.ctx.emit(EventKind.EDIT_CHANGED, handle, job=job_id, status="open")
        return self.get(job_id)

    def quote(self, job_id: str, cents: int) -> EditView:
        """The creator's price for the work (integer cents)."""
        if isinstance(cents, bool) or not isinstance(cents, int) or cents <= 0:
            raise StudioError(f"a quote is a whole number of cents more than zero, not {cents!r}")
        if cents > self.ctx.policy.max_edit_quote_cents:
            raise StudioError(f"a quote can be at most {dollars(self.ctx.policy.max_edit_quote_cents)}, "
                              f"not {dollars(cents)}")
        return self._step(job_id, ("open",), "quoted", "edit.quoted", quote_cents=cents)

    def accept(self, job_id: str, buyer: str) -> EditView:
        """The buyer who asked accepts the quote."""
        return self._step(job_id, ("quoted",), "accepted", "edit.accepted", buyer=buyer)

    def decline(self, job_id: str, reason: str | None = None) -> EditView:
        """The creator turns down a job that is open or quoted."""
        return self._step(job_id, ("open", "quoted"), "declined", "edit.declined", reason=(reason or "").strip() or None)

    def _step(self, job_id: str, wanted: tuple[str, ...], status: str, kind: str, *, quote_cents: int | None = None,
              buyer: str | None = None, reason: str | None = None, delivered: str | None = None,
              record: str | None = None, media: str = "image/png") -> EditView:
        with self.ctx.transaction() as s:
            e, g, handle = self._job(s, job_id, wanted, status)
            if buyer is not None and buyer != e.buyer:
                raise StudioError(f"edit job {job_id} was not requested by {buyer}: only the buyer who asked may "
                                  "accept its quote")
            now = self.ctx.now()
            payload = {"generation": g.id, "buyer": e.buyer, "creator": handle, "at": iso(now)}
            if status == "quoted":
                e.quote_cents, e.quoted_at = quote_cents, now
                payload["quote_cents"] = quote_cents
            elif status == "accepted":
                e.accepted_at = now
                payload["quote_cents"] = e.quote_cents
            elif status == "declined":
                e.declined_at, e.reason = now, reason
                payload["reason"] = reason
            elif status == "delivered":
                if s.get(Blob, delivered) is None:
                    s.add(Blob(sha256=delivered, size=self.ctx.blobs.path(delivered).stat().st_size, media_type=media))
                if record is not None and s.get(Blob, record) is None:
                    s.add(Blob(sha256=record, size=self.ctx.blobs.path(record).stat().st_size,
                               media_type="application/json"))
                e.delivered_at, e.delivered_sha256 = now, delivered
                payload.update(delivered_sha256=delivered, draft_sha256=g.blob_sha256,
                               **({"provenance_sha256": record} if record else {}))
            e.status = status
            ledger.append(s, kind, e.id, payload)
        self.ctx.emit(EventKind.EDIT_CHANGED, handle, job=job_id, status=status)
        return self.get(job_id)

    def deliver(self, job_id: str, source: bytes | str | Path) -> EditView:
        """The creator's finished file, signed with the draft as its ingredient; the buyer downloads it."""
        from studio.rights import provenance

        job = self.get(job_id)
        if job.status != "accepted":  # checked again, under the lock, when it is recorded
            raise StudioError(f"edit job {job_id} is {job.status}: only accepted jobs can be delivered "
                              f"({_where(job.status, job.quote_cents)})")
        if self._media(job.draft_sha256).startswith("text/"):
            return self._deliver_text(job, _read_text(source, self.ctx.policy))
        finished = _read_image(source, self.ctx.policy)
        draft = provenance.Ingredient(title=f"{job.generation_id}.png", data=self.ctx.blobs.get(job.draft_sha256),
                                      label="draft")
        parts = provenance.edit_manifest_parts(
            job_id=job.id, draft=draft, generation_id=job.generation_id, draft_sha256=job.draft_sha256,
            creator=job.creator, buyer=job.buyer, description=f"finished by hand by the creator {job.creator}")
        signed = provenance.sign_png(finished, None, self.purchases.chain(), title=f"{job.id}.png", **parts)
        sha = self.ctx.blobs.put(signed)
        return self._step(job_id, ("accepted",), "delivered", "edit.delivered", delivered=sha)

    def _media(self, sha: str) -> str:
        with self.ctx.reading() as s:
            blob = s.get(Blob, sha)
            return blob.media_type if blob is not None else ""

    def _deliver_text(self, job: EditView, finished: bytes) -> EditView:
        """A text draft finished by hand: the creator's text with a detached record naming the draft."""
        from studio.marketplace.texts import MEDIA_TYPE
        from studio.rights import detached

        edit = {"job_id": job.id, "generation_id": job.generation_id, "draft_sha256": job.draft_sha256,
                "creator": job.creator, "buyer": job.buyer, "description": f"finished by hand by the creator {job.creator}"}
        record = detached.sign(finished, None, self.purchases.chain(), media_type=MEDIA_TYPE, title=f"{job.id}.txt",
                               assertions={"edit": edit, "ingredients": [{"sha256": job.draft_sha256,
                                                                          "relationship": "parentOf", "label": "draft"}]})
        sha = self.ctx.blobs.put(finished)
        return self._step(job.id, ("accepted",), "delivered", "edit.delivered", delivered=sha,
                          record=self.ctx.blobs.put(record), media=MEDIA_TYPE)

    def download(self, job_id: str, buyer: str, out_dir: Path | str) -> EditView:
        """Write a delivered edit to ``out_dir`` as ``JOB.png`` (a text: ``JOB.txt`` and its
        ``JOB.provenance.json``), the buyer who asked only."""
        with self.ctx.reading() as s:
            found = self._rows(s, EditRequest.id == job_id)
        if not found or found[0][0].buyer != buyer:  # never say whether someone else's job exists
            raise StudioError(f"{buyer} has no edit job {job_id!r}")
        view = self._view(*found[0])
        if view.delivered_sha256 is None:
            raise StudioError(f"edit job {job_id} is {view.status}: nothing has been delivered yet")
        with self.ctx.reading() as s:
            done = ledger.events(s, subject=job_id, kind="edit.delivered")
        record = json.loads(done[-1].payload).get("provenance_sha256") if done else None
        named = ({f"{job_id}.txt": self.ctx.blobs.get(view.delivered_sha256),
                  f"{job_id}.provenance.json": self.ctx.blobs.get(record)} if record
                 else {f"{job_id}.png": self.ctx.blobs.get(view.delivered_sha256)})
        staged = licences.stage(Path(out_dir), named)
        try:
            written = licences.place(staged)
        except BaseException:
            licences.discard(staged)
            raise
        return EditView(**{**asdict(view), "files": tuple(str(p) for p in written)})

    def verify(self, data: bytes, edit: dict) -> dict | None:
        """The delivered job an edit file's manifest names, and whether these are its bytes (None: no such job)."""
        with self.ctx.reading() as s:
            found = self._rows(s, EditRequest.id == str(edit.get("job_id")))
        if not found:
            return None
        view = self._view(*found[0])
        return {"job": view.id, "generation": view.generation_id, "buyer": view.buyer, "creator": view.creator,
                "status": view.status, "delivered_sha256": view.delivered_sha256,
                "same_bytes": view.delivered_sha256 == sha256_bytes(data)}


def _where(status: str, quote_cents: int | None) -> str:
    """Where a job in ``status`` stands, in words."""
    return {"open": "it has no quote yet: the creator quotes it with `studio edit quote`",
            "quoted": f"it was quoted at {dollars(quote_cents or 0)} and waits for the buyer to accept",
            "accepted": "the buyer accepted the quote: it waits for the creator's file",
            "delivered": "it was delivered already",
            "declined": "the creator declined it"}.get(status, status)
