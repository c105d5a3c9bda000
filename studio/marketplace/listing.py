"""Publishing a creator's model, its price, and disabling (with or without notice) and enabling it.

Invariant: a model is offered to buyers only while one of its versions is published, and a
version is published only if its creator is vetted, on an active creation plan, and it passed
the quality gate.

Disabling takes effect at ``Model.disabled_at``: at once, or after a notice period during which
buyers may still generate and buy (the listing shows the date). "At the date" needs no background
job: every reader compares ``disabled_at`` with ``ctx.now()`` (`stopped`). From then on nobody
generates and unpurchased previews and drafts are the creator's alone (`Generations` shows them as
hidden); what buyers bought stays theirs. Enabling after the date records those drafts as hidden.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from studio.context import StudioContext
from studio.errors import StudioError
from studio.events import EventKind
from studio.money import check_price_cents
from studio.quality.gate import score_rows
from studio.rights import ledger
from studio.store.tables import Generation, Model, ModelVersion, Price, iso
from studio.training.versions import Versions, VersionView, model_row

MAX_NOTICE_DAYS = 365


def stopped(model: Model, now: datetime) -> bool:
    """Has the model's disabling taken effect (no new generations, previews the creator's only)?"""
    return model.status == "disabled" and (model.disabled_at is None or model.disabled_at <= now)


def _latest_price(s, model_id: str) -> Price | None:
    return s.scalar(select(Price).where(Price.model_id == model_id)
                    .order_by(Price.effective_at.desc(), Price.id.desc()))


def _set_price(s, model: Model, handle: str, cents: int) -> None:
    old = _latest_price(s, model.id)
    row = Price(model_id=model.id, cents=cents)
    s.add(row)
    s.flush()
    ledger.append(s, "price.changed", model.id, {"creator": handle, "model": model.id, "price": row.id,
                                                 "cents": cents, "previous_cents": old.cents if old else None,
                                                 "currency": row.currency})


class Listing:
    def __init__(self, ctx: StudioContext, plans, versions: Versions):
        self.ctx, self.plans, self.versions = ctx, plans, versions

    def current_price(self, model_id: str) -> tuple[str, int] | None:
        """The price row in force now: (its id, cents), or None if never priced."""
        with self.ctx.reading() as s:
            row = _latest_price(s, model_id)
            return (row.id, row.cents) if row else None

    def price(self, handle: str) -> int | None:
        """The creator's model's current price in cents (None if never priced)."""
        with self.ctx.reading() as s:
            model = model_row(s, self.ctx.creator_row(s, handle))
            row = _latest_price(s, model.id) if model else None
            return row.cents if row else None

    def publish(self, handle: str, version_id: str | None = None, price_cents: int | None = None) -> VersionView:
        """Offer a version to buyers. Refused unless the creator is vetted and on an active creation plan,
        and the version passed the gate."""
        self.plans.require_publishing(handle)
        if price_cents is not None:
            check_price_cents(price_cents, self.ctx.policy)
        v = self.versions.get(handle, version_id)
        if v.scores is None:
            raise StudioError(f"version {v.number} has no quality scores yet; run the quality gate "
                              f"(`studio model gate {handle}`) before publishing")
        if not v.gate_passed:
            raise StudioError(
                f"version {v.number} did not pass the quality gate: its outputs are no closer to {handle}'s "
                f"portfolio than the base model's ({'; '.join(f'{k}: {x}' for k, x in score_rows(v.scores)[:2])}); "
                "train longer or on more items")
        with self.ctx.transaction() as s:
            model = s.get(Model, v.model_id)
            if model.status == "disabled":
                raise StudioError(f"{handle}'s model is disabled and cannot be published")
            for other in s.scalars(select(ModelVersion).where(ModelVersion.model_id == model.id,
                                                              ModelVersion.status == "published")):
                other.status = "retired"
            row = s.get(ModelVersion, v.id)
            row.status, row.published_at = "published", self.ctx.now()
            model.status = "published"
            ledger.append(s, "model.published", row.id, {"creator": handle, "model": model.id, "version": row.id,
                                                          "number": row.number, "scores": v.scores})
            if price_cents is not None:
                _set_price(s, model, handle, price_cents)
        self.ctx.emit(EventKind.MODEL_PUBLISHED, handle, version=v.id)
        return self.versions.get(handle, v.id)

    def set_price(self, handle: str, cents: int) -> int:
        check_price_cents(cents, self.ctx.policy)
        with self.ctx.transaction() as s:
            model = model_row(s, self.ctx.creator_row(s, handle))
            if model is None:
                raise StudioError(f"{handle!r} has no model to price yet")
            _set_price(s, model, handle, cents)
        self.ctx.emit(EventKind.PRICE_CHANGED, handle, cents=cents)
        return cents

    def disable(self, handle: str, reason: str | None = None, notice_days: int | None = None) -> dict:
        """Stop the model, at once or after ``notice_days`` (buyers may generate and buy until then)."""
        if notice_days is not None and (isinstance(notice_days, bool) or not isinstance(notice_days, int)
                                        or not 0 <= notice_days <= MAX_NOTICE_DAYS):
            raise StudioError(f"--notice is a whole number of days from 0 to {MAX_NOTICE_DAYS}, not {notice_days!r}")
        now = self.ctx.now()
        at = now + timedelta(days=notice_days or 0)
        with self.ctx.transaction() as s:
            model = model_row(s, self.ctx.creator_row(s, handle))
            if model is None:
                raise StudioError(f"{handle!r} has no model to disable")
            if model.status == "disabled":
                raise StudioError(f"{handle}'s model is already disabled" + (
                    f" (from {model.disabled_at:%Y-%m-%d %H:%M} UTC; `studio model enable {handle}` first "
                    "to change the date)" if not stopped(model, now) else ""))
            model.status, model.disabled_at = "disabled", at
            hidden = self._hide_drafts(s, model, at) if not notice_days else 0
            ledger.append(s, "model.disabled", model.id, {"creator": handle, "model": model.id, "reason": reason,
                                                          "notice_days": notice_days or 0, "effective_at": iso(at),
                                                          "drafts_hidden": hidden})
        self.ctx.emit(EventKind.MODEL_DISABLED, handle, effective_at=at)
        return {"model": model.id, "drafts_hidden": hidden, "effective_at": at, "notice_days": notice_days or 0}

    @staticmethod
    def _hide_drafts(s, model: Model, before: datetime) -> int:
        """Unpurchased previews and drafts made before ``before``: the creator's alone from now on."""
        versions = select(ModelVersion.id).where(ModelVersion.model_id == model.id)
        hidden = 0
        for g in s.scalars(select(Generation).where(Generation.model_version_id.in_(versions),
                                                    Generation.status == "draft", Generation.created_at <= before)):
            g.status = "hidden"
            hidden += 1
        return hidden

    def enable(self, handle: str) -> dict:
        """Undo a disable (during its notice period, or after it took effect): buyers may generate again."""
        now = self.ctx.now()
        with self.ctx.transaction() as s:
            model = model_row(s, self.ctx.creator_row(s, handle))
            if model is None or model.status != "disabled":
                raise StudioError(f"{handle}'s model is not disabled")
            # Previews hidden when the disabling took effect stay hidden: record them so now.
            hidden = self._hide_drafts(s, model, model.disabled_at) if stopped(model, now) else 0
            published = s.scalar(select(ModelVersion.id).where(ModelVersion.model_id == model.id,
                                                               ModelVersion.status == "published"))
            model.status, model.disabled_at = ("published" if published else "draft"), None
            ledger.append(s, "model.enabled", model.id, {"creator": handle, "model": model.id,
                                                         "drafts_hidden": hidden, "status": model.status})
        self.ctx.emit(EventKind.MODEL_ENABLED, handle)
        return {"model": model.id, "status": model.status, "drafts_hidden": hidden}

    def listing(self, handle: str) -> dict:
        """What buyers see of the creator's model: offered or not, the price, and the last day of a notice."""
        now = self.ctx.now()
        with self.ctx.reading() as s:
            model = model_row(s, self.ctx.creator_row(s, handle))
            if model is None:
                raise StudioError(f"{handle!r} has no model yet")
            price = _latest_price(s, model.id)
            version = s.scalar(select(ModelVersion).where(ModelVersion.model_id == model.id,
                                                          ModelVersion.status == "published"))
            closing = model.status == "disabled" and not stopped(model, now)
            offered = version is not None and (model.status == "published" or closing)
            state = ("disabled" if stopped(model, now) else "closing" if closing and offered
                     else "offered" if offered else "not published")
            return {"handle": handle, "model": model.id, "state": state, "offered": offered,
                    "version": version.id if version else None, "number": version.number if version else None,
                    "price_cents": price.cents if price else None,
                    "available_until": model.disabled_at if closing else None,
                    "disabled_at": model.disabled_at if model.status == "disabled" else None}
