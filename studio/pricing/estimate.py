"""Demand estimation from real logs, and subscription break-even.

The log: one row per session with the price shown (`price`, dollars, or
`price_cents`) and whether the buyer bought (`bought`: 0/1 or true/false), plus
optional covariates (numeric, or categorical such as a buyer segment). The
studio's generation/purchase history exports in this form.

The model is a Bayesian logistic regression of `bought` on log price with a
flexible shape:

    logit P(buy | p, x) = b0 + b1 z + sum_j c_j h(z - k_j) + g' x,   z = standardised log p

where h is a smooth hinge (softplus): a smooth, nearly piecewise-linear curve in
log price with a knot at every logged price (up to 12), so it can follow a bimodal market (hobby buyers and businesses) as well as
a textbook logit. Priors are Gaussian (weak on b0, b1 and g; N(0, `smoothness`^2)
on the slope changes c, which keeps the curve smooth where data are thin). The
posterior is the Laplace approximation at the MAP (Newton's method), from which
we draw parameter samples.

From the draws: the demand curve D(p) (averaged over the logged covariates, so
it is the population's demand), the revenue curve R(p) = p D(p) with credible
bands, the posterior of the revenue-maximising price, and the expected revenue
lost by each candidate price. Prices are only evaluated inside the logged range:
the model never extrapolates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import special

from studio.config import DEFAULT_POLICY
from studio.errors import StudioError

MAX_KNOTS = 12
WIDTH = 0.5


def read_log(path: Path | str):
    """Read a CSV purchase log (see module docstring)."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise StudioError(f"log file not found: {path}")
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise StudioError(f"the log {path} is empty: it needs 'price' and 'bought' columns") from None


def _clean(frame, covariates) -> tuple[np.ndarray, np.ndarray, object]:
    import pandas as pd

    if frame is None or len(frame) == 0:
        raise StudioError("the log is empty: it needs one row per session with 'price' and 'bought'")
    cols = list(frame.columns)
    if "price" in cols:
        raw, scale, col = frame["price"], 1.0, "price"
    elif "price_cents" in cols:
        raw, scale, col = frame["price_cents"], 0.01, "price_cents"
    else:
        raise StudioError(f"the log has no 'price' (dollars) or 'price_cents' column (found: {', '.join(map(str, cols))})")
    if "bought" not in cols:
        raise StudioError(f"the log has no 'bought' column (found: {', '.join(map(str, cols))})")
    price = pd.to_numeric(raw, errors="coerce")
    bad = price.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise StudioError(f"row {i + 1}: {col} {raw.iloc[i]!r} is not a number")
    price = price.to_numpy(float) * scale
    if (price < 0).any():
        i = int(np.flatnonzero(price < 0)[0])
        raise StudioError(f"row {i + 1}: {col} {raw.iloc[i]} is negative; prices must be positive")
    if (price == 0).any():
        raise StudioError(f"{int((price == 0).sum())} sessions have price 0; free sessions say nothing about "
                          "willingness to pay: drop them from the log")
    b = frame["bought"]
    if b.dtype == object:
        b = b.astype(str).str.strip().str.lower().map({"1": 1, "0": 0, "true": 1, "false": 0, "yes": 1, "no": 0,
                                                       "1.0": 1, "0.0": 0})
    bought = pd.to_numeric(b, errors="coerce")
    if bought.isna().any() or not bought.isin([0, 1]).all():
        i = int(np.flatnonzero((bought.isna() | ~bought.isin([0, 1])).to_numpy())[0])
        v = frame["bought"].iloc[i]
        shown = repr(v) if isinstance(v, str) else v
        raise StudioError(f"row {i + 1}: bought {shown} must be 0/1 or true/false")
    bought = bought.to_numpy(float)
    if bought.sum() == 0:
        raise StudioError(f"the log has no purchases in {len(bought):,} sessions: demand cannot be estimated "
                          "(try lower prices or collect more sessions)")
    if bought.sum() == len(bought):
        raise StudioError(f"every one of the {len(bought):,} sessions bought: demand cannot be estimated "
                          "(try higher prices)")
    uniq = np.unique(price)
    if len(uniq) < 2:
        raise StudioError(f"every session saw the same price (${uniq[0]:g}): a demand curve needs randomised "
                          "prices (at least 2, better 5 or more)")
    X = None
    if covariates:
        missing = [c for c in covariates if c not in cols]
        if missing:
            raise StudioError(f"covariate(s) not in the log: {', '.join(missing)}")
        X = pd.get_dummies(frame[list(covariates)], drop_first=True, dtype=float)
        if X.isna().any().any():
            raise StudioError("covariates have missing values; fill or drop them first")
    return price, bought, X


