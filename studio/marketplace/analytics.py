"""Platform analytics: sales, revenue and previews-to-purchase conversion, aggregated and anonymised.

What the platform may learn from its marketplace, and nothing more: counts and sums per UTC day
and per creator level (the level each creator has now), never a row per buyer, creator or asset.

The rule: **no figure describes fewer than `Policy.analytics_min_buyers` (5) distinct buyers.**

- A group (a day, a level) with fewer buyers is left out of its table, and the table says how many
  were left out.
- The overall figures are shown beside the tables, so a group left out could be worked out by
  subtracting the groups shown from them. When the groups left out of a table hold fewer than the
  minimum of buyers between them, the smallest groups shown are left out too, until they hold
  enough (or nothing is shown): no subtraction names fewer than the minimum.
- The overall figures themselves need the minimum of buyers, or they are left out as well.

Buyers are counted as distinct email addresses; a buyer who bought on two days counts on each.
The tables read purchase and preview rows only: no image, portfolio item or other blob is opened.
(Not covered: a group of enough buyers dominated by one of them, and the same figures cut two ways
at once; each table is anonymised on its own.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from studio.money import dollars
from studio.store.tables import Creator, Generation, Purchase

SALES = ["buyers", "sales", "revenue_cents", "fee_cents"]
CONVERSION = ["buyers", "previews", "purchases", "conversion"]


def suppressed_groups(buyers: dict[Any, set[str]], k: int) -> set:
    """The groups to leave out: those under ``k`` buyers, then the smallest others until the groups
    left out hold at least ``k`` buyers between them (or every group is left out)."""
    hidden = {g for g, b in buyers.items() if len(b) < k}
    while hidden and len(hidden) < len(buyers) and len(set().union(*(buyers[g] for g in hidden))) < k:
        hidden.add(min((g for g in buyers if g not in hidden), key=lambda g: (len(buyers[g]), str(g))))
    return hidden


@dataclass
class PlatformAnalytics:
    min_buyers: int
    overall: dict[str, Any] | None  # None when fewer than min_buyers bought
    by_day: Any  # pandas DataFrame indexed by UTC day: buyers, sales, revenue_cents, fee_cents
    by_level: Any  # pandas DataFrame indexed by creator level, the same columns
    conversion: Any  # pandas DataFrame indexed by creator level: buyers, previews, purchases, conversion
    left_out: dict[str, int] = field(default_factory=dict)  # table -> groups not shown

    def notes(self) -> list[str]:
        k, out = self.min_buyers, []
        for table, n in self.left_out.items():
            if n:
                out.append(f"{n} {table} group(s) left out: each describes fewer than {k} buyers, or could be "
                           f"worked out from those that do")
        if self.overall is None:
            out.append(f"overall figures left out: fewer than {k} buyers in all")
        return out

    def as_dict(self) -> dict:
        def records(df):
            return df.reset_index().to_dict(orient="records")

        return {"min_buyers": self.min_buyers, "overall": self.overall, "by_day": records(self.by_day),
                "by_level": records(self.by_level), "conversion": records(self.conversion),
                "left_out": self.left_out, "notes": self.notes()}

    def text(self) -> str:
        import pandas as pd

        def shown(df):
            if not len(df):
                return "(no group has enough buyers to be shown)"
            df = df.copy()
            for c in ("revenue_cents", "fee_cents"):
                if c in df:
                    df[c.removesuffix("_cents")] = df.pop(c).map(dollars)
            if "conversion" in df:
                df["conversion"] = df["conversion"].map(lambda r: f"{r:.1%}")
            return df.to_string()

        o = self.overall
        head = (f"all: {o['buyers']} buyers, {o['sales']} sales, {dollars(o['revenue_cents'])} revenue, "
                f"{dollars(o['fee_cents'])} platform fees" if o else "all: not shown")
        if o and o.get("conversion") is not None:
            head += f"; {o['previews']} previews to {o['sales']} sales ({o['conversion']:.1%})"
        with pd.option_context("display.width", 200):
            parts = [f"Platform analytics (no group of fewer than {self.min_buyers} buyers is shown)", head,
                     f"\nsales per day (UTC):\n{shown(self.by_day)}",
                     f"\nsales per creator level:\n{shown(self.by_level)}",
                     f"\npreviews to purchases per creator level:\n{shown(self.conversion)}"]
        notes = self.notes()
        return "\n".join(parts) + ("\n\n" + "\n".join(f"note: {n}" for n in notes) if notes else "")


class Analytics:
    def __init__(self, ctx):
        self.ctx = ctx

    def run(self) -> PlatformAnalytics:
        import pandas as pd

        k = self.ctx.policy.analytics_min_buyers
        with self.ctx.reading() as s:
            sales = pd.DataFrame(s.execute(
                select(Purchase.buyer, Purchase.created_at, Creator.level, Purchase.price_cents, Purchase.fee_cents)
                .join(Generation, Generation.id == Purchase.generation_id)
                .join(Creator, Creator.id == Generation.creator_id)).all(),
                columns=["buyer", "at", "level", "price_cents", "fee_cents"])
            shown = pd.DataFrame(s.execute(
                select(Generation.buyer, Creator.level, Purchase.id)
                .join(Creator, Creator.id == Generation.creator_id)
                .outerjoin(Purchase, Purchase.generation_id == Generation.id)
                .where(Generation.buyer.is_not(None))).all(), columns=["buyer", "level", "purchase"])
        sales["day"] = [t.date().isoformat() for t in sales["at"]]
        shown["bought"] = shown["purchase"].notna()
        left_out = {}

        def table(frame, key: str, name: str, columns: list[str], agg) -> Any:
            groups = {g: set(part["buyer"]) for g, part in frame.groupby(key)} if len(frame) else {}
            hidden = suppressed_groups(groups, k)
            left_out[name] = len(hidden)
            rows = [{key: g, "buyers": len(groups[g]), **agg(frame[frame[key] == g])}
                    for g in sorted(groups) if g not in hidden]
            return pd.DataFrame(rows, columns=[key, *columns]).set_index(key)

        def money(part) -> dict:
            return {"sales": len(part), "revenue_cents": int(part["price_cents"].sum()),
                    "fee_cents": int(part["fee_cents"].sum())}

        def converted(part) -> dict:
            return {"previews": len(part), "purchases": int(part["bought"].sum()),
                    "conversion": float(part["bought"].mean())}

        by_day = table(sales, "day", "day", SALES, money)
        by_level = table(sales, "level", "creator level", SALES, money)
        conversion = table(shown, "level", "conversion", CONVERSION, converted)
        overall = None
        if sales["buyer"].nunique() >= k:
            overall = {"buyers": int(sales["buyer"].nunique()), **money(sales), "previews": None, "conversion": None}
            if shown["buyer"].nunique() >= k:
                overall.update(previews=len(shown), conversion=float(shown["bought"].mean()))
        return PlatformAnalytics(k, overall, by_day, by_level, conversion, left_out)
