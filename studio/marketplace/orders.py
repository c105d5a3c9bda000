"""What buyers ordered from a creator: purchases and edit jobs, as one read-only list.

`orders_from(ctx, creator_id, buyers)` is the public query other services use to tie their
own records to money (the assistant links a conversation to what its client bought after
it). Read-only: nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from studio.context import StudioContext
from studio.store.tables import EditRequest, Generation, Purchase

PAID_EDITS = ("accepted", "delivered")  # an edit's quote counts once the buyer accepted it


@dataclass(frozen=True)
class Order:
    kind: str  # "purchase" | "edit job"
    id: str
    buyer: str
    cents: int  # what the buyer paid (a purchase's price, an accepted edit's quote)
    created_at: datetime


def orders_from(ctx: StudioContext, creator_id: str, buyers: Iterable[str]) -> list[Order]:
    """The purchases and accepted edit jobs of `buyers` with the creator, oldest first."""
    buyers = sorted(set(buyers))
    if not buyers:
        return []
    with ctx.reading() as s:
        purchases = s.execute(
            select(Purchase).join(Generation, Generation.id == Purchase.generation_id)
            .where(Purchase.buyer.in_(buyers),
                   or_(Purchase.creator_id == creator_id, Generation.creator_id == creator_id))).scalars().all()
        edits = s.execute(
            select(EditRequest).join(Generation, Generation.id == EditRequest.generation_id)
            .where(EditRequest.buyer.in_(buyers), EditRequest.status.in_(PAID_EDITS),
                   or_(EditRequest.creator_id == creator_id, Generation.creator_id == creator_id))).scalars().all()
        out = [Order("purchase", p.id, p.buyer, p.price_cents, p.created_at) for p in purchases]
        out += [Order("edit job", e.id, e.buyer, e.quote_cents or 0, e.accepted_at or e.created_at) for e in edits]
    return sorted(out, key=lambda o: (o.created_at, o.id))
