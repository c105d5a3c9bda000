"""Pricing policies run against the simulator: fixed, A/B/n split, Thompson sampling, UCB.

A policy picks an arm (a price on the grid) for each session and learns from
what the buyers did. Adaptive policies update in batches (`batch` sessions at a
time, as a live system updating from an event queue would), so a run of a
million sessions is a few thousand vectorised steps, not a million Python ones.

`run(market, policy, prices, sessions, seed)` returns a `RunResult`: revenue,
the oracle's revenue (the best fixed grid price knowing the true demand),
regret, conversion, buyer surplus, and the policy's estimate of the best price.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from studio.errors import StudioError
from studio.pricing.market import Market


class Policy:
    name = "policy"
    adaptive = False

    def reset(self, prices: np.ndarray) -> None:
        self.prices = np.asarray(prices, dtype=float)
        k = len(self.prices)
        self.shown = np.zeros(k, dtype=np.int64)
        self.sold = np.zeros(k, dtype=np.int64)

    def choose(self, n: int, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def update(self, arms: np.ndarray, bought: np.ndarray) -> None:
        k = len(self.prices)
        self.shown += np.bincount(arms, minlength=k)
        self.sold += np.bincount(arms, weights=bought, minlength=k).astype(np.int64)

    def mean_revenue(self) -> np.ndarray:
        """Observed revenue per session at each price (NaN where never shown)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.prices * self.sold / np.where(self.shown > 0, self.shown, np.nan)

    def best_price(self) -> float:
        r = self.mean_revenue()
        return float(self.prices[int(np.nanargmax(r))]) if np.isfinite(r).any() else float("nan")


class Fixed(Policy):
    """Charge one price to everyone."""

    def __init__(self, price: float):
        if not price > 0:
            raise StudioError(f"a fixed price must be positive (got {price})")
        self.price = float(price)
        self.name = f"fixed:{price:g}"

    def reset(self, prices):
        super().reset(np.asarray([self.price]))

    def choose(self, n, rng):
        return np.zeros(n, dtype=np.int64)

    def best_price(self):
        return self.price


class ABSplit(Policy):
    """An even A/B/n split: each session sees a uniformly random grid price, for the whole run."""

    name = "ab"

    def choose(self, n, rng):
        return rng.integers(0, len(self.prices), size=n)


class Thompson(Policy):
    """Thompson sampling over the price grid with Beta priors on each price's conversion.

    The demand prior is a believed conversion curve `prior_mean` (a callable of
    price, or None for 0.5 everywhere) worth `prior_strength` pseudo-sessions per
    price. Each session draws a conversion for every price from the posterior and
    takes the price with the highest sampled revenue p * theta.
    """

    name = "thompson"
    adaptive = True

    def __init__(self, prior_mean=None, prior_strength: float = 2.0):
        self.prior_mean = prior_mean
        self.prior_strength = float(prior_strength)

    def reset(self, prices):
        super().reset(prices)
        m = np.full(len(self.prices), 0.5) if self.prior_mean is None else np.asarray(self.prior_mean(self.prices), float)
        m = np.clip(m, 0.01, 0.99)
        self.alpha0 = self.prior_strength * m
        self.beta0 = self.prior_strength * (1 - m)

    def posterior_mean_revenue(self) -> np.ndarray:
        a = self.alpha0 + self.sold
        b = self.beta0 + self.shown - self.sold
        return self.prices * a / (a + b)

    def choose(self, n, rng):
        a = self.alpha0 + self.sold
        b = self.beta0 + self.shown - self.sold
        theta = rng.beta(a, b, size=(n, len(self.prices)))
        return np.argmax(theta * self.prices, axis=1)

    def best_price(self):
        return float(self.prices[int(np.argmax(self.posterior_mean_revenue()))])


class ExploreThenCommit(Policy):
    """Show every grid price evenly for the first `explore` share of the run, then charge the price with the best
    observed revenue per session for the rest: the fair baseline for an adaptive policy (an A/B test that acts
    on its result), unlike an even split kept for the whole run."""

    adaptive = True

    def __init__(self, explore: float = 0.2):
        if not 0 < explore < 1:
            raise StudioError(f"the exploration share must be between 0 and 1 (got {explore})")
        self.explore = float(explore)
        self.name = f"explore-then-commit:{explore:g}"
        self.horizon = None  # set by `run`
        self.committed = None

    def reset(self, prices):
        super().reset(prices)
        self.committed = None

    def choose(self, n, rng):
        budget = self.explore * (self.horizon or 10_000)
        if self.committed is None and self.shown.sum() < budget:
            return rng.integers(0, len(self.prices), size=n)
        if self.committed is None:
            self.committed = int(np.nanargmax(self.mean_revenue()))
        return np.full(n, self.committed, dtype=np.int64)