def _basis(z: np.ndarray, knots: np.ndarray, width: float) -> np.ndarray:
    """Intercept, slope, and a smooth hinge (softplus of width `width`) at each knot."""
    return np.column_stack([np.ones_like(z), z] + [width * np.logaddexp(0.0, (z - k) / width) for k in knots])


def _fit_map(X, y, prior_prec, iters: int = 100):
    """MAP of a logistic regression with a Gaussian prior (Newton's method with step halving)."""
    beta = np.zeros(X.shape[1])

    def objective(b):
        eta = X @ b
        return np.sum(y * eta - np.logaddexp(0, eta)) - 0.5 * np.sum(prior_prec * b * b)

    f = objective(beta)
    for _ in range(iters):
        mu = special.expit(X @ beta)
        grad = X.T @ (y - mu) - prior_prec * beta
        H = (X * (mu * (1 - mu))[:, None]).T @ X + np.diag(prior_prec)
        step = np.linalg.solve(H, grad)
        t = 1.0
        while t > 1e-6:
            new = beta + t * step
            fn = objective(new)
            if fn >= f - 1e-12:
                break
            t /= 2
        beta, f_old, f = new, f, fn
        if abs(f - f_old) < 1e-9 * (1 + abs(f)) and np.max(np.abs(t * step)) < 1e-8 + 1e-6 * np.max(np.abs(beta)):
            break
    mu = special.expit(X @ beta)
    H = (X * (mu * (1 - mu))[:, None]).T @ X + np.diag(prior_prec)
    return beta, H


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

    @property
    def revenue_draws(self) -> np.ndarray:
        return self.grid * self.demand_draws

    @property
    def best_price(self) -> float:
        """The price that maximises posterior expected revenue (= least expected revenue lost)."""
        return float(self.grid[int(np.argmax(self.revenue_draws.mean(axis=0)))])

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
        cand = self.candidates()
        curve = self.curve()
        return {"sessions": self.sessions, "purchases": self.purchases, "covariates": self.covariates,
                "best_price": round(self.best_price, 4), "best_price_interval": [round(lo, 4), round(hi, 4)],
                "level": self.level,
                "best_revenue_per_session": round(float(self.revenue_draws.mean(0).max()), 5),
                "candidates": [{k: (round(float(v), 5)) for k, v in row.items()} for row in cand.to_dict("records")],
                "curve": [{k: round(float(v), 5) for k, v in row.items()} for row in curve.iloc[::5].to_dict("records")]}

    def summary(self) -> str:
        lo, hi = self.best_price_interval()
        cand = self.candidates()
        lines = [f"{self.sessions:,} sessions, {self.purchases:,} purchases"
                 + (f", covariates: {', '.join(self.covariates)}" if self.covariates else ""),
                 f"best price ${self.best_price:.2f}  ({self.level:.0%} credible interval ${lo:.2f} to ${hi:.2f})",
                 f"{'price':>8} {'revenue/session':>16} {'P(best)':>8} {'expected loss':>14}"]
        for r in cand.itertuples():
            lines.append(f"{r.price:>8.2f} {r.revenue:>9.4f} [{r.revenue_lo:.3f}, {r.revenue_hi:.3f}]"[:34].ljust(34)
                         + f"{r.p_best:>6.1%} {r.expected_loss:>12.4f}")
        return "\n".join(lines)

    def break_even(self, price: float, monthly_sessions: float, plan_cents: int | None = None,
                   fee_bps: int | None = None, draws: int = 4000, seed: int = 0) -> dict:
        """The chance that a month's earnings after the platform fee exceed the plan's cost.

        Uncertainty comes from the demand posterior (conversion at `price`) and from
        traffic and buying being random (Poisson sessions, binomial purchases).
        Defaults: the creator plan and the platform fee from the studio's policy.
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
        earnings = sales * net_per_sale
        plan = plan_cents / 100
        need = plan / (net_per_sale * float(np.mean(conv))) if np.mean(conv) > 0 else float("inf")
        return {"price": price, "monthly_sessions": monthly_sessions, "plan_dollars": plan, "fee_bps": fee_bps,
                "chance_earnings_exceed_plan": float(np.mean(earnings > plan)),
                "expected_net_earnings": float(earnings.mean()),
                "earnings_interval": [float(x) for x in np.quantile(earnings, [0.05, 0.95])],
                "break_even_sessions": float(need)}


def estimate(frame, covariates: list[str] | tuple[str, ...] = (), *, draws: int = 2000, smoothness: float = 1.5,
             level: float = 0.9, grid_points: int = 240, seed: int = 0) -> DemandEstimate:
    """Fit the Bayesian demand model to a purchase log (a DataFrame or a CSV path)."""
    if isinstance(frame, (str, Path)):
        frame = read_log(frame)
    price, y, C = _clean(frame, list(covariates))
    logp = np.log(price)
    centre, scale = float(logp.mean()), float(logp.std()) or 1.0
    z = (logp - centre) / scale
    uz = np.unique(z)
    inner = uz[1:-1]
    if len(inner) > MAX_KNOTS:
        inner = np.quantile(z, np.linspace(0, 1, MAX_KNOTS + 2)[1:-1])
    # Hinges are smoothed over about half the gap between logged prices, so the curve
    # (and the revenue-maximising price) can sit between them instead of at a kink.
    width = WIDTH * float(np.median(np.diff(uz))) if len(uz) > 2 else 1.0
    X = _basis(z, inner, width)
    prior_sd = [10.0, 5.0] + [smoothness] * len(inner)
    cov_names: list[str] = []
    cmean = cscale = None
    if C is not None and C.shape[1]:
        cov_names = list(C.columns)
        cv = C.to_numpy(float)
        cmean, cscale = cv.mean(0), cv.std(0)
        cscale[cscale == 0] = 1.0
        X = np.column_stack([X, (cv - cmean) / cscale])
        prior_sd += [2.5] * cv.shape[1]
    prec = 1.0 / np.square(prior_sd)
    beta, H = _fit_map(X, y, prec)
    cov = np.linalg.inv(H)
    cov = (cov + cov.T) / 2
    rng = np.random.default_rng(seed)
    B = rng.multivariate_normal(beta, cov, size=draws, method="cholesky")
    nb = 2 + len(inner)
    lo, hi = float(price.min()), float(price.max())
    grid = np.geomspace(lo, hi, grid_points)
    grid = np.unique(np.concatenate([grid, np.unique(price)]))
    # Covariate rows to average over: a fixed subsample of the logged sessions' covariates.
    if cov_names:
        sub = rng.choice(len(y), size=min(len(y), 60), replace=False)
        offsets = B[:, nb:] @ ((C.to_numpy(float)[sub] - cmean) / cscale).T  # (draws, rows)
    else:
        offsets = np.zeros((draws, 1))

    def demand_at_many(prices: np.ndarray) -> np.ndarray:
        zz = (np.log(prices) - centre) / scale
        base = B[:, :nb] @ _basis(zz, inner, width).T  # (draws, len(prices))
        out = np.zeros_like(base)
        for j in range(offsets.shape[1]):
            out += special.expit(base + offsets[:, j:j + 1])
        return out / offsets.shape[1]

    return DemandEstimate(grid=grid, demand_draws=demand_at_many(grid), logged_prices=np.unique(price),
                          sessions=len(y), purchases=int(y.sum()), covariates=cov_names, level=level,
                          _demand_at=lambda p: demand_at_many(np.array([float(p)]))[:, 0])
