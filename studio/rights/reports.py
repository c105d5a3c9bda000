"""Rights reports: for each asset, who owns it under which licence, what made it, what it learned from, and the money.

An asset is a file the studio delivered: a purchased generation (`studio.marketplace.purchases`) or a
file a creator finished by hand from a buyer's draft (an edit job, `studio.marketplace.edits`).
`report` finds the assets of one creator, one buyer, or one file (by the sha256 of the delivered
file or of the draft it was made from) and returns a :class:`RightsReport` of pandas DataFrames:

- ``assets``, one row per asset: its sha256 and file name, the generation and its prompt, the owner
  (the buyer) and the licence (its id and terms: the buyer owns it, non-exclusive, the creator may
  train their own models on it), the creator, the model version that made it (number, weights
  sha256, base), what was paid, the platform fee, what the creator earned and whether it was paid
  out, and how many training items the version learned from;
- ``training``, one row per asset and training item of its model version: the item's sha256 and
  its consent record (id, basis, active or revoked and when), from the version's training manifest
  and the consent table. A creator's own report also shows each consent record's reference (a
  client's consent reference stays with the creator otherwise).

Exports: `to_json` (both tables and the totals), `to_csv` (one flat table: an asset's columns with
each of its training items), `to_html` (both tables). The report reads tables and the ledger only;
no image, portfolio item or other blob is opened.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select

from studio.errors import StudioError
from studio.money import dollars
from studio.store.tables import (ConsentRecord, Creator, EditRequest, Generation, LedgerEvent, Licence, ModelVersion,
                                 Payout, PayoutLine, Purchase, iso)

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
TERMS = "owned by the buyer; non-exclusive; the creator may train their own models on it; no one else"
ASSET_COLUMNS = ["asset_sha256", "kind", "file", "generation", "prompt", "owner", "licence", "terms", "creator",
                 "model_version", "version_number", "weights_sha256", "base_model", "purchase", "date",
                 "paid_cents", "fee_cents", "earned_cents", "payout", "payout_status", "training_items"]
TRAINING_COLUMNS = ["asset_sha256", "model_version", "item", "item_sha256", "consent", "consent_basis",
                    "consent_active", "consent_granted_at", "consent_revoked_at"]
MONEY = ("paid_cents", "fee_cents", "earned_cents")


@dataclass
class RightsReport:
    query: dict[str, str]  # the one thing asked about: {"creator": ...}, {"buyer": ...} or {"asset": ...}
    assets: Any  # pandas DataFrame, one row per asset
    training: Any  # pandas DataFrame, one row per asset and training item
    totals: dict[str, int] = field(default_factory=dict)

    def title(self) -> str:
        (kind, value), = self.query.items()
        return f"Rights report: {kind} {value}"

    def as_dict(self) -> dict:
        def records(df):
            return json.loads(df.to_json(orient="records", date_format="iso"))

        return {"query": self.query, "totals": self.totals, "assets": records(self.assets),
                "training": records(self.training)}

    def flat(self):
        """One table: each asset's columns with each of its training items (an asset without items once)."""
        return self.assets.merge(self.training, on=["asset_sha256", "model_version"], how="left")

    def to_json(self, path: Path | str | None = None) -> str:
        return _write(json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n", path)

    def to_csv(self, path: Path | str | None = None) -> str:
        return _write(self.flat().to_csv(index=False), path)

    def to_html(self, path: Path | str | None = None) -> str:
        t = self.totals
        body = (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(self.title())}"
                f"</title></head>\n<body>\n<h1>{html.escape(self.title())}</h1>\n"
                f"<p>{t['assets']} asset(s); paid {dollars(t['paid_cents'])}, platform fee {dollars(t['fee_cents'])}, "
                f"creators earned {dollars(t['earned_cents'])}.</p>\n"
                f"<h2>Assets: owner, licence, model version, money</h2>\n"
                f"{self.assets.to_html(index=False, na_rep='', classes='studio-report-assets')}\n"
                f"<h2>What each asset's model version learned from</h2>\n"
                f"{self.training.to_html(index=False, na_rep='', classes='studio-report-training')}\n"
                "</body></html>\n")
        return _write(body, path)

    def text(self) -> str:
        import pandas as pd

        t = self.totals
        if not t["assets"]:
            return f"{self.title()}: no assets"
        shown = self.assets[["file", "owner", "licence", "creator", "version_number", "paid_cents", "earned_cents",
                             "payout_status", "training_items"]].copy()
        for c in ("paid_cents", "earned_cents"):
            shown[c.removesuffix("_cents")] = shown.pop(c).map(lambda v: "" if pd.isna(v) else dollars(int(v)))
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            return (f"{self.title()}: {t['assets']} asset(s), paid {dollars(t['paid_cents'])}, "
                    f"earned {dollars(t['earned_cents'])}\n{shown.to_string(index=False)}")


def _write(text: str, path: Path | str | None) -> str:
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