class UCB(Policy):
    """UCB1 on conversion, scaled by price: index = p * min(1, rate + sqrt(2 ln t / n))."""

    name = "ucb"
    adaptive = True

    def choose(self, n, rng):
        unseen = np.flatnonzero(self.shown == 0)
        if len(unseen):  # show every price once first
            return np.resize(unseen, n)
        t = self.shown.sum()
        rate = self.sold / self.shown
        index = self.prices * np.minimum(1.0, rate + np.sqrt(2 * np.log(max(t, 2)) / self.shown))
        best = np.flatnonzero(index >= index.max() - 1e-12)
        return best[rng.integers(0, len(best), size=n)] if len(best) > 1 else np.full(n, best[0], dtype=np.int64)


def make_policy(spec: str) -> Policy:
    """A policy from a short spec: fixed:P | ab | etc[:SHARE] | thompson | ucb."""
    kind, _, arg = spec.strip().partition(":")
    kind = kind.lower()
    if kind == "fixed":
        try:
            return Fixed(float(arg))
        except ValueError:
            raise StudioError(f"policy {spec!r}: use fixed:PRICE, e.g. fixed:0.5") from None
    if kind in ("ab", "abn", "split"):
        return ABSplit()
    if kind in ("thompson", "ts"):
        return Thompson()
    if kind == "ucb":
        return UCB()
    if kind in ("etc", "explore-then-commit"):
        try:
            return ExploreThenCommit(float(arg) if arg else 0.2)
        except ValueError:
            raise StudioError(f"policy {spec!r}: use etc or etc:SHARE, e.g. etc:0.2") from None
    raise StudioError(f"unknown policy {spec!r}: use fixed:P, ab, etc[:SHARE], thompson or ucb")


def check_prices(prices) -> np.ndarray:
    try:
        p = np.asarray([float(x) for x in prices], dtype=float)
    except (TypeError, ValueError):
        raise StudioError(f"prices must be numbers (got {prices!r})") from None
    if len(p) == 0:
        raise StudioError("give at least one price")
    if not np.all(np.isfinite(p)) or np.any(p <= 0):
        raise StudioError(f"prices must be positive dollar amounts (got {', '.join(f'{x:g}' for x in p)})")
    if len(np.unique(p)) != len(p):
        raise StudioError("the price grid has duplicate prices")
    return np.sort(p)


@dataclass
class RunResult:
    """The outcome of one policy run. Dollars are floats (analysis); the store keeps cents."""

    policy: str
    demand: str
    sessions: int
    prices: np.ndarray
    revenue: float
    oracle_price: float
    oracle_revenue: float
    conversion: float
    buyer_surplus: float
    human_jobs: int
    best_price: float
    arms: "object"   # pandas DataFrame: one row per grid price
    curve: "object"  # pandas DataFrame: cumulative revenue and regret over sessions
    seed: int | None = None
    extra: dict = field(default_factory=dict)
    log: "object" = None  # pandas DataFrame: price shown and bought (0/1), one row per session

    def estimate(self, **kwargs):
        """Bayesian demand estimate from this run's own sessions (`studio.pricing.estimate`).

        Valid for adaptive policies too: the choice of price depends only on past
        outcomes, so the likelihood (and the posterior) is the same as under a
        fixed design.
        """
        from studio.pricing.estimate import estimate

        return estimate(self.log, **kwargs)

    @property
    def regret(self) -> float:
        return self.oracle_revenue - self.revenue

    @property
    def share_of_oracle(self) -> float:
        return self.revenue / self.oracle_revenue if self.oracle_revenue > 0 else float("nan")

    def as_dict(self) -> dict:
        return {"policy": self.policy, "demand": self.demand, "sessions": self.sessions, "seed": self.seed,
                "prices": [float(p) for p in self.prices], "revenue": round(self.revenue, 4),
                "oracle_price": self.oracle_price, "oracle_revenue": round(self.oracle_revenue, 4),
                "regret": round(self.regret, 4), "share_of_oracle": round(self.share_of_oracle, 4),
                "conversion": round(self.conversion, 5), "buyer_surplus": round(self.buyer_surplus, 4),
                "human_jobs": self.human_jobs, "best_price": self.best_price, **self.extra}

    def summary(self) -> str:
        return (f"{self.policy} on {self.demand}, {self.sessions:,} sessions\n"
                f"  revenue        ${self.revenue:,.2f}  ({self.share_of_oracle:.1%} of the oracle's ${self.oracle_revenue:,.2f}"
                f" at ${self.oracle_price:g})\n"
                f"  regret         ${self.regret:,.2f}\n"
                f"  conversion     {self.conversion:.2%}\n"
                f"  buyer surplus  ${self.buyer_surplus:,.2f}\n"
                f"  best price     ${self.best_price:g} (the policy's estimate)")


