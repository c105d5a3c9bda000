"""Which sale is a file from, and is it the file that was delivered?

`identify` reads the invisible mark in a file's pixels with the home's mark key and looks up the
purchase that carries it: the generation, buyer, licence and creator. The mark survives a
metadata strip and a JPEG re-encode at quality 90, so a copy found in the wild is still named.

`verify` checks a delivered file three ways and names what is wrong:

- its C2PA manifest, against this home's root only (`provenance.read`): "Trusted" is signed by
  this studio; another signer, a changed byte (hash mismatch) or no manifest at all are named;
- its bytes against the delivered file's sha256 on the purchase (the hash binding);
- its mark: it must be there and name the same purchase as the manifest. Without a manifest
  (stripped, re-saved), the mark still says which sale the pixels come from.

A file a creator finished by hand (an edit job, `studio.marketplace.edits`) carries no mark of its
own: its manifest (``org.studio.edit``) names the job, and its bytes must be the file delivered
for that job.
"""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import select

from studio.context import StudioContext
from studio.errors import StudioError
from studio.marketplace import licences
from studio.store.blobs import sha256_bytes
from studio.store.tables import Creator, Generation, Licence, Model, ModelVersion, Purchase

NOT_OURS = "not from this studio: its pixels carry no mark of this studio's"


def _data(source: bytes | str | Path) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source)
    path = Path(source)
    if not path.is_file():
        raise StudioError(f"no file {path}")
    return path.read_bytes()


def _record_state(v) -> str:
    """A detached record's state in the words `verify` uses for C2PA manifests."""
    return "Trusted" if v.trusted and v.signed else ("Invalid" if not v.signed else "Valid")


