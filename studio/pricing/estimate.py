"""Demand estimation from a randomised-price log, and subscription break-even.

`estimate(log)`:

1. compares the demand model families of `studio.pricing.models` (logit in price, logit in log price, a monotone
   spline, a free spline) by K-fold cross-validated held-out log-likelihood and keeps the simplest family within
   one standard error of the best, saying why (`DemandEstimate.family`, `.reason`, `.comparison`);
2. fits it to the whole log (Laplace posterior) and evaluates the population's demand D(p) and revenue
   R(p) = p D(p) on a grid inside the logged prices (the model never extrapolates), with credible bands;
   covariates are averaged over *every* logged session (exact, by unique covariate pattern), and each covariate
   has its own price term;
3. reports the best price, the range of prices whose expected revenue is within 1% of the best (the data rarely
   pin the optimum to a cent), and the revenue at the chosen price *from held-out data*: on each fold the
   price is chosen by a fit to the other folds and the demand there read from that fold's sessions near the price
   (`_heldout_revenue`), so the number
   carries no winner's curse (the maximum of the fitted curve, chosen and scored on the same data, is kept as
   `in_sample_revenue`).

The log must come from randomised prices. A log flagged as a price history the creator set
(`frame.attrs["randomised"] is False`, as `studio.pricing.studio_data` marks the studio's own history) is refused:
see `studio.pricing.observational.dml` for what can be said from it instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import special

from studio.config import DEFAULT_POLICY
from studio.errors import StudioError
from studio.pricing import models
from studio.pricing.logs import clean, read_log

__all__ = ["DemandEstimate", "estimate", "read_log", "NOT_RANDOMISED"]

NOT_RANDOMISED = ("the prices in this log were set by the creator, not randomised: a demand curve fitted to them "
                  "confounds price with whatever made the creator change it (season, new work, a sale). "
                  "Run a randomised test (`studio pricing experiment start`) or ask for the double-machine-learning "
                  "estimate of the local price effect (--dml)")


@dataclass
class DemandEstimate:
    """The posterior of a demand curve. Prices are dollars (floats)."""

    grid: np.ndarray          # prices the curves are evaluated at (inside the logged range)
    demand_draws: np.ndarray  # (draws, len(grid)) posterior draws of D(p)
    logged_prices: np.ndarray
    sessions: int
    purchases: int
    covariates: list[str] = field(default_factory=list)
    level: float = 0.9
    _demand_at: object = None  # callable: price -> (draws,) posterior draws of D(price)
    family: str = "spline"
    reason: str = ""
    comparison: object = None  # pandas DataFrame from models.compare (None when the family was fixed)
    heldout_revenue: float = float("nan")
    heldout_revenue_se: float = float("nan")
    heldout_prices: np.ndarray = field(default_factory=lambda: np.empty(0))

    @property
    def revenue_draws(self) -> np.ndarray:
        return self.grid * self.demand_draws

    @property
    def best_price(self) -> float:
        """The price that maximises posterior expected revenue (= least expected revenue lost)."""
        return float(self.grid[int(np.argmax(self.revenue_draws.mean(axis=0)))])

    @property
    def in_sample_revenue(self) -> float:
        """The maximum of the posterior-mean revenue curve: optimistic (chosen and scored on the same data)."""
        return float(self.revenue_draws.mean(axis=0).max())

    def best_price_range(self, within: float = 0.01) -> tuple[float, float]:
        """The contiguous range of prices around the best whose expected revenue is within `within` of the best."""
        r = self.revenue_draws.mean(axis=0)
        i = int(np.argmax(r))
        ok = r >= (1 - within) * r[i]
        lo = i
        while lo > 0 and ok[lo - 1]:
            lo -= 1
        hi = i
        while hi < len(r) - 1 and ok[hi + 1]:
            hi += 1
        return float(self.grid[lo]), float(self.grid[hi])

    @property
    def best_price_draws(self) -> np.ndarray:
        """Posterior draws of the revenue-maximising price."""
        return self.grid[np.argmax(self.revenue_draws, axis=1)]

    def best_price_interval(self) -> tuple[float, float]:
        q = (1 - self.level) / 2
        lo, hi = np.quantile(self.best_price_draws, [q, 1 - q])
        return float(lo), float(hi)

    def demand_at(self, price: float) -> np.ndarray:
        """Posterior draws of D(price)."""
        lo, hi = self.logged_prices.min(), self.logged_prices.max()
        if not lo <= price <= hi:
            raise StudioError(f"${price:g} is outside the logged prices (${lo:g} to ${hi:g}); the model does not extrapolate")
        return self._demand_at(price)

    def net_earnings(self, price: float, fee_bps: int | None = None, compute_cost: float = 0.0) -> np.ndarray:
        """Posterior draws of the creator's net AI earnings per session at `price`: sales after the platform fee,
        minus the compute cost of the generation each session is shown."""
        fee_bps = DEFAULT_POLICY.platform_fee_bps if fee_bps is None else int(fee_bps)
        return price * self.demand_at(price) * (10_000 - fee_bps) / 10_000 - compute_cost

    def curve(self):
        """The demand and revenue curves with credible bands, as a DataFrame."""
        import pandas as pd

        q = (1 - self.level) / 2
        d, r = self.demand_draws, self.revenue_draws
        return pd.DataFrame({"price": self.grid, "demand": d.mean(0), "demand_lo": np.quantile(d, q, 0),
                             "demand_hi": np.quantile(d, 1 - q, 0), "revenue": r.mean(0),
                             "revenue_lo": np.quantile(r, q, 0), "revenue_hi": np.quantile(r, 1 - q, 0),
                             "p_best": np.bincount(np.argmax(r, axis=1), minlength=len(self.grid)) / len(r)})

    def candidates(self, prices=None):
        """Each candidate price (default: the logged ones): expected revenue per session, its band,
        the chance it is the best candidate, and the expected revenue lost per session by choosing it
        instead of the (unknown) best price on the full curve."""
        import pandas as pd

        prices = np.unique(self.logged_prices) if prices is None else np.asarray(prices, float)
        rd = np.column_stack([p * self.demand_at(p) for p in prices])
        best_any = self.revenue_draws.max(axis=1)
        loss = np.maximum(best_any[:, None] - rd, 0.0)
        q = (1 - self.level) / 2
        return pd.DataFrame({"price": prices, "revenue": rd.mean(0), "revenue_lo": np.quantile(rd, q, 0),
                             "revenue_hi": np.quantile(rd, 1 - q, 0),
                             "p_best": np.bincount(np.argmax(rd, axis=1), minlength=len(prices)) / len(rd),
                             "expected_loss": loss.mean(0)})

    def as_dict(self) -> dict:
        lo, hi = self.best_price_interval()
        rlo, rhi = self.best_price_range()
        cand = self.candidates()
        curve = self.curve()
        comp = [] if self.comparison is None else [
            {k: (round(v, 5) if isinstance(v, float) else v) for k, v in row.items()}
            for row in self.comparison.to_dict("records")]
        return {"sessions": self.sessions, "purchases": self.purchases, "covariates": self.covariates,
                "model": self.family, "model_reason": self.reason, "model_comparison": comp,
                "best_price": round(self.best_price, 4), "best_price_interval": [round(lo, 4), round(hi, 4)],
                "prices_within_1pct": [round(rlo, 4), round(rhi, 4)], "level": self.level,
                "heldout_revenue_per_session": round(self.heldout_revenue, 5),
                "heldout_revenue_se": round(self.heldout_revenue_se, 5),
                "in_sample_revenue_per_session": round(self.in_sample_revenue, 5),
                "candidates": [{k: (round(float(v), 5)) for k, v in row.items()} for row in cand.to_dict("records")],
                "curve": [{k: round(float(v), 5) for k, v in row.items()} for row in curve.iloc[::5].to_dict("records")]}

    def summary(self) -> str:
        lo, hi = self.best_price_interval()
        rlo, rhi = self.best_price_range()
        cand = self.candidates()
        lines = [f"{self.sessions:,} sessions, {self.purchases:,} purchases"
                 + (f", covariates: {', '.join(self.covariates)}" if self.covariates else ""),
                 f"model: {self.family}" + (f" ({self.reason})" if self.reason else "")]
        if self.comparison is not None:
            for r in self.comparison.itertuples():
                lines.append(f"  {r.family:<16} {r.params:>3} params  held-out log-lik/session "
                             f"{r.heldout_loglik_per_session:.4f}  vs best {r.diff_from_best:+8.1f} ± {r.se_diff:.1f}")
        lines += [f"best price ${self.best_price:.2f}; prices within 1% of the best revenue: ${rlo:.2f} to ${rhi:.2f} "
                  f"({self.level:.0%} credible interval of the best price ${lo:.2f} to ${hi:.2f})",
                  f"revenue at the chosen price, held out: ${self.heldout_revenue:.4f} ± {self.heldout_revenue_se:.4f} "
                  f"per session (in-sample, the fitted curve's maximum: ${self.in_sample_revenue:.4f})",
                  f"{'price':>8} {'revenue/session':>16} {'P(best)':>8} {'expected loss':>14}"]
        for r in cand.itertuples():
            lines.append(f"{r.price:>8.2f} {r.revenue:>9.4f} [{r.revenue_lo:.3f}, {r.revenue_hi:.3f}]"[:34].ljust(34)
                         + f"{r.p_best:>6.1%} {r.expected_loss:>12.4f}")
        return "\n".join(lines)

    def break_even(self, price: float, monthly_sessions: float, plan_cents: int | None = None,
                   fee_bps: int | None = None, draws: int = 4000, seed: int = 0, compute_cost: float = 0.0) -> dict:
        """The chance that a month's earnings after the platform fee (and compute, if given) exceed the plan's cost.

        Uncertainty comes from the demand posterior (conversion at `price`) and from traffic and buying being
        random (Poisson sessions, binomial purchases). Defaults: the creator plan and the fee from the policy.
        """
        plan_cents = DEFAULT_POLICY.plans["creator"] if plan_cents is None else int(plan_cents)
        fee_bps = DEFAULT_POLICY.platform_fee_bps if fee_bps is None else int(fee_bps)
        if monthly_sessions < 0:
            raise StudioError("monthly sessions cannot be negative")
        if not price > 0:
            raise StudioError("the price must be positive")
        rng = np.random.default_rng(seed)
        conv = self.demand_at(price)
        conv = conv[rng.integers(0, len(conv), size=draws)]
        n = rng.poisson(monthly_sessions, size=draws)
        sales = rng.binomial(n, conv)
        net_per_sale = price * (10_000 - fee_bps) / 10_000
        earnings = sales * net_per_sale - n * compute_cost
        plan = plan_cents / 100
        per_session = net_per_sale * float(np.mean(conv)) - compute_cost
        need = plan / per_session if per_session > 0 else float("inf")
        return {"price": price, "monthly_sessions": monthly_sessions, "plan_dollars": plan, "fee_bps": fee_bps,
                "compute_cost": compute_cost,
                "chance_earnings_exceed_plan": float(np.mean(earnings > plan)),
                "expected_net_earnings": float(earnings.mean()),
                "earnings_interval": [float(x) for x in np.quantile(earnings, [0.05, 0.95])],
                "break_even_sessions": float(need)}


def _patterns(C: np.ndarray | None):
    if C is None:
        return None, None
    pats, counts = np.unique(C, axis=0, return_counts=True)
    return pats, counts / counts.sum()


def _heldout_revenue(family, price, y, C, grid, k, smoothness, rng, draws=400):
    """Cross-fitted revenue of the chosen price. On each fold the price is chosen by a fit to the other folds;
    its demand is then read from the held-out fold near that price: the training curve is the offset and one
    level shift is fitted to the held-out sessions, weighted by a Gaussian kernel in log price one price gap wide.
    The shape comes from the training folds, the level from data that played no part in the choice."""
    fold = models.folds(len(y), k, rng)
    lp = np.log(np.unique(price))
    h = float(np.median(np.diff(lp))) if len(lp) > 2 else 1.0
    vals, chosen = [], []
    for j in range(k):
        tr, te = fold != j, fold == j
        Ct, Ce = (None, None) if C is None else (C[tr], C[te])
        try:
            a = models.fit(family, price[tr], y[tr], Ct, smoothness=smoothness)
        except (np.linalg.LinAlgError, ValueError, StudioError):
            continue
        pa, wa = _patterns(Ct)
        p = float(grid[int(np.argmax(grid * a.demand(a.draws(draws, rng), grid, pa, wa).mean(0)))])
        eta, yt = a.eta(price[te], Ce), y[te]
        w = np.exp(-0.5 * ((np.log(price[te]) - np.log(p)) / h) ** 2)
        delta = 0.0
        for _ in range(30):  # one-dimensional Newton on the kernel-weighted held-out likelihood
            mu = special.expit(eta + delta)
            hess = float(np.sum(w * mu * (1 - mu)))
            if hess <= 1e-12:
                break
            step = float(np.sum(w * (yt - mu))) / hess
            delta = float(np.clip(delta + step, -10, 10))
            if abs(step) < 1e-10:
                break
        at = np.full(len(yt), p)
        vals.append(float(p * special.expit(a.eta(at, Ce) + delta).mean()))
        chosen.append(p)
    if not vals:
        return float("nan"), float("nan"), np.empty(0)
    v = np.asarray(vals)
    se = float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("nan")
    return float(v.mean()), se, np.asarray(chosen)


def estimate(frame, covariates: list[str] | tuple[str, ...] = (), *, model: str = "auto", draws: int = 2000,
             smoothness: float = 1.5, level: float = 0.9, grid_points: int = 240, folds: int = 5,
             seed: int = 0) -> DemandEstimate:
    """Fit demand to a randomised-price log (a DataFrame or a CSV path). `model`: auto (cross-validated choice)
    or one of `studio.pricing.models.FAMILIES`."""
    if isinstance(frame, (str, Path)):
        frame = read_log(frame)
    if getattr(frame, "attrs", {}).get("randomised") is False:
        raise StudioError(NOT_RANDOMISED)
    price, y, Cf = clean(frame, list(covariates))
    cov_names = list(Cf.columns) if Cf is not None and Cf.shape[1] else []
    C = Cf.to_numpy(float) if cov_names else None
    rng = np.random.default_rng(seed)
    comparison, reason = None, ""
    if model == "auto":
        comparison, family, reason = models.compare(price, y, C, k=folds, smoothness=smoothness, seed=seed)
    else:
        family = model
        models.make_spec(family, price)  # validates the name
    m = models.fit(family, price, y, C, smoothness=smoothness)
    B = m.draws(draws, rng)
    lo, hi = float(price.min()), float(price.max())
    grid = np.unique(np.concatenate([np.geomspace(lo, hi, grid_points), np.unique(price)]))
    pats, weights = _patterns(C)
    d = m.demand(B, grid, pats, weights)
    held, held_se, chosen = _heldout_revenue(family, price, y, C, grid, folds, smoothness, rng)
    return DemandEstimate(grid=grid, demand_draws=d, logged_prices=np.unique(price), sessions=len(y),
                          purchases=int(y.sum()), covariates=cov_names, level=level,
                          _demand_at=lambda p: m.demand(B, [float(p)], pats, weights)[:, 0], family=family,
                          reason=reason, comparison=comparison, heldout_revenue=held, heldout_revenue_se=held_se,
                          heldout_prices=chosen)