def run(market: Market, policy: Policy, prices, sessions: int, seed: int | None = 0, batch: int | None = None,
        curve_points: int = 200) -> RunResult:
    """Run `policy` for `sessions` sessions on `market` over the price grid `prices` (dollars).

    Adaptive policies update every `batch` sessions (default: 100, or sessions / 2000 for long runs).
    """
    import pandas as pd

    prices = check_prices(prices)
    if sessions < 1:
        raise StudioError(f"sessions must be at least 1 (got {sessions})")
    market_rng, policy_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    policy.horizon = sessions
    policy.reset(prices)
    grid = policy.prices
    true_conv = market.conversion(grid)
    oracle_price, oracle_rps = market.oracle(np.union1d(prices, grid))  # a fixed price off the grid counts too

    batch = max(100, sessions // 2000) if batch is None else batch
    step = sessions if not policy.adaptive else max(1, batch)
    arms_all = np.empty(sessions, dtype=np.int64)
    revenue = np.empty(sessions)
    bought_n = surplus = 0.0
    human_jobs = 0
    carry = (-1, 0)
    for start in range(0, sessions, step):
        n = min(step, sessions - start)
        arms = policy.choose(n, policy_rng)
        s = market.simulate(grid[arms], market_rng, start=start, carry=carry)
        carry = s.carry
        policy.update(arms, s.bought)
        arms_all[start:start + n] = arms
        revenue[start:start + n] = s.revenue
        bought_n += s.bought.sum()
        surplus += s.surplus.sum()
        human_jobs += int(s.human.sum())

    # Pseudo-regret: what the oracle expects minus what the chosen price expects, per session.
    expected = grid[arms_all] * true_conv[arms_all]
    idx = np.unique(np.linspace(1, sessions, min(curve_points, sessions)).astype(np.int64))
    cum_rev = np.cumsum(revenue)[idx - 1]
    cum_regret = np.cumsum(oracle_rps - expected)[idx - 1]
    curve = pd.DataFrame({"session": idx, "revenue": cum_rev, "oracle_revenue": oracle_rps * idx,
                          "regret": cum_regret})
    shown = np.bincount(arms_all, minlength=len(grid))
    sold = np.bincount(arms_all, weights=np.asarray(revenue > 0, float), minlength=len(grid))
    with np.errstate(invalid="ignore", divide="ignore"):
        arms = pd.DataFrame({"price": grid, "shown": shown, "bought": sold.astype(int),
                             "conversion": np.where(shown > 0, sold / np.maximum(shown, 1), np.nan),
                             "revenue_per_session": np.where(shown > 0, grid * sold / np.maximum(shown, 1), np.nan),
                             "true_revenue_per_session": grid * true_conv})
    return RunResult(policy=policy.name, demand=market.demand.describe(), sessions=sessions, prices=grid,
                     revenue=float(revenue.sum()), oracle_price=oracle_price, oracle_revenue=oracle_rps * sessions,
                     conversion=float(bought_n / sessions), buyer_surplus=float(surplus), human_jobs=human_jobs,
                     best_price=policy.best_price(), arms=arms, curve=curve, seed=seed,
                     log=pd.DataFrame({"price": grid[arms_all], "bought": (revenue > 0).astype(np.int8)}))


def compare(market: Market, policies, prices, sessions: int, seeds=range(20), level: float = 0.95):
    """Each policy over the same seeds (common random numbers): mean share of the oracle's revenue with a
    t-interval over seeds, and what is left unlearnt at the end: how often the policy's final price is not the
    oracle's, and the revenue per session its final price forgoes against the oracle's (known only in simulation).

    Per-price observed means of an adaptive run are biased low (a price that had a bad start is shown less and
    stays underestimated), so none is reported as an estimate; the final price's revenue is the simulator's truth.
    """
    import pandas as pd
    from scipy import stats as st

    grid = check_prices(prices)
    true = dict(zip(grid, grid * market.conversion(grid)))
    o_price, o_rev = market.oracle(grid)
    seeds = list(seeds)
    rows = []
    for spec in policies:
        shares, wrong, forgone = [], [], []
        for seed in seeds:
            r = run(market, make_policy(spec) if isinstance(spec, str) else spec, grid, sessions, seed=seed)
            shares.append(r.share_of_oracle)
            final = min(grid, key=lambda p: abs(p - r.best_price))
            wrong.append(final != o_price)
            forgone.append(1 - true[final] / o_rev)
            name = r.policy
        shares = np.asarray(shares)
        half = st.t.ppf(0.5 + level / 2, len(shares) - 1) * shares.std(ddof=1) / np.sqrt(len(shares))
        rows.append({"policy": name, "seeds": len(seeds), "share_of_oracle": shares.mean(),
                     "ci_lo": shares.mean() - half, "ci_hi": shares.mean() + half, "worst_seed": shares.min(),
                     "final_price_not_oracle": float(np.mean(wrong)),
                     "revenue_forgone_after_run": float(np.mean(forgone))})
    out = pd.DataFrame(rows)
    out.attrs.update({"oracle_price": o_price, "sessions": sessions, "level": level})
    return out
