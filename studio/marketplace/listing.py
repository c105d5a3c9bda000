"""Publishing a creator's model, its price, and disabling it.

Invariant: a model is offered to buyers only while one of its versions is published, and a
version is published only if its creator is vetted and it passed the quality gate.
"""

from __future__ import annotations

from sqlalchemy import select

from studio.context import StudioContext
from studio.errors import StudioError
from studio.events import EventKind
from studio.money import check_price_cents
from studio.quality.gate import score_rows
from studio.rights import ledger
from studio.store.tables import Generation, Model, ModelVersion, Price, utcnow
from studio.training.versions import Versions, VersionView, model_row


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
    def __init__(self, ctx: StudioContext, creators, versions: Versions):
        self.ctx, self.creators, self.versions = ctx, creators, versions

    def current_price(self, model_id: str) -> int | None:
        with self.ctx.reading() as s:
            row = _latest_price(s, model_id)
            return row.cents if row else None

    def price(self, handle: str) -> int | None:
        """The creator's model's current price in cents (None if never priced)."""
        with self.ctx.reading() as s:
            model = model_row(s, self.ctx.creator_row(s, handle))
            row = _latest_price(s, model.id) if model else None
            return row.cents if row else None

    def publish(self, handle: str, version_id: str | None = None, price_cents: int | None = None) -> VersionView:
        """Offer a version to buyers. Refused unless the creator is vetted and the version passed the gate."""
        self.creators.require_vetted(handle)
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
            row.status, row.published_at = "published", utcnow()
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

    def disable(self, handle: str, reason: str | None = None) -> dict:
        """Stop the model: no new generations; unpurchased drafts become visible to the creator only."""
        with self.ctx.transaction() as s:
            model = model_row(s, self.ctx.creator_row(s, handle))
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
        self.ctx.emit(EventKind.MODEL_DISABLED, handle)
        return {"model": model.id, "drafts_hidden": hidden}
