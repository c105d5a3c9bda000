"""What creators earn: statements, and payout runs that settle what each is owed.

Every sale leaves one payout line (`purchases`): the price minus the platform fee, in cents,
owed to the model's creator. `run` settles, for each creator whose unsettled lines add up to
`Policy.payout_minimum_cents` or more, all of those lines at once: one payout row, the lines
pointing at it, and a ``payout.settled`` ledger event naming them, in one transaction. A creator
under the minimum is carried to the next run. A line points at one payout or none, and `run`
takes the ledger's lock before it reads the open lines, so two runs at once (threads, processes,
or on PostgreSQL) settle each line once: running it again pays nothing.

`statement` reports a creator's generations, sales, fees and earnings per UTC day and per model
version (pandas DataFrames), with what was paid and what is still owed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from studio.context import StudioContext
from studio.events import EventKind
from studio.money import dollars
from studio.rights import ledger
from studio.store.tables import Creator, Generation, ModelVersion, Payout, PayoutLine, Purchase

COLUMNS = ["generations", "previews", "sales", "gross_cents", "fee_cents", "earned_cents"]


@dataclass
class Statement:
    handle: str
    by_day: Any  # pandas DataFrame indexed by UTC day
    by_version: Any  # pandas DataFrame indexed by model version number
    totals: dict[str, int]
    paid_cents: int
    owed_cents: int
    payouts: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"handle": self.handle, "totals": self.totals, "paid_cents": self.paid_cents,
                "owed_cents": self.owed_cents, "payouts": self.payouts,
                "by_day": self.by_day.reset_index().to_dict(orient="records"),
                "by_version": self.by_version.reset_index().to_dict(orient="records")}

    def text(self) -> str:
        import pandas as pd

        def shown(df):
            df = df.copy()
            for c in ("gross_cents", "fee_cents", "earned_cents"):
                df[c.removesuffix("_cents")] = df.pop(c).map(dollars)
            return df.to_string() if len(df) else "(nothing yet)"

        with pd.option_context("display.width", 200):
            t = self.totals
            return (f"{self.handle}: {t['generations']} generations ({t['previews']} buyer previews), "
                    f"{t['sales']} sales, {dollars(t['gross_cents'])} gross, {dollars(t['fee_cents'])} platform fee, "
                    f"{dollars(t['earned_cents'])} earned; paid {dollars(self.paid_cents)}, "
                    f"owed {dollars(self.owed_cents)}\n\nper day (UTC):\n{shown(self.by_day)}"
                    f"\n\nper model version:\n{shown(self.by_version)}")


class Payouts:
    def __init__(self, ctx: StudioContext):
        self.ctx = ctx

    def run(self) -> dict:
        """Settle every creator owed at least the minimum; returns what was paid and what was carried."""
        minimum = self.ctx.policy.payout_minimum_cents
        paid, carried = [], []
        with self.ctx.transaction() as s:
            ledger.lock(s)  # one run at a time: the lines read below are still open at commit
            owed = s.execute(select(PayoutLine.creator_id, func.sum(PayoutLine.cents), func.count(PayoutLine.id))
                             .where(PayoutLine.payout_id.is_(None)).group_by(PayoutLine.creator_id)).all()
            for creator_id, cents, n in sorted(owed):
                handle = s.get(Creator, creator_id).handle
                if cents < minimum:
                    carried.append({"creator": handle, "cents": int(cents), "lines": n})
                    continue
                lines = list(s.scalars(select(PayoutLine).where(PayoutLine.creator_id == creator_id,
                                                                PayoutLine.payout_id.is_(None))
                                       .order_by(PayoutLine.created_at, PayoutLine.id)))
                payout = Payout(creator_id=creator_id, cents=sum(x.cents for x in lines), lines=len(lines),
                                created_at=self.ctx.now())
                s.add(payout)
                s.flush()
                for line in lines:
                    line.payout_id = payout.id
                ledger.append(s, "payout.settled", payout.id, {
                    "creator": handle, "creator_id": creator_id, "cents": payout.cents,
                    "lines": [x.id for x in lines]})
                paid.append({"payout": payout.id, "creator": handle, "cents": payout.cents, "lines": len(lines)})
        for p in paid:
            self.ctx.emit(EventKind.PAYOUT_SETTLED, p["creator"], payout=p["payout"], cents=p["cents"])
        return {"paid": paid, "carried": carried, "minimum_cents": minimum,
                "total_cents": sum(p["cents"] for p in paid)}

    def statement(self, handle: str) -> Statement:
        import pandas as pd

        cells: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
        with self.ctx.reading() as s:
            creator = self.ctx.creator_row(s, handle)
            numbers = dict(s.execute(select(ModelVersion.id, ModelVersion.number)).all())
            for g in s.scalars(select(Generation).where(Generation.creator_id == creator.id)):
                cell = cells[(g.created_at.date().isoformat(), numbers.get(g.model_version_id, 0))]
                cell["generations"] += 1
                cell["previews"] += g.buyer is not None
            for p in s.scalars(select(Purchase).where(Purchase.creator_id == creator.id)):
                cell = cells[(p.created_at.date().isoformat(), numbers.get(p.model_version_id, 0))]
                cell["sales"] += 1
                cell["gross_cents"] += p.price_cents
                cell["fee_cents"] += p.fee_cents
                cell["earned_cents"] += p.creator_cents
            payouts = [{"payout": p.id, "cents": p.cents, "lines": p.lines, "at": p.created_at}
                       for p in s.scalars(select(Payout).where(Payout.creator_id == creator.id)
                                          .order_by(Payout.created_at))]
            owed = s.scalar(select(func.sum(PayoutLine.cents)).where(PayoutLine.creator_id == creator.id,
                                                                     PayoutLine.payout_id.is_(None))) or 0
        rows = [{"day": day, "version": version, **c} for (day, version), c in sorted(cells.items())]
        frame = pd.DataFrame(rows, columns=["day", "version", *COLUMNS])
        by_day = frame.groupby("day")[COLUMNS].sum().astype(int)
        by_version = frame.groupby("version")[COLUMNS].sum().astype(int)
        totals = {c: int(frame[c].sum()) for c in COLUMNS}
        return Statement(handle, by_day, by_version, totals, sum(p["cents"] for p in payouts), int(owed), payouts)