class RightsReports:
    def __init__(self, ctx):
        self.ctx = ctx

    def report(self, creator: str | None = None, buyer: str | None = None, asset: str | None = None) -> RightsReport:
        """The assets of one creator (handle), one buyer (email) or one file (sha256)."""
        import pandas as pd

        given = {k: v for k, v in (("creator", creator), ("buyer", buyer), ("asset", asset)) if v}
        if len(given) != 1:
            raise StudioError("a rights report is about one creator (--creator HANDLE), one buyer (--buyer EMAIL) "
                              "or one asset (--asset SHA256)")
        with self.ctx.reading() as s:
            if creator:
                who = self.ctx.creator_row(s, creator).id
                sold, edited = Purchase.creator_id == who, EditRequest.creator_id == who
            elif buyer:
                sold, edited = Purchase.buyer == buyer, EditRequest.buyer == buyer
            else:
                asset = asset.strip().lower()
                if not SHA256_RE.match(asset):
                    raise StudioError(f"--asset is a file's sha256 (64 hex digits), not {asset!r}")
                sold = or_(Purchase.delivered_sha256 == asset, Generation.blob_sha256 == asset)
                edited = or_(EditRequest.delivered_sha256 == asset, Generation.blob_sha256 == asset)
            rows = self._purchases(s, sold) + self._edits(s, edited)
            versions = {r["model_version"] for r in rows} - {None}
            manifests = dict(s.execute(select(ModelVersion.id, ModelVersion.manifest)
                                       .where(ModelVersion.id.in_(versions))).all())
            named = {i.get("consent_id") for m in manifests.values() for i in (m or {}).get("items", [])}
            consents = {c.id: c for c in s.scalars(select(ConsentRecord).where(ConsentRecord.id.in_(named - {None})))}
        training = []
        for r in rows:
            items = [i for i in (manifests.get(r["model_version"]) or {}).get("items", []) if i.get("role") == "train"]
            r["training_items"] = len(items)
            for i in items:
                c = consents.get(i.get("consent_id"))
                row = {"asset_sha256": r["asset_sha256"], "model_version": r["model_version"], "item": i.get("item_id"),
                       "item_sha256": i["sha256"], "consent": i.get("consent_id"),
                       "consent_basis": c.basis if c else i.get("consent"),
                       "consent_active": (c.revoked_at is None) if c else None,
                       "consent_granted_at": iso(c.granted_at) if c else None,
                       "consent_revoked_at": iso(c.revoked_at) if c else None}
                if creator:
                    row["consent_reference"] = c.reference if c else None
                training.append(row)
        assets = pd.DataFrame(rows, columns=ASSET_COLUMNS)
        for c in (*MONEY, "version_number", "training_items"):
            assets[c] = assets[c].astype("Int64")
        columns = TRAINING_COLUMNS + (["consent_reference"] if creator else [])
        frame = pd.DataFrame(training, columns=columns)
        totals = {"assets": len(assets), **{c: int(assets[c].fillna(0).sum()) for c in MONEY}}
        return RightsReport(given, assets, frame, totals)

    def _trained(self, s, version_ids: set[str]) -> dict[str, str]:
        """Each version's weights sha256, as its ``model.trained`` ledger event recorded it."""
        events = s.scalars(select(LedgerEvent).where(LedgerEvent.kind == "model.trained",
                                                     LedgerEvent.subject.in_(version_ids)))
        return {e.subject: json.loads(e.payload).get("weights_sha256") for e in events}

    def _purchases(self, s, where) -> list[dict]:
        found = s.execute(
            select(Purchase, Licence, Generation, Creator.handle, ModelVersion, PayoutLine, Payout.id)
            .join(Licence, Licence.purchase_id == Purchase.id)
            .join(Generation, Generation.id == Purchase.generation_id)
            .join(Creator, Creator.id == Generation.creator_id)
            .outerjoin(ModelVersion, ModelVersion.id == Generation.model_version_id)
            .outerjoin(PayoutLine, PayoutLine.purchase_id == Purchase.id)
            .outerjoin(Payout, Payout.id == PayoutLine.payout_id)
            .where(where).order_by(Purchase.created_at, Purchase.id)).all()
        weights = self._trained(s, {g.model_version_id for _p, _l, g, *_ in found})
        return [{"asset_sha256": p.delivered_sha256, "kind": "purchase",
                 "file": json.loads(lic.certificate)["asset"]["file"], "generation": g.id,
                 "prompt": g.prompt, "owner": p.buyer, "licence": lic.id, "terms": TERMS, "creator": handle,
                 "model_version": g.model_version_id, "version_number": v.number if v else None,
                 "weights_sha256": weights.get(g.model_version_id), "base_model": v.base_model if v else None,
                 "purchase": p.id, "date": iso(p.created_at), "paid_cents": p.price_cents, "fee_cents": p.fee_cents,
                 "earned_cents": p.creator_cents, "payout": payout,
                 "payout_status": "paid" if payout else ("owed" if line else None)}
                for p, lic, g, handle, v, line, payout in found]

    def _edits(self, s, where) -> list[dict]:
        found = s.execute(
            select(EditRequest, Generation, Creator.handle, ModelVersion)
            .join(Generation, Generation.id == EditRequest.generation_id)
            .join(Creator, Creator.id == Generation.creator_id)
            .outerjoin(ModelVersion, ModelVersion.id == Generation.model_version_id)
            .where(EditRequest.status == "delivered", where).order_by(EditRequest.delivered_at, EditRequest.id)).all()
        weights = self._trained(s, {g.model_version_id for _e, g, *_ in found})
        return [{"asset_sha256": e.delivered_sha256, "kind": "edit", "file": f"{e.id}.png", "generation": g.id,
                 "prompt": g.prompt, "owner": e.buyer, "licence": e.id,
                 "terms": f"{TERMS} (an edit job: the draft finished by hand; its accepted quote of "
                          f"{dollars(e.quote_cents or 0)} is settled outside the studio)", "creator": handle,
                 "model_version": g.model_version_id, "version_number": v.number if v else None,
                 "weights_sha256": weights.get(g.model_version_id), "base_model": v.base_model if v else None,
                 "purchase": None, "date": iso(e.delivered_at), "paid_cents": None, "fee_cents": None,
                 "earned_cents": None, "payout": None, "payout_status": None}
                for e, g, handle, v in found]
