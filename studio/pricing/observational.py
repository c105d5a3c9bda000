"""What a price *history* can say: a double-machine-learning estimate of the local price effect.

When the creator set the prices (the studio's own history), price is confounded with time (a season, new work,
a burst of traffic from a post). A demand curve fitted to such a log is not a causal curve, and
`studio.pricing.estimate` refuses it. What can be estimated, under the assumption that the observed controls
capture why prices changed, is the local effect of log price on the chance of a purchase in the partially linear
model (Chernozhukov et al. 2018):

    bought = theta * log(price) + g(X) + e,        log(price) = m(X) + v

with g and m learnt by cross-fitted flexible regressions (ridge on piecewise-linear features of the controls,
K folds), and theta from the residual-on-residual regression, with its influence-function standard error.
The elasticity of conversion at the mean is theta / mean(bought), and revenue rises with a small price rise
when 1 + elasticity > 0. It is a local slope, not a best price, and it is only as good as the controls: when
the controls explain nearly all of the price variation there is nothing left to learn from, and it refuses.

Controls built from the studio's log: days since the first preview, day of the week, the buyer's earlier
previews, and the creator (when there are several).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from studio.errors import StudioError


def controls(log) -> np.ndarray:
    """Numeric control matrix from an exposure log (`studio.pricing.live.exposure_log`)."""
    import pandas as pd

    t = pd.to_datetime(log["shown_at"], utc=True)
    days = ((t - t.min()).dt.total_seconds() / 86_400).to_numpy(float)
    order = np.argsort(t.to_numpy(), kind="stable")
    earlier = np.empty(len(log))
    earlier[order] = log["buyer"].iloc[order].groupby(log["buyer"].iloc[order]).cumcount().to_numpy(float)
    cols = [days, earlier]
    cols += [(t.dt.dayofweek == d).to_numpy(float) for d in range(1, 7)]
    if "creator" in log and log["creator"].nunique() > 1:
        cols += [(log["creator"] == c).to_numpy(float) for c in sorted(log["creator"].unique())[1:]]
    return np.column_stack(cols)


def _features(X: np.ndarray, knots: int = 6) -> np.ndarray:
    """Piecewise-linear features: each column, and hinges at its quantiles (binary columns stay as they are)."""
    out = [np.ones(len(X))]
    for j in range(X.shape[1]):
        x = X[:, j]
        sd = x.std() or 1.0
        out.append((x - x.mean()) / sd)
        if len(np.unique(x)) > 2:
            for q in np.unique(np.quantile(x, np.linspace(0, 1, knots + 2)[1:-1])):
                out.append(np.maximum(0.0, x - q) / sd)
    return np.column_stack(out)


def _ridge(F: np.ndarray, y: np.ndarray, lam: float = 1.0) -> np.ndarray:
    A = F.T @ F + lam * np.eye(F.shape[1])
    A[0, 0] -= lam  # no penalty on the intercept
    return np.linalg.solve(A, F.T @ y)


def dml(log, X: np.ndarray | None = None, k: int = 5, seed: int = 0) -> dict:
    """theta (effect of log price on purchase probability), the conversion elasticity and what it means."""
    price = np.asarray(log["price"], float)
    y = np.asarray(log["bought"], float)
    if len(y) < 50:
        raise StudioError(f"only {len(y)} previews: too few for a double-machine-learning estimate (50 or more)")
    if len(np.unique(price)) < 2:
        raise StudioError("every preview was shown at one price: nothing to learn about price from this history")
    T = np.log(price)
    X = controls(log) if X is None else np.asarray(X, float)
    F = _features(X)
    fold = np.random.default_rng(seed).permutation(np.arange(len(y)) % k)
    v, r = np.empty(len(y)), np.empty(len(y))
    for j in range(k):
        tr, te = fold != j, fold == j
        v[te] = T[te] - F[te] @ _ridge(F[tr], T[tr])
        r[te] = y[te] - F[te] @ _ridge(F[tr], y[tr])
    explained = 1 - v.var() / T.var() if T.var() > 0 else 1.0
    if explained > 0.97:
        raise StudioError(f"the controls explain {explained:.0%} of the price changes (prices moved with time or "
                          "the buyers' history): the history has no price variation left to learn from. "
                          "Run a randomised price test instead")
    theta = float(np.sum(v * r) / np.sum(v * v))
    psi = (r - theta * v) * v / np.mean(v * v)
    se = float(np.sqrt(np.mean(psi ** 2) / len(y)))
    mean_y = float(y.mean())
    el, el_se = theta / mean_y, se / mean_y
    z = stats.norm.ppf(0.975)
    lo, hi = 1 + el - z * el_se, 1 + el + z * el_se
    verdict = ("a small price rise would raise revenue" if lo > 0 else "a small price cut would raise revenue"
               if hi < 0 else "the history cannot tell whether a small price change would raise or lower revenue")
    return {"method": "double machine learning (partially linear, cross-fitted ridge)", "sessions": len(y),
            "theta": theta, "theta_se": se, "elasticity": el, "elasticity_ci": [el - z * el_se, el + z * el_se],
            "revenue_elasticity_ci": [lo, hi], "price_variation_explained_by_controls": float(explained),
            "verdict": verdict,
            "caveat": "causal only if the controls capture why the creator changed the price; a local slope, "
                      "not a best price"}