class FileChecks:
    def __init__(self, ctx: StudioContext, purchases, edits=None):
        self.ctx, self.purchases, self.edits = ctx, purchases, edits

    def _sale(self, where) -> dict | None:
        with self.ctx.reading() as s:
            row = s.execute(select(Purchase, Licence.id, Creator.handle)
                            .join(Licence, Licence.purchase_id == Purchase.id)
                            .join(Generation, Generation.id == Purchase.generation_id)
                            .join(Creator, Creator.id == Generation.creator_id).where(where)).first()
        if row is None:
            return None
        p, licence, handle = row
        return {"purchase": p.id, "generation": p.generation_id, "buyer": p.buyer, "licence": licence,
                "creator": handle, "model_version": p.model_version_id, "mark_id": p.mark_id,
                "delivered_sha256": p.delivered_sha256, "bought_at": p.created_at}

    def mark(self, data: bytes) -> str | None:
        """The 64-bit id (hex) the home's mark key finds in the image, or None."""
        from PIL import Image, UnidentifiedImageError

        from studio.rights import softmark

        key = licences.mark_key(self.ctx.home, create=False)
        if key is None:
            return None
        try:
            img = Image.open(io.BytesIO(data))
            img.load()
        except (UnidentifiedImageError, OSError) as exc:
            raise StudioError(f"not an image this studio can read ({exc})") from None
        found = softmark.extract(img, key)
        return None if found is None else f"{found:016x}"

    def identify(self, source: bytes | str | Path) -> dict:
        """The sale a file's pixels come from, by their mark; ``found`` False if not from this studio."""
        data = _data(source)
        mark = self.mark(data)
        if mark is None:
            return {"found": False, "mark_id": None, "message": NOT_OURS}
        sale = self._sale(Purchase.mark_id == mark)
        if sale is None:
            return {"found": False, "mark_id": mark,
                    "message": f"carries this studio's mark {mark}, but no purchase records it"}
        return {"found": True, **sale, "message": f"generation {sale['generation']} by {sale['creator']}, bought by "
                                                  f"{sale['buyer']} (purchase {sale['purchase']}, licence "
                                                  f"{sale['licence']})"}

    def identify_text(self, source: bytes | str | Path) -> dict:
        """Which of this studio's text models wrote a text, by each model version's watermark (a z-score and
        p-value each; the most significant is reported), and the sale if the text is a delivered file as is."""
        from studio.marketplace import texts
        from studio.text import inference as text_inference
        from studio.text.watermark import MIN_SCORED

        data = _data(source)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise StudioError("not UTF-8 text: `identify --text` reads plain text files") from None
        sale = self._sale(Purchase.delivered_sha256 == sha256_bytes(data))
        with self.ctx.reading() as s:
            rows = s.execute(select(ModelVersion, Creator.handle).join(Model, Model.id == ModelVersion.model_id)
                             .join(Creator, Creator.id == Model.creator_id)).all()
            versions = [(v.id, v.number, handle, self.ctx.home / v.path) for v, handle in rows
                        if texts.is_text(v.manifest)]
        scores = []
        for version_id, number, handle, folder in versions:
            model, tokenizer = text_inference.load(folder)
            mark = texts.watermark(self.ctx.home, version_id, model.config.vocab_size, create=False)
            if mark is not None:
                # read with the version's own model: only its real choices are scored (see studio.text.watermark)
                d = mark.detect_text(text, tokenizer, model=model)
                scores.append({"version": version_id, "number": number, "creator": handle, "z": d.z,
                               "p_value": d.p_value, "scored_tokens": d.scored, "threshold": mark.p_threshold})
        best = min(scores, key=lambda r: r["p_value"], default=None)
        # one test per model version: the verdict holds the family-wise false-positive rate (Bonferroni)
        found = bool(best and best["p_value"] * len(scores) <= best["threshold"]) or sale is not None
        if sale is not None:
            message = (f"the file delivered for generation {sale['generation']} by {sale['creator']}, bought by "
                       f"{sale['buyer']} (purchase {sale['purchase']})")
        elif found:
            message = (f"written by {best['creator']}'s text model v{best['number']} (watermark z = {best['z']}, "
                       f"p = {best['p_value']:.2g}, {len(scores)} model(s) tested)")
        elif best is not None and best["scored_tokens"] < MIN_SCORED:
            message = f"too short to tell: fewer than {MIN_SCORED} token pairs where the model had a choice"
        else:
            message = "no text model of this studio's watermark is in it"
        return {"found": found, "message": message, "best": best, "models": scores, "sale": sale}

    def verify(self, source: bytes | str | Path, record: bytes | str | Path | None = None) -> dict:
        """Manifest, hash binding and mark of one file; ``ok`` only if all three hold. A text file is checked
        against its detached provenance record (``record``, or ``NAME.provenance.json`` beside it)."""
        from studio.rights import provenance

        data = _data(source)
        if record is not None or (isinstance(source, (str, Path)) and Path(source).suffix == ".txt"):
            return self._verify_text(data, record if record is not None else Path(source).with_suffix(".provenance.json"))
        prov = provenance.read(data, trust_root=self.purchases.chain())
        if prov.has_manifest and prov.edit is not None and prov.generation is None:
            return self._verify_edit(data, prov)
        problems = list(prov.problems)
        try:
            mark = self.mark(data)
        except StudioError as exc:  # e.g. a changed byte in the compressed pixels
            mark = None
            problems.append(f"its pixels cannot be read: {exc}")
        claimed = (prov.generation or {}).get("generation_id")
        sale = self._sale(Purchase.mark_id == mark) if mark else None
        if sale is None and claimed:
            sale = self._sale(Purchase.generation_id == claimed)
        if not prov.has_manifest:
            problems = ["no C2PA manifest: it was stripped or the file re-saved"]
        if sale is None:
            problems.append(NOT_OURS if mark is None else f"carries this studio's mark {mark}, but no purchase "
                                                          "records it")
        else:
            if prov.has_manifest and sha256_bytes(data) != sale["delivered_sha256"]:  # a re-save changes them anyway
                problems.append("its bytes are not the file delivered for this purchase (the sha256 differs)")
            if mark is None:
                problems.append("its invisible mark is missing or unreadable")
            elif mark != sale["mark_id"]:
                problems.append(f"its mark {mark} is not the one delivered with {sale['purchase']}")
            gen = prov.generation or {}
            for field, want in (("generation_id", sale["generation"]), ("buyer", sale["buyer"]),
                                ("licence_id", sale["licence"])):
                if prov.has_manifest and gen and gen.get(field) != want:
                    problems.append(f"its manifest says {field} {gen.get(field)!r}, the ledger's purchase "
                                    f"{want!r}")
        problems = list(dict.fromkeys(problems))
        ok = prov.trusted and not problems
        identified = (f"the mark identifies generation {sale['generation']}, bought by {sale['buyer']} "
                      f"(purchase {sale['purchase']}, licence {sale['licence']})") if sale and mark else None
        return {"ok": ok, "state": prov.state, "trusted": prov.trusted, "has_manifest": prov.has_manifest,
                "signer": prov.signer_organization, "problems": problems, "mark_id": mark,
                "identified": identified, "sale": sale, "edit": None}

    def _verify_text(self, data: bytes, record: bytes | str | Path) -> dict:
        """A delivered text: its detached record against this home's root, and its bytes against the sale."""
        from studio.rights import detached

        if isinstance(record, Path) and not record.is_file():
            return {"ok": False, "state": "no record", "trusted": False, "has_manifest": False, "signer": None,
                    "problems": [f"no provenance record {record.name} beside it: the text alone cannot be verified"],
                    "mark_id": None, "sale": None, "edit": None, "identified": None}
        v = detached.verify(data, _data(record) if isinstance(record, Path) else record,
                            trust_root=self.purchases.chain().root_cert_pem)
        if v.edit:
            return self._verify_text_edit(data, v)
        sale = self._sale(Purchase.generation_id == v.claim.get("generation_id")) if v.claim else None
        problems = list(v.problems)
        if sale is None:
            problems.append("no purchase of this studio records the generation its record names")
        elif sale["delivered_sha256"] != sha256_bytes(data):
            problems.append("its bytes are not the file delivered for this purchase (the sha256 differs)")
        elif v.claim.get("buyer") != sale["buyer"]:
            problems.append(f"its record says buyer {v.claim.get('buyer')!r}, the ledger's purchase {sale['buyer']!r}")
        problems = list(dict.fromkeys(problems))
        return {"ok": v.trusted and not problems, "state": _record_state(v), "trusted": v.trusted,
                "has_manifest": True, "signer": v.signer, "problems": problems, "mark_id": None, "sale": sale, "edit": None,
                "identified": (f"generation {sale['generation']}, bought by {sale['buyer']} (purchase "
                               f"{sale['purchase']})") if sale else None}

    def _verify_text_edit(self, data: bytes, v) -> dict:
        """A text a creator finished by hand: its record, and its bytes against the file delivered for the job."""
        problems = list(v.problems)
        job = self.edits.verify(data, v.edit) if self.edits is not None else None
        if job is None:
            problems.append(f"its record names edit job {v.edit.get('job_id')!r}, which this studio has no record of")
        elif job["status"] != "delivered" or not job["same_bytes"]:
            problems.append(f"its bytes are not the file delivered for edit job {job['job']} (the sha256 differs)")
        problems = list(dict.fromkeys(problems))
        return {"ok": v.trusted and not problems, "state": _record_state(v), "trusted": v.trusted,
                "has_manifest": True, "signer": v.signer, "problems": problems, "mark_id": None, "sale": None, "edit": job,
                "identified": (f"edit job {job['job']}: generation {job['generation']} finished by hand by "
                               f"{job['creator']} for {job['buyer']}") if job else None}

    def _verify_edit(self, data: bytes, prov) -> dict:
        """A file finished by hand: its manifest, and its bytes against the file delivered for the job."""
        problems = list(prov.problems)
        job = self.edits.verify(data, prov.edit) if self.edits is not None else None
        if job is None:
            problems.append(f"its manifest names edit job {prov.edit.get('job_id')!r}, which this studio has no "
                            "record of")
        elif job["status"] != "delivered" or not job["same_bytes"]:
            problems.append(f"its bytes are not the file delivered for edit job {job['job']} (the sha256 differs)")
        problems = list(dict.fromkeys(problems))
        identified = (f"edit job {job['job']}: generation {job['generation']} finished by hand by {job['creator']} "
                      f"for {job['buyer']}") if job else None
        return {"ok": prov.trusted and not problems, "state": prov.state, "trusted": prov.trusted,
                "has_manifest": True, "signer": prov.signer_organization, "problems": problems, "mark_id": None,
                "identified": identified, "sale": None, "edit": job}
