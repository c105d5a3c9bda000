"""Demand model families, fitted by penalised likelihood and compared by cross-validated held-out likelihood.

Two kinds. Willingness-to-pay (WTP) distributions, D(p) = P(WTP >= p), two parameters each:

- ``logit-price``      logistic WTP:    logit D = a + b p    (the textbook logit)
- ``logit-logprice``   log-logistic:    logit D = a + b log p
- ``lognormal-wtp``    log-normal:      D = Phi(-(log p - mu) / sigma)
- ``uniform-wtp``      uniform:         D = (hi - p) / (hi - lo) on [lo, hi]   (linear demand)
- ``pareto-wtp``       Pareto:          D = min(1, (p / p0)^-e)                (constant elasticity)

and flexible logistic regressions on a spline of the standardised log price z:

- ``monotone-spline``  logit D = a - b z - sum_k c_k s((z - k_k) / w),  b, c_k >= 0
                       (z standardised log price, s the logistic step): demand can only fall as the price rises,
                       but may fall steeply, flatten and fall again (a market of hobby buyers and businesses)
- ``spline``           logit D = a + b z + sum_k c_k w softplus((z - k_k) / w)   (the lab's former model: any shape)

with a knot at each logged price inside the range (at most `MAX_KNOTS`). The logit families and the splines take
covariates (the WTP distributions do not, and are left out of the comparison when covariates are given).
Covariates (a buyer segment, numeric columns) enter as intercept shifts *and* as price x covariate
terms, so a segment may have its own price sensitivity. Priors are Gaussian (weak on the intercept, slope and
covariates; N(0, `smoothness`^2) on the knots); the posterior is the
Laplace approximation at the MAP over the coefficients not held at a bound.

`compare(...)` fits every family on K-1 folds and scores the held-out fold; the chosen family is the simplest one
whose held-out log-likelihood is within one standard error of the best (the one-standard-error rule), and the
reason is returned with the table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from studio.errors import StudioError

FAMILIES = ("logit-price", "logit-logprice", "lognormal-wtp", "uniform-wtp", "pareto-wtp", "monotone-spline", "spline")
MAX_KNOTS = 12
WIDTH = 0.5
COVARIATE_SD = 2.5


@dataclass(frozen=True)
class Spec:
    """How a family turns prices into a design matrix (fixed from the training data)."""

    family: str
    centre: float
    scale: float
    knots: np.ndarray
    width: float
    smoothness: float = 1.5

    def z(self, price) -> np.ndarray:
        p = np.asarray(price, float)
        x = p if self.family == "logit-price" else np.log(p)
        return (x - self.centre) / self.scale

    def basis(self, price) -> np.ndarray:
        z = self.z(price)
        cols = [np.ones_like(z), z]
        if self.family == "monotone-spline":
            cols[1] = -z
            cols += [-special.expit((z - k) / self.width) for k in self.knots]
        elif self.family == "spline":
            cols += [self.width * np.logaddexp(0.0, (z - k) / self.width) for k in self.knots]
        return np.column_stack(cols)

    @property
    def n_base(self) -> int:
        return 2 + (len(self.knots) if self.family in ("monotone-spline", "spline") else 0)

    def prior_sd(self, n_cov: int) -> np.ndarray:
        knot_sd = 3.0 if self.family == "monotone-spline" else self.smoothness
        return np.array([10.0, 5.0] + [knot_sd] * (self.n_base - 2) + [COVARIATE_SD] * (2 * n_cov))

    def bounds(self, n_cov: int):
        if self.family != "monotone-spline":
            return None
        return [(None, None)] + [(0.0, None)] * (self.n_base - 1) + [(None, None)] * (2 * n_cov)


def make_spec(family: str, price: np.ndarray, smoothness: float = 1.5):
    if family not in FAMILIES:
        raise StudioError(f"unknown demand model {family!r}: use one of {', '.join(FAMILIES)} or auto")
    if family in WTP_FAMILIES:
        return WTPSpec(family)
    x = price if family == "logit-price" else np.log(price)
    centre, scale = float(x.mean()), float(x.std()) or 1.0
    z = (x - centre) / scale
    uz = np.unique(z)
    knots = np.empty(0)
    width = 1.0
    if family in ("monotone-spline", "spline"):
        knots = uz[1:-1] if family == "spline" else (uz[:-1] + uz[1:]) / 2
        if len(knots) > MAX_KNOTS:
            knots = np.quantile(z, np.linspace(0, 1, MAX_KNOTS + 2)[1:-1])
        # smoothed over about half the gap between logged prices, so the curve can peak between them
        width = WIDTH * float(np.median(np.diff(uz))) if len(uz) > 2 else 1.0
    return Spec(family, centre, scale, knots, width, smoothness)


@dataclass
class Fit:
    """A fitted family: the MAP, its Laplace covariance, and how to evaluate demand at new prices."""

    spec: Spec
    beta: np.ndarray
    cov: np.ndarray
    cov_mean: np.ndarray | None = None   # covariate standardisation
    cov_scale: np.ndarray | None = None

    def design(self, price, C=None) -> np.ndarray:
        X = self.spec.basis(price)
        if C is None or self.cov_mean is None:
            return X
        c = (np.asarray(C, float) - self.cov_mean) / self.cov_scale
        return np.column_stack([X, c, c * self.spec.z(price)[:, None]])

    def eta(self, price, C=None) -> np.ndarray:
        """The fitted log-odds of a purchase at each (price, covariates) row."""
        return self.design(price, C) @ self.beta

    def loglik(self, price, y, C=None) -> np.ndarray:
        """Per-session log-likelihood at the MAP (for held-out scoring)."""
        eta = self.design(price, C) @ self.beta
        return y * eta - np.logaddexp(0.0, eta)

    def draws(self, n: int, rng: np.random.Generator) -> np.ndarray:
        # Unclipped: the constrained family is monotone at the MAP; clipping draws at a bound would bias the
        # posterior mean (the band is the Laplace approximation over the free coefficients, as for the others).
        return rng.multivariate_normal(self.beta, self.cov, size=n, method="eigh")

    def demand(self, B: np.ndarray, prices, patterns=None, weights=None) -> np.ndarray:
        """Demand at `prices` for each parameter row of `B` (draws x prices), averaged over covariate
        `patterns` (unique covariate rows) with `weights` (their share of the logged sessions)."""
        prices = np.atleast_1d(np.asarray(prices, float))
        X = self.spec.basis(prices)
        nb = self.spec.n_base
        base = B[:, :nb] @ X.T
        if patterns is None or self.cov_mean is None:
            return special.expit(base)
        c = (np.asarray(patterns, float) - self.cov_mean) / self.cov_scale   # (patterns, k)
        k = c.shape[1]
        shift = B[:, nb:nb + k] @ c.T                                           # (draws, patterns)
        slope = B[:, nb + k:nb + 2 * k] @ c.T                                   # (draws, patterns)
        z = self.spec.z(prices)
        out = np.zeros_like(base)
        for j, wj in enumerate(weights):
            out += wj * special.expit(base + shift[:, j:j + 1] + slope[:, j:j + 1] * z[None, :])
        return out


def fit(family: str, price: np.ndarray, y: np.ndarray, C: np.ndarray | None = None, *, spec: Spec | None = None,
        smoothness: float = 1.5) -> Fit:
    """The MAP of one family (L-BFGS-B with the family's bounds) and its Laplace covariance."""
    if family in WTP_FAMILIES:
        if C is not None and C.shape[1]:
            raise StudioError(f"the {family} model takes no covariates")
        return _fit_wtp(family, price, y)
    spec = spec or make_spec(family, price, smoothness)
    f = Fit(spec, np.empty(0), np.empty((0, 0)))
    n_cov = 0
    if C is not None and C.shape[1]:
        n_cov = C.shape[1]
        f.cov_mean, f.cov_scale = C.mean(0), C.std(0)
        f.cov_scale[f.cov_scale == 0] = 1.0
    # Sessions with the same price and covariates are one binomial row: the fit costs the same at any log size.
    rows = price[:, None] if C is None or not n_cov else np.column_stack([price, C])
    uniq, inv = np.unique(rows, axis=0, return_inverse=True)
    inv = inv.ravel()
    n = np.bincount(inv).astype(float)
    k = np.bincount(inv, weights=y)
    X = f.design(uniq[:, 0], uniq[:, 1:] if n_cov else None)
    prec = 1.0 / np.square(spec.prior_sd(n_cov))

    def negpost(b):
        eta = X @ b
        mu = special.expit(eta)
        val = -(np.sum(k * eta - n * np.logaddexp(0.0, eta)) - 0.5 * np.sum(prec * b * b))
        return val, -(X.T @ (k - n * mu) - prec * b)

    b0 = np.zeros(X.shape[1])
    rate = np.clip(y.mean(), 1e-3, 1 - 1e-3)
    b0[0] = np.log(rate / (1 - rate))
    bounds = spec.bounds(n_cov)
    res = optimize.minimize(negpost, b0, jac=True, method="L-BFGS-B", bounds=bounds,
                            options={"maxiter": 3000, "ftol": 1e-11, "gtol": 1e-6})
    beta = res.x
    mu = special.expit(X @ beta)
    H = (X * (n * mu * (1 - mu))[:, None]).T @ X + np.diag(prec)
    # A coefficient held at its bound (zero) by the data is fixed there: the Laplace approximation is taken
    # over the free coefficients only (a Gaussian over a bound would put half its draws where none may go).
    free = np.ones(len(beta), bool)
    if bounds is not None:
        _, grad = negpost(beta)
        free = np.array([b[0] is None or beta[i] > b[0] + 1e-6 or grad[i] < -1e-6 for i, b in enumerate(bounds)])
    cov = np.zeros((len(beta), len(beta)))
    sub = np.linalg.inv(H[np.ix_(free, free)])
    cov[np.ix_(free, free)] = (sub + sub.T) / 2
    f.beta, f.cov = beta, cov
    return f


def folds(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """A fold label per session (balanced, shuffled)."""
    return rng.permutation(np.arange(n) % k)


def compare(price: np.ndarray, y: np.ndarray, C: np.ndarray | None = None, *, families=FAMILIES, k: int = 5,
            smoothness: float = 1.5, seed: int = 0):
    """Cross-validated held-out log-likelihood of each family; returns (table, chosen family, reason).

    Every family is scored on the same folds; the table has the held-out log-likelihood per session, its
    difference from the best family with a standard error (paired over sessions), and the parameter count.
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    fold = folds(len(y), k, rng)
    if C is not None:
        families = [f for f in families if f not in WTP_FAMILIES]  # those take no covariates
    scores = {}
    for fam in families:
        ll = np.empty(len(y))
        for j in range(k):
            tr, te = fold != j, fold == j
            if y[tr].sum() == 0 or y[tr].sum() == tr.sum() or len(np.unique(price[tr])) < 2:
                raise StudioError("too few sessions or purchases to cross-validate the demand models")
            m = fit(fam, price[tr], y[tr], None if C is None else C[tr], smoothness=smoothness)
            ll[te] = m.loglik(price[te], y[te], None if C is None else C[te])
        scores[fam] = ll
    best = max(scores, key=lambda f: scores[f].sum())
    n = len(y)
    rows = []
    for fam in families:
        d = scores[fam] - scores[best]
        se = float(d.std(ddof=1) * np.sqrt(n)) if fam != best else 0.0
        rows.append({"family": fam, "params": make_spec(fam, price).n_base + (0 if C is None else 2 * C.shape[1]),
                     "heldout_loglik_per_session": float(scores[fam].mean()), "diff_from_best": float(d.sum()),
                     "se_diff": se, "within_1se": bool(d.sum() >= -se)})
    table = pd.DataFrame(rows)
    ok = table[table["within_1se"]].sort_values(["params", "heldout_loglik_per_session"], ascending=[True, False])
    chosen = str(ok.iloc[0]["family"])
    if chosen == best:
        reason = f"{best} has the best {k}-fold held-out log-likelihood and no simpler family comes within one SE"
    else:
        r = table.set_index("family").loc[chosen]
        reason = (f"{chosen} ({int(r['params'])} parameters) is within one standard error of the best, {best} "
                  f"(held-out log-likelihood {r['diff_from_best']:+.1f} ± {r['se_diff']:.1f} over {n:,} sessions): "
                  "the simpler model is preferred")
    table.attrs.update({"folds": k, "best": best, "chosen": chosen})
    return table, chosen, reason


# --- Classic willingness-to-pay distributions, no covariates ----------------------------------------------------

WTP_FAMILIES = {
    # name: (parameters, S(p; b) for parameter rows b (..., k) and prices p (1, n) -> (..., n))
    "lognormal-wtp": (2, lambda p, b: special.ndtr(-(np.log(p) - b[..., 0:1]) / np.exp(b[..., 1:2]))),
    "uniform-wtp": (2, lambda p, b: np.clip((b[..., 0:1] + np.exp(b[..., 1:2]) - p) / np.exp(b[..., 1:2]), 0, 1)),
    "pareto-wtp": (2, lambda p, b: np.minimum(1.0, (p / np.exp(b[..., 0:1])) ** -np.exp(b[..., 1:2]))),
}
EPS = 1e-9


@dataclass(frozen=True)
class WTPSpec:
    family: str

    @property
    def n_base(self) -> int:
        return WTP_FAMILIES[self.family][0]

    def z(self, price) -> np.ndarray:
        return np.log(np.asarray(price, float))

    def bounds(self, n_cov: int):
        return None


@dataclass
class WTPFit:
    """A fitted WTP family (log-normal, uniform = linear demand, Pareto = constant elasticity)."""

    spec: WTPSpec
    beta: np.ndarray
    cov: np.ndarray
    cov_mean: None = None

    def _s(self, B, prices) -> np.ndarray:
        return WTP_FAMILIES[self.spec.family][1](np.asarray(prices, float)[None, :], np.atleast_2d(B))

    def eta(self, price, C=None) -> np.ndarray:
        d = np.clip(self._s(self.beta, price)[0], EPS, 1 - EPS)
        return np.log(d / (1 - d))

    def loglik(self, price, y, C=None) -> np.ndarray:
        d = np.clip(self._s(self.beta, price)[0], EPS, 1 - EPS)
        return y * np.log(d) + (1 - y) * np.log1p(-d)

    def draws(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.multivariate_normal(self.beta, self.cov, size=n, method="eigh")

    def demand(self, B, prices, patterns=None, weights=None) -> np.ndarray:
        return self._s(B, np.atleast_1d(np.asarray(prices, float)))


def _starts(family: str, uniq: np.ndarray, rate: np.ndarray) -> list[list[float]]:
    lp = np.log(uniq)
    med = float(np.exp(np.interp(0.5, rate[::-1], lp[::-1]))) if rate.max() > 0.5 > rate.min() \
        else float(np.exp(lp.mean()))
    if family == "lognormal-wtp":
        return [[np.log(med), np.log(s)] for s in (0.3, 0.7, 1.2)]
    if family == "uniform-wtp":
        return [[a, np.log(w)] for a in (0.0, uniq.min()) for w in (med, 2 * med, uniq.max())]
    return [[np.log(p0), np.log(e)] for p0 in (uniq.min(), med / 2, med) for e in (1.0, 2.0, 3.0)]  # pareto


def _fit_wtp(family: str, price: np.ndarray, y: np.ndarray) -> WTPFit:
    uniq, inv = np.unique(price, return_inverse=True)
    n, k = np.bincount(inv).astype(float), np.bincount(inv, weights=y)
    prior = 1e-2  # N(0, 10^2) on each transformed parameter
    s = WTP_FAMILIES[family][1]

    def negpost(b):
        d = np.clip(s(uniq[None, :], np.asarray(b)[None, :])[0], EPS, 1 - EPS)
        return -(np.sum(k * np.log(d) + (n - k) * np.log1p(-d)) - 0.5 * prior * np.sum(np.square(b)))

    best = min((optimize.minimize(negpost, np.asarray(x0, float), method="Nelder-Mead",
                                  options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 6000, "adaptive": True})
                for x0 in _starts(family, uniq, k / n)), key=lambda r: r.fun)
    beta = best.x
    m = len(beta)
    h = 1e-4 * np.maximum(1.0, np.abs(beta))
    H = np.empty((m, m))
    for i in range(m):
        for j in range(i, m):
            e_i, e_j = np.eye(m)[i] * h[i], np.eye(m)[j] * h[j]
            H[i, j] = H[j, i] = (negpost(beta + e_i + e_j) - negpost(beta + e_i - e_j) - negpost(beta - e_i + e_j)
                                 + negpost(beta - e_i - e_j)) / (4 * h[i] * h[j])
    w, V = np.linalg.eigh(H)
    cov = (V / np.maximum(w, prior)) @ V.T  # a kink can leave the curvature at zero along one direction
    return WTPFit(WTPSpec(family), beta, (cov + cov.T) / 2)
