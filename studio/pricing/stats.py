"""A/B analysis an analyst can defend: intervals, power, peeking-safe tests, CUPED, SRM.

- `compare(a, b)`: difference and relative lift of a per-session metric
  (conversion 0/1 or revenue) with Welch confidence intervals.
- `sample_size(sd, mde, sd_b=)` / `mde(n, sd)`: sessions per arm for a two-sided test, with a variance per arm
  (revenue's spread grows with the price, so one SD for both arms under-sizes a price test).
- `ratio_compare(num_a, den_a, num_b, den_b)`: a ratio metric (revenue per session, conversion) when the
  randomised unit is a creator, with delta-method intervals over units (HC2, on a t reference with the effective
  number of units as degrees of freedom: a few creators with much traffic carry much of the information).
- `holm(p_values)`: Holm's step-down correction across arms and segments.
- `sequential(a, b, looks, tau)`: always-valid p-values and confidence sequences
  from the mixture sequential probability ratio test (normal mixture, as in
  Johari, Pekelis & Walsh, "Always valid inference", 2017/2022). Unlike a
  t-test re-run at every look, its false-positive rate stays at alpha however
  often you peek.
- `cuped(y, x, treated)`: variance reduction with a pre-experiment covariate
  (Deng, Xu, Kohavi & Walker 2013).
- `srm(counts, ratios)`: sample-ratio-mismatch check (chi-square).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from studio.errors import StudioError


def _arr(x, name) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim != 1 or len(a) < 2:
        raise StudioError(f"{name} needs at least 2 sessions")
    return a


def compare(a, b, alpha: float = 0.05) -> dict:
    """Arm B against arm A on a per-session metric: difference, relative lift, CIs and p-value."""
    a, b = _arr(a, "arm A"), _arr(b, "arm B")
    ma, mb = a.mean(), b.mean()
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = np.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1)) if se > 0 else np.inf
    t = stats.t.ppf(1 - alpha / 2, dof)
    diff = mb - ma
    p = float(2 * stats.t.sf(abs(diff) / se, dof)) if se > 0 else float(diff == 0)
    # Relative lift mb/ma - 1, delta method on the ratio.
    if ma != 0:
        rel = mb / ma - 1
        se_rel = np.sqrt(vb / ma ** 2 + va * mb ** 2 / ma ** 4)
        rel_ci = [float(rel - t * se_rel), float(rel + t * se_rel)]
    else:
        rel, rel_ci = float("nan"), [float("nan"), float("nan")]
    return {"n_a": len(a), "n_b": len(b), "mean_a": float(ma), "mean_b": float(mb), "diff": float(diff),
            "ci": [float(diff - t * se), float(diff + t * se)], "lift": float(rel), "lift_ci": rel_ci,
            "p_value": p, "alpha": alpha, "significant": bool(p < alpha)}


def sample_size(sd: float, mde: float, alpha: float = 0.05, power: float = 0.8, sd_b: float | None = None) -> int:
    """Sessions per arm to detect an absolute difference `mde` in a metric with standard deviation `sd`
    in arm A and `sd_b` in arm B (default: the same)."""
    sd_b = sd if sd_b is None else sd_b
    if not mde > 0 or not sd > 0 or not sd_b > 0:
        raise StudioError("sample size needs a positive standard deviation and minimum detectable effect")
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return int(np.ceil(z * z * (sd * sd + sd_b * sd_b) / (mde * mde)))


def mde(n_per_arm: int, sd: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """The smallest absolute difference `n_per_arm` sessions per arm detect with the given power."""
    if n_per_arm < 2:
        raise StudioError("minimum detectable effect needs at least 2 sessions per arm")
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return float(z * sd * np.sqrt(2 / n_per_arm))


def sequential(a, b, looks=None, tau: float | None = None, alpha: float = 0.05):
    """Always-valid analysis of B against A, peeking at each of `looks` (sessions per arm so far).

    `a` and `b` are per-session outcomes in arrival order. `tau` is the scale of
    effects you expect (the prior sd of the difference in the mixture); choose it
    before the test, e.g. your minimum detectable effect. The variance is the
    running plug-in estimate, as in production implementations.

    Returns a DataFrame, one row per look: the difference, the naive t-test p-value
    (invalid under peeking), the always-valid p-value, the confidence sequence,
    and whether the always-valid test has stopped (p <= alpha).
    """
    import pandas as pd

    a, b = _arr(a, "arm A"), _arr(b, "arm B")
    n_max = min(len(a), len(b))
    if looks is None:
        looks = np.unique(np.linspace(max(20, n_max // 20), n_max, 20).astype(int))
    looks = np.asarray([n for n in looks if 2 <= n <= n_max], dtype=int)
    if len(looks) == 0:
        raise StudioError("no look falls within the data")
    ca, cb = np.cumsum(a), np.cumsum(b)
    ca2, cb2 = np.cumsum(a * a), np.cumsum(b * b)
    n = looks.astype(float)
    ma, mb = ca[looks - 1] / n, cb[looks - 1] / n
    va = np.maximum((ca2[looks - 1] - n * ma ** 2) / (n - 1), 1e-12)
    vb = np.maximum((cb2[looks - 1] - n * mb ** 2) / (n - 1), 1e-12)
    V = (va + vb) / n  # variance of the difference of means
    diff = mb - ma
    if tau is None:
        tau = float(np.sqrt(va[0] + vb[0]) * 0.1)  # a small effect relative to the early noise
    t2 = tau * tau
    log_lr = 0.5 * np.log(V / (V + t2)) + t2 * diff ** 2 / (2 * V * (V + t2))
    p_av = np.minimum(1.0, np.minimum.accumulate(np.exp(-log_lr)))
    half = np.sqrt(V * (V + t2) / t2 * (np.log((V + t2) / V) - 2 * np.log(alpha)))
    lo, hi = diff - half, diff + half
    lo, hi = np.maximum.accumulate(lo), np.minimum.accumulate(hi)  # intersect: still valid, never wider
    naive = 2 * stats.norm.sf(np.abs(diff) / np.sqrt(V))
    return pd.DataFrame({"n_per_arm": looks, "diff": diff, "p_naive": naive, "p_always_valid": p_av,
                         "cs_lo": lo, "cs_hi": hi, "stop": p_av <= alpha})


def cuped(y, x, treated, alpha: float = 0.05) -> dict:
    """CUPED: adjust outcome `y` by the pre-experiment covariate `x`, then compare arms.

    theta = cov(y, x) / var(x) on the pooled data; y_adj = y - theta (x - mean x).
    Returns the adjusted comparison, the unadjusted one, theta and the variance reduction.
    """
    y, x = np.asarray(y, float), np.asarray(x, float)
    t = np.asarray(treated, bool)
    if not (len(y) == len(x) == len(t)):
        raise StudioError("CUPED needs y, x and treated of the same length")
    vx = x.var()
    theta = float(np.cov(y, x, bias=True)[0, 1] / vx) if vx > 0 else 0.0
    adj = y - theta * (x - x.mean())
    return {"theta": theta, "variance_reduction": float(1 - adj.var() / y.var()) if y.var() > 0 else 0.0,
            "adjusted": compare(adj[~t], adj[t], alpha), "unadjusted": compare(y[~t], y[t], alpha)}


def srm(counts, ratios=None, threshold: float = 0.001) -> dict:
    """Sample-ratio mismatch: do the arms' session counts match the planned split?

    A p-value below `threshold` (0.001 by convention) means the assignment or the
    logging is broken: do not trust the experiment's results until it is explained.
    """
    counts = np.asarray(counts, dtype=float)
    if len(counts) < 2 or counts.sum() <= 0 or np.any(counts < 0):
        raise StudioError("SRM check needs session counts for at least two arms")
    r = np.ones(len(counts)) if ratios is None else np.asarray(ratios, float)
    if len(r) != len(counts) or np.any(r <= 0):
        raise StudioError("SRM check needs one positive planned ratio per arm")
    expected = counts.sum() * r / r.sum()
    chi2, p = stats.chisquare(counts, expected)
    return {"counts": counts.astype(int).tolist(), "expected": expected.round(1).tolist(), "chi2": float(chi2),
            "p_value": float(p), "mismatch": bool(p < threshold)}


def _ratio(num, den) -> dict:
    """sum(num) / sum(den) over independent units, its HC2 variance and Bell-McCaffrey-style degrees of freedom.

    The ratio is the regression of num on den through the origin; a unit's leverage is den^2 / sum(den^2). The
    plain delta-method variance, sum(resid^2) / sum(den)^2, is biased low when a few units carry much of the
    denominator (creators with a lot of traffic): HC2 divides each squared residual by (1 - leverage), which is
    unbiased when the residuals share a variance. With a few heavy units the variance estimate is itself noisy,
    so the reference is a t distribution whose degrees of freedom are the effective number of units
    (sum(den^2))^2 / sum(den^4) - 1: the Satterthwaite degrees of freedom when a unit's residual variance grows
    with the square of its denominator (a creator's own level of earnings, the larger term when creators
    differ), as in Bell & McCaffrey (2002) and Imbens & Kolesar (2016)."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    k = len(num)
    if k < 2 or den.sum() <= 0:
        raise StudioError("a ratio metric needs at least 2 units with a positive denominator")
    r = num.sum() / den.sum()
    resid = num - r * den
    d2 = den * den
    lev = d2 / d2.sum()
    var = float(np.sum(resid * resid / np.maximum(1.0 - lev, 1e-6)) / den.sum() ** 2)
    df = float(max(d2.sum() ** 2 / np.sum(d2 * d2) - 1.0, 1.0))
    return {"r": float(r), "var": var, "df": df}


