"""The market simulator: buyers arrive in sessions and choose AI, the human creator, or leave.

Each session is one buyer with a willingness to pay (WTP) `v` for one AI
generation. Offered the AI price `p` and, if the creator takes human work, the
human price `H`, the buyer compares surpluses:

    AI:     v - p
    human:  uplift * v - H      (the human's work is worth `uplift` times more to them)
    leave:  0

and picks the largest. Human work is limited: the creator can take `capacity`
jobs per period (a period is `sessions_per_period` consecutive sessions). A
buyer who wants the human when the period's capacity is used up falls back to
their next choice (AI if v >= p, otherwise leave). That shared capacity is what
makes buyer-side price tests on a two-sided marketplace biased (see
`studio.pricing.interference`).

Everything is vectorised (no Python loop per session) and seeded: the same seed
gives the same buyers. Prices are dollars (floats) for analysis; the store keeps
integer cents.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from studio.config import DEFAULT_POLICY
from studio.errors import StudioError
from studio.pricing.demand import Demand

MC_SESSIONS = 400_000  # Monte Carlo size for the true conversion when human work makes it non-analytic


@dataclass
class Sessions:
    """What happened in a run of sessions (arrays, one entry per session)."""

    price: np.ndarray      # AI price offered, dollars
    wtp: np.ndarray        # the buyer's willingness to pay for an AI generation
    bought: np.ndarray     # bought an AI generation
    human: np.ndarray      # hired the human creator
    revenue: np.ndarray    # AI revenue, dollars
    human_revenue: np.ndarray
    surplus: np.ndarray    # buyer surplus, dollars
    segment: np.ndarray | None = None
    carry: tuple[int, int] = (-1, 0)  # (last period, human jobs used in it), to continue a run

    def __len__(self) -> int:
        return len(self.price)


def allocate_capacity(wants: np.ndarray, group: np.ndarray, capacity: int, used_first: int = 0) -> np.ndarray:
    """First come, first served: which of the buyers who want human work get it.

    `group` labels consecutive sessions sharing one capacity budget (a creator's
    period) and must be non-decreasing; `used_first` jobs of the first group are
    already taken.
    """
    n = len(wants)
    if n == 0 or capacity <= 0:
        return np.zeros(n, dtype=bool)
    csum = np.cumsum(wants)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    before = np.r_[0, csum[:-1]][starts]  # wants counted before each group starts
    lengths = np.diff(np.r_[starts, n])
    rank = csum - np.repeat(before, lengths)  # 1-based rank among this group's human-seekers
    rank[: lengths[0]] += used_first
    return wants & (rank <= capacity)


@dataclass(frozen=True)
class Market:
    """One creator's market for AI generations (and, optionally, their human work)."""

    demand: Demand
    human_price: float | None = None   # dollars per human job; None: the creator takes no human work
    human_uplift: float = 3.0          # a buyer values the human's work at uplift * their AI WTP
    capacity: int = 0                  # human jobs per period
    sessions_per_period: int = 500
    plan_cents: int = field(default_factory=lambda: DEFAULT_POLICY.plans["creator"])
    fee_bps: int = DEFAULT_POLICY.platform_fee_bps

    @property
    def has_human(self) -> bool:
        return self.human_price is not None and self.capacity > 0

    def simulate(self, prices, seed=None, *, start: int = 0, carry: tuple[int, int] = (-1, 0)) -> Sessions:
        """Run one session per entry of `prices` (dollars). `seed` is an int or a numpy Generator.

        `start` and `carry` continue an earlier run (so capacity per period is
        honoured across batches of an adaptive policy).
        """
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        price = np.asarray(prices, dtype=float)
        if price.ndim == 0:
            raise StudioError("prices must be one per session (an array)")
        n = len(price)
        wtp, segment = self.demand.sample(n, rng)
        ai_surplus = wtp - price
        if self.has_human:
            hum_surplus = self.human_uplift * wtp - self.human_price
            wants = (hum_surplus >= 0) & (hum_surplus > ai_surplus)
            period = (start + np.arange(n)) // self.sessions_per_period
            used = carry[1] if n and carry[0] == period[0] else 0
            human = allocate_capacity(wants, period, self.capacity, used)
            last = int(period[-1]) if n else carry[0]
            carry = (last, int(used + human.sum()) if n and period[0] == last else int(human[period == last].sum()))
        else:
            hum_surplus = np.zeros(n)
            human = np.zeros(n, dtype=bool)
        bought = ~human & (ai_surplus >= 0)
        revenue = np.where(bought, price, 0.0)
        human_revenue = np.where(human, self.human_price or 0.0, 0.0)
        surplus = np.where(bought, ai_surplus, 0.0) + np.where(human, hum_surplus, 0.0)
        return Sessions(price, wtp, bought, human, revenue, human_revenue, surplus, segment, carry)

    def conversion(self, prices) -> np.ndarray:
        """True chance that a session offered each price buys an AI generation.

        Exact (the demand's survival function) without human work; with it, a
        fixed-seed Monte Carlo of `MC_SESSIONS` sessions per price, capacity included.
        """
        prices = np.atleast_1d(np.asarray(prices, dtype=float))
        if not self.has_human:
            return self.demand.survival(prices)
        out = np.empty(len(prices))
        for i, p in enumerate(prices):
            s = self.simulate(np.full(MC_SESSIONS, p), seed=20240601)
            out[i] = s.bought.mean()
        return out

    def oracle(self, prices) -> tuple[float, float]:
        """The best fixed price among `prices` knowing the true demand, and its revenue per session."""
        prices = np.asarray(prices, dtype=float)
        r = prices * self.conversion(prices)
        i = int(np.argmax(r))
        return float(prices[i]), float(r[i])

    def log(self, n: int, prices, seed=None):
        """A log of `n` sessions with prices randomised uniformly over `prices`, as a DataFrame.

        Columns: price (dollars), bought (0/1), segment (if the demand has segments).
        This is the shape `studio.pricing.estimate` reads, and the shape the
        studio's own generation/purchase history exports.
        """
        import pandas as pd

        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        grid = np.asarray(prices, dtype=float)
        shown = grid[rng.integers(0, len(grid), size=n)]
        s = self.simulate(shown, rng)
        frame = pd.DataFrame({"price": shown, "bought": s.bought.astype(int)})
        if s.segment is not None:
            frame["segment"] = s.segment.astype(str)
        return frame
