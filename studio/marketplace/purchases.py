"""Buying a preview, a buyer's purchases, and downloading them again.

A buyer may buy a preview made for them, once, at the price in force when it was shown. Refused,
each with its reason and nothing written: someone else's preview (or a creator's draft), one
already bought, one whose model's disabling took effect, one the memorisation guard flagged, one
without a price, and a near-duplicate of an earlier sale of the same model (perceptual hashes
within `Policy.near_duplicate_bits` of 64). `quote` runs the same checks and says what the buyer
gets, non-exclusivity first; `buy` says it again in its receipt.

The purchase, crash-safe ("both or neither"):

1. check, then compute everything outside the database: the mark id, the marked and signed file
   (`licences.deliverable`), the certificate;
2. stage the files under temporary names in the buyer's folder and keep the signed file as a blob;
3. ONE transaction: take the ledger's lock, check again (a concurrent purchase may have sold it
   or a near-duplicate), then the purchase row, the licence row, the creator's payout line, the
   generation marked sold, and the ledger events ``purchase.made`` and ``licence.granted``;
4. rename the staged files into place.

A failure before the commit removes the staged files (a hard crash leaves only ``.tmp-*`` names)
and records nothing; after it, the purchase stands and `download` writes the same files again.

Money: the platform fee is ``price x Policy.platform_fee_bps / 10,000`` rounded DOWN to a whole
cent (a fraction of a cent goes to the creator); the creator's line is the price minus the fee,
so fee + line is always the price.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from studio import inference
from studio.context import StudioContext
from studio.errors import StudioError
from studio.events import EventKind
from studio.marketplace import licences, texts
from studio.marketplace.listing import stopped
from studio.rights import ledger
from studio.rights.provenance import Claim
from studio.store.blobs import sha256_bytes
from studio.store.tables import (Blob, Creator, Generation, Licence, Model, ModelVersion, PayoutLine, Purchase, iso,
                                 new_id)


def split(price_cents: int, fee_bps: int) -> tuple[int, int]:
    """(platform fee, creator's share) of a price in cents; the fee rounds down to a whole cent."""
    fee = price_cents * fee_bps // 10_000
    return fee, price_cents - fee


def _stage(out_dir: Path, named: dict[str, bytes]):
    try:
        return licences.stage(out_dir, named)
    except OSError as exc:
        raise StudioError(f"cannot write to {out_dir}: {exc.strerror or exc}") from exc


@dataclass(frozen=True)
class PurchaseView:
    id: str
    generation_id: str
    buyer: str
    creator: str
    model_version_id: str | None
    price_cents: int
    fee_cents: int
    creator_cents: int
    licence_id: str
    mark_id: str | None
    delivered_sha256: str | None
    created_at: datetime
    files: tuple[str, ...] = ()  # written by `buy` or `download`

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class _Sale:
    """Everything a purchase needs, read and checked before anything is written."""

    generation_id: str
    buyer: str
    handle: str
    creator_id: str
    creator_name: str
    model_id: str
    version_id: str
    version_number: int
    weights_sha256: str
    price_cents: int
    price_id: str | None
    clean_sha256: str
    phash: str | None
    text: bool = False  # a text model's copy (delivered with a detached provenance record, no pixel mark)


class Purchases:
    def __init__(self, ctx: StudioContext):
        self.ctx = ctx
        self._chain = None

    def chain(self):
        """The home's C2PA chain, made on first need."""
        if self._chain is None:
            from studio.rights import certificates

            self._chain = certificates.for_home(self.ctx.home)
        return self._chain

    # --- checks ----------------------------------------------------------------------------------

    def _check(self, s, generation_id: str, buyer: str) -> _Sale:
        g = s.get(Generation, generation_id)
        if g is None:
            raise StudioError(f"no generation {generation_id!r}")
        if g.buyer is None:
            raise StudioError(f"{generation_id} is a creator's draft, not a buyer's preview: it is not for sale")
        if g.buyer != buyer:
            raise StudioError(f"{generation_id} is someone else's preview: only the buyer it was made for may buy it")
        if g.status == "sold":
            bought = s.scalar(select(Purchase.id).where(Purchase.generation_id == g.id))
            raise StudioError(f"{buyer} already bought {generation_id} (purchase {bought}); get the files again "
                              f"with `studio download {bought} --buyer {buyer} --out DIR`")
        version = s.get(ModelVersion, g.model_version_id)
        model = s.get(Model, version.model_id)
        if g.status == "hidden" or stopped(model, self.ctx.now()):
            when = f" on {model.disabled_at:%Y-%m-%d %H:%M} UTC" if model.disabled_at else ""
            raise StudioError(f"{generation_id} is no longer for sale: the creator disabled the model{when}")
        if g.flagged:
            raise StudioError(f"{generation_id} is not for sale: the memorisation guard flagged it ({g.flagged})")
        if g.price_cents is None:
            raise StudioError(f"{generation_id} is not for sale: the model had no price when it was shown")
        near = self._near_duplicate(s, g, model.id)
        if near is not None:
            other, dist = near
            if g.phash is None:
                raise StudioError(f"{generation_id} is not for sale: it is the same text as {other}, sold earlier; "
                                  "the same text is never sold twice")
            raise StudioError(f"{generation_id} is not for sale: it is a near-duplicate of {other}, sold earlier "
                              f"(perceptual-hash distance {dist} of 64 bits); the same image is never sold twice")
        creator = s.get(Creator, g.creator_id)
        trained = ledger.events(s, subject=version.id, kind="model.trained")
        weights_sha = json.loads(trained[0].payload)["weights_sha256"] if trained else ""
        clean = s.get(Blob, g.blob_sha256)
        return _Sale(g.id, buyer, creator.handle, creator.id, creator.name, model.id, version.id, version.number,
                     weights_sha, g.price_cents, g.price_id, g.blob_sha256, g.phash,
                     text=bool(clean and clean.media_type.startswith("text/")))

    def _near_duplicate(self, s, g: Generation, model_id: str) -> tuple[str, int] | None:
        """The closest earlier sale of the same model within the policy's distance, if any (a text: the same
        text, byte for byte, at distance 0)."""
        versions = select(ModelVersion.id).where(ModelVersion.model_id == model_id)
        if g.phash is None:
            same = s.scalar(select(Generation.id).where(
                Generation.model_version_id.in_(versions), Generation.status == "sold",
                Generation.blob_sha256 == g.blob_sha256, Generation.id != g.id))
            return (same, 0) if same else None
        sold = dict(s.execute(select(Generation.id, Generation.phash).where(
            Generation.model_version_id.in_(versions), Generation.status == "sold",
            Generation.phash.is_not(None), Generation.id != g.id)).all())
        other, dist = inference.nearest(g.phash, sold)
        return (other, dist) if other is not None and dist <= self.ctx.policy.near_duplicate_bits else None

    def quote(self, generation_id: str, buyer: str) -> dict:
        """What buying would cost and give, after the same checks as `buy` (nothing is written)."""
        with self.ctx.reading() as s:
            sale = self._check(s, generation_id, buyer)
        return {"generation": generation_id, "buyer": buyer, "creator": sale.handle, "price_cents": sale.price_cents,
                "notice": licences.NOTICE, "rights": dict(licences.RIGHTS), "exclusive": False}

    # --- buying ----------------------------------------------------------------------------------

    def buy(self, generation_id: str, buyer: str, out_dir: Path | str) -> PurchaseView:
        """Buy a preview: the signed, marked file and its licence certificate land in ``out_dir``."""
        out_dir = Path(out_dir)
        if out_dir.exists() and not out_dir.is_dir():
            raise StudioError(f"--out {out_dir} is not a folder")
        with self.ctx.reading() as s:
            sale = self._check(s, generation_id, buyer)
        purchase_id, licence_id, line_id = new_id("pur"), new_id("lic"), new_id("pl")
        mark = None if sale.text else secrets.randbits(64)
        mark_id = None if mark is None else f"{mark:016x}"
        now = self.ctx.now()
        title = (texts.file_names if sale.text else licences.file_names)(sale.generation_id)
        claim = Claim(creator=sale.handle, model_version_id=sale.version_id, weights_sha256=sale.weights_sha256,
                      generation_id=sale.generation_id, licence_id=licence_id, buyer=buyer,
                      title=title["text" if sale.text else "image"], softmark_id=mark)
        record = None
        if sale.text:
            signed, record = texts.deliverable(self.ctx.blobs.get(sale.clean_sha256), claim, self.chain())
        else:
            signed = licences.deliverable(self.ctx.blobs.get(sale.clean_sha256), claim,
                                          licences.mark_key(self.ctx.home), self.chain())
        delivered = sha256_bytes(signed)
        cert = licences.certificate(
            licence_id=licence_id, purchase_id=purchase_id, generation_id=sale.generation_id, asset_sha256=delivered,
            buyer=buyer, creator=sale.handle, creator_name=sale.creator_name, model_version_id=sale.version_id,
            version_number=sale.version_number, weights_sha256=sale.weights_sha256, date=iso(now),
            price_cents=sale.price_cents, mark_id=mark_id, text=sale.text)
        cert_text = licences.certificate_json(cert)
        fee, share = split(sale.price_cents, self.ctx.policy.platform_fee_bps)
        staged = _stage(out_dir, licences.files(sale.generation_id, signed, cert_text, record))
        try:
            self.ctx.blobs.put(signed)
            if record is not None:
                self.ctx.blobs.put(record)
            with self.ctx.transaction() as s:
                ledger.lock(s)  # from here on no other purchase commits: check again, then write
                self._check(s, generation_id, buyer)
                if s.get(Blob, delivered) is None:
                    s.add(Blob(sha256=delivered, size=len(signed), media_type=texts.MEDIA_TYPE if sale.text
                               else "image/png"))
                if record is not None and s.get(Blob, sha256_bytes(record)) is None:
                    s.add(Blob(sha256=sha256_bytes(record), size=len(record), media_type="application/json"))
                s.add(Purchase(id=purchase_id, generation_id=sale.generation_id, buyer=buyer,
                               price_cents=sale.price_cents, fee_cents=fee, creator_cents=share, created_at=now,
                               creator_id=sale.creator_id, model_version_id=sale.version_id, mark_id=mark_id,
                               delivered_sha256=delivered))
                s.flush()
                s.add(Licence(id=licence_id, purchase_id=purchase_id, terms=licences.terms(), certificate=cert_text,
                              created_at=now))
                s.add(PayoutLine(id=line_id, creator_id=sale.creator_id, purchase_id=purchase_id, cents=share,
                                 created_at=now))
                s.get(Generation, sale.generation_id).status = "sold"
                ledger.append(s, "purchase.made", purchase_id, {
                    "generation": sale.generation_id, "buyer": buyer, "creator": sale.handle,
                    "creator_id": sale.creator_id, "model": sale.model_id, "version": sale.version_id,
                    "price": sale.price_id, "price_cents": sale.price_cents, "fee_cents": fee, "creator_cents": share,
                    "payout_line": line_id, "mark_id": mark_id, "delivered_sha256": delivered,
                    **({"provenance_sha256": sha256_bytes(record)} if record is not None else {})})
                ledger.append(s, "licence.granted", licence_id, {
                    "purchase": purchase_id, "generation": sale.generation_id, "buyer": buyer,
                    "creator": sale.handle, "exclusive": False, "certificate_sha256": sha256_bytes(cert_text.encode())})
        except BaseException:
            licences.discard(staged)
            raise
        try:
            written = licences.place(staged)
        except OSError as exc:
            licences.discard(staged)
            raise StudioError(f"purchase {purchase_id} is recorded, but its files could not be written to {out_dir} "
                              f"({exc.strerror or exc}); `studio download {purchase_id} --buyer {buyer} --out DIR` "
                              "writes them") from exc
        self.ctx.emit(EventKind.PURCHASE_MADE, sale.handle, purchase=purchase_id, generation=sale.generation_id)
        return self._view_of(purchase_id, tuple(str(p) for p in written))

    # --- a buyer's purchases ---------------------------------------------------------------------

    def _rows(self, s, where):
        return s.execute(select(Purchase, Licence, Creator.handle)
                         .join(Licence, Licence.purchase_id == Purchase.id)
                         .join(Generation, Generation.id == Purchase.generation_id)
                         .join(Creator, Creator.id == Generation.creator_id)
                         .where(where).order_by(Purchase.created_at, Purchase.id)).all()

    @staticmethod
    def _view(p: Purchase, lic: Licence, handle: str, files: tuple[str, ...] = ()) -> PurchaseView:
        return PurchaseView(p.id, p.generation_id, p.buyer, handle, p.model_version_id, p.price_cents, p.fee_cents,
                            p.creator_cents, lic.id, p.mark_id, p.delivered_sha256, p.created_at, files)

    def _view_of(self, purchase_id: str, files: tuple[str, ...] = ()) -> PurchaseView:
        with self.ctx.reading() as s:
            (row,) = self._rows(s, Purchase.id == purchase_id)
            return self._view(*row, files)

    def list(self, buyer: str) -> list[PurchaseView]:
        with self.ctx.reading() as s:
            return [self._view(*row) for row in self._rows(s, Purchase.buyer == buyer)]

    def certificate(self, licence_id: str) -> dict:
        """A licence's certificate: its file names, the JSON text as issued and its HTML rendering."""
        with self.ctx.reading() as s:
            lic = s.scalar(select(Licence).where((Licence.id == licence_id) | (Licence.purchase_id == licence_id)))
            if lic is None:
                raise StudioError(f"no licence {licence_id!r}")
            text = lic.certificate
        cert = json.loads(text)
        names = licences.file_names(cert["generation"])
        return {"licence": cert["licence"], "purchase": cert["purchase"], "json_name": names["json"],
                "html_name": names["html"], "json": text, "html": licences.certificate_html(cert)}

    def download(self, purchase_id: str, buyer: str, out_dir: Path | str) -> PurchaseView:
        """Write a purchase's file and certificate again (the same bytes), also after the model is disabled."""
        with self.ctx.reading() as s:
            found = self._rows(s, Purchase.id == purchase_id)
            if not found or found[0][0].buyer != buyer:  # never say whether someone else's purchase exists
                raise StudioError(f"{buyer} has no purchase {purchase_id!r}")
            p, lic, handle = found[0]
            made = ledger.events(s, subject=p.id, kind="purchase.made")
            record_sha = json.loads(made[0].payload).get("provenance_sha256") if made else None
        if p.delivered_sha256 is None:
            raise StudioError(f"purchase {purchase_id} was made before files were delivered; it has none to download")
        record = self.ctx.blobs.get(record_sha) if record_sha else None
        named = licences.files(p.generation_id, self.ctx.blobs.get(p.delivered_sha256), lic.certificate, record)
        staged = _stage(Path(out_dir), named)
        try:
            written = licences.place(staged)
        except BaseException:
            licences.discard(staged)
            raise
        return self._view(p, lic, handle, tuple(str(f) for f in written))