def ratio(num, den) -> tuple[float, float]:
    """sum(num) / sum(den) over independent units (creators), and its standard error (HC2, see `_ratio`)."""
    m = _ratio(num, den)
    return m["r"], float(np.sqrt(m["var"]))


def welch_df(var_a: float, df_a: float, var_b: float, df_b: float) -> float:
    """Satterthwaite's degrees of freedom of var_a + var_b."""
    tot = var_a + var_b
    if not tot > 0:
        return float("inf")
    return float(tot * tot / (var_a * var_a / df_a + var_b * var_b / df_b))


def ratio_compare(num_a, den_a, num_b, den_b, alpha: float = 0.05) -> dict:
    """Arm B against arm A on a ratio metric, units independent: difference and relative lift with
    delta-method (HC2) intervals on a t reference with Satterthwaite degrees of freedom (`df`), and the
    two-sided p-value."""
    A, B = _ratio(num_a, den_a), _ratio(num_b, den_b)
    ra, rb = A["r"], B["r"]
    sa, sb = np.sqrt(A["var"]), np.sqrt(B["var"])
    df = welch_df(A["var"], A["df"], B["var"], B["df"])
    q = stats.t.ppf(1 - alpha / 2, df)
    diff, se = rb - ra, float(np.hypot(sa, sb))
    lift = rb / ra - 1 if ra else float("nan")
    se_lift = float(np.sqrt(sb ** 2 / ra ** 2 + sa ** 2 * rb ** 2 / ra ** 4)) if ra else float("nan")
    p = float(2 * stats.t.sf(abs(diff) / se, df)) if se > 0 else float(diff == 0)
    return {"mean_a": ra, "mean_b": rb, "diff": diff, "se": se, "df": df, "ci": [diff - q * se, diff + q * se],
            "lift": lift, "lift_se": se_lift, "lift_ci": [lift - q * se_lift, lift + q * se_lift],
            "p_value": p, "units_a": len(np.asarray(num_a)), "units_b": len(np.asarray(num_b))}


def holm(p_values, alpha: float = 0.05) -> dict:
    """Holm's step-down correction: adjusted p-values (family-wise error at most `alpha`) and which to reject."""
    p = np.asarray(p_values, float)
    if p.ndim != 1 or len(p) == 0 or np.any((p < 0) | (p > 1)):
        raise StudioError("Holm's correction needs p-values between 0 and 1")
    order = np.argsort(p)
    m = len(p)
    adj_sorted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    adjusted = np.empty(m)
    adjusted[order] = adj_sorted
    return {"adjusted": adjusted.tolist(), "reject": (adjusted <= alpha).tolist(), "alpha": alpha}
