"""A confirmatory test of a recommended price against the current one, randomised by creator.

The estimand is the creator's net earnings per buyer session: AI sales after the platform fee, minus the compute
cost of the generation each session is shown. The unit of randomisation is the creator (every buyer of a creator
sees one price), so the analysis is at the creator level: ratio metrics (sum over a creator's sessions / their
sessions) compared between arms with delta-method (HC2) standard errors over creators and a t reference on the
effective number of creators (`stats.ratio_compare`).

- `Population`: simulated creators who differ in their buyers' willingness to pay (a log-normal multiplier) and
  in traffic (log-normal sessions a day); a creator-day is a Poisson number of sessions per buyer segment.
- `plan(...)`: creators per arm for a stated power, from per-arm variances (revenue's spread grows with the price)
  and the design effect of creator-level randomisation (creator-to-creator variation in earnings per session and
  in traffic), inflated for a group-sequential design with the looks' real information fractions and for the
  t reference on the effective number of creators.
- `information_fractions(...)`: the share of the final information each look holds. Looks are equally spaced
  in days, not in information: a creator's own level of earnings per session does not average out over days, so
  with creators who differ the first weekly look already holds most of it (about 0.86-0.92 of it here).
- `boundaries(...)`: two-sided group-sequential boundaries with Lan-DeMets O'Brien-Fleming alpha spending, spent
  on the information fractions (spending on calendar time, as this module once did, assumed the looks were
  far less correlated than they are: a test that rarely stopped early and a power calculation for the wrong
  design).
- `trial(...)`: one simulated test: looks at equally spaced days, a daily sample-ratio check on the creators who
  logged sessions in each arm, non-inferiority guardrails (conversion, paying buyers, repeat purchases per
  session) and the effect by buyer segment with Holm's correction, read at the stop with the repeated confidence
  interval of the look it stopped at.
- `error_rates(...)`: the false-positive rate of A/A tests and the power at the plan's size, by simulation.

Everything here is a simulation of creators the studio does not have yet; the notebook says so wherever it shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import stats as st

from studio.config import DEFAULT_POLICY
from studio.errors import StudioError
from studio.pricing import stats
from studio.pricing.demand import Demand, Mixture

MIN_CREATORS = 20  # per arm: the delta-method interval over creators needs enough of them
GUARDRAILS = {"conversion": 0.25, "paying_buyers": 0.25, "repeat_purchases": 0.25}  # largest relative drop allowed


@dataclass(frozen=True)
class Population:
    """Creators whose buyers' willingness to pay is the typical `demand` scaled by a per-creator multiplier."""

    demand: Demand
    wtp_spread: float = 0.25       # log-scale SD of a creator's WTP multiplier
    traffic: float = 30.0          # median buyer sessions per creator per day
    traffic_spread: float = 0.8    # log-scale SD of traffic across creators
    repeat_share: float = 0.3      # share of purchases made by buyers who bought from that creator before
    fee_bps: int = DEFAULT_POLICY.platform_fee_bps
    compute_cost: float = 0.0      # dollars of compute per generation shown (one per session)

    def segments(self) -> list[tuple[float, str, Demand]]:
        if isinstance(self.demand, Mixture):
            return list(self.demand.parts)
        return [(1.0, "all", self.demand)]

    def creators(self, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(WTP multiplier, mean sessions a day) for `k` creators."""
        mult = np.exp(self.wtp_spread * rng.standard_normal(k))
        rate = self.traffic * np.exp(self.traffic_spread * rng.standard_normal(k))
        return mult, rate

    def panel(self, price: np.ndarray, mult: np.ndarray, rate: np.ndarray, days: int, rng) -> dict:
        """Each creator's days at their price: arrays (creators, days, segments) of sessions, purchases, repeats."""
        segs = self.segments()
        k = len(price)
        lam = np.stack([w * rate for w, _, _ in segs], axis=-1)                       # (k, S)
        conv = np.stack([d.survival(price / mult) for _, _, d in segs], axis=-1)       # (k, S)
        sessions = rng.poisson(np.broadcast_to(lam[:, None, :], (k, days, len(segs))))
        purchases = rng.binomial(sessions, np.broadcast_to(conv[:, None, :], sessions.shape))
        repeat = rng.binomial(purchases, self.repeat_share)
        return {"sessions": sessions, "purchases": purchases, "repeat": repeat, "price": price,
                "segments": [s for _, s, _ in segs]}

    def net_per_sale(self, price) -> np.ndarray:
        return np.asarray(price, float) * (10_000 - self.fee_bps) / 10_000


def arm_moments(pop: Population, price: float, days: int, creators: int = 200_000, seed: int = 0) -> dict:
    """Per-arm moments of net earnings per session under creator randomisation (exact given the creators, by
    Monte Carlo over creators): the ratio R, the variance per expected session of a creator's residual
    (Y_c - R N_c), the per-session variance, and the design effect (their ratio)."""
    rng = np.random.default_rng(seed)
    mult, rate = pop.creators(creators, rng)
    conv = pop.demand.survival(price / mult)
    a = float(pop.net_per_sale(price))
    mu = a * conv - pop.compute_cost                      # creator's mean net earnings per session
    s2 = a * a * conv * (1 - conv)                        # within-creator variance per session
    n = days * rate                                       # expected sessions per creator in the test
    R = float(np.sum(n * mu) / np.sum(n))
    v = n * s2 + (n * n + n) * (mu - R) ** 2              # E[(Y_c - R N_c)^2]
    V = float(v.mean() / n.mean())                        # variance per session-equivalent
    iid = float(np.sum(n * (s2 + (mu - R) ** 2)) / np.sum(n))  # the same sessions randomised one by one
    return {"price": price, "mean": R, "var_per_session": V, "iid_var": iid, "design_effect": V / iid,
            "sessions_per_creator": float(n.mean()),
            # effective creators per creator, (E n^2)^2 / E n^4: the t reference's degrees of freedom per creator
            "effective_share": float(np.mean(n * n) ** 2 / np.mean(n ** 4))}


def information_fractions(pop: Population, control: float, treatment: float, days: int, looks: int,
                          seed: int = 0) -> list[float]:
    """The share of the final statistical information (1 / variance of the difference) reached at each look.

    Looks are equally spaced in days, but information is not: with creators as units, a creator's own level of
    earnings per session does not average out over days, so the first week can already carry most of the
    information. Spending alpha by calendar time would treat the first look as a quarter of the information when
    it is nearly all of it (the boundaries then no longer spend the alpha they claim, and the power calculation's
    inflation factor is for the wrong correlation between looks); the spending is by information instead."""
    var = []
    for d in look_days(days, looks):
        m0 = arm_moments(pop, control, d, seed=seed)
        m1 = arm_moments(pop, treatment, d, seed=seed + 1)
        var.append((m0["var_per_session"] + m1["var_per_session"]) / m0["sessions_per_creator"])
    var = np.asarray(var)
    t = np.maximum.accumulate(var[-1] / var)   # information never falls between looks
    return [float(x) for x in np.minimum(t, 1.0)]


def look_days(days: int, looks: int) -> list[int]:
    """The days of `looks` looks equally spaced over `days` days (the last on the last day)."""
    return [max(1, int(round(days * (j + 1) / looks))) for j in range(looks)]


def _fractions(looks_or_t) -> tuple[float, ...]:
    if isinstance(looks_or_t, (int, np.integer)):
        if looks_or_t < 1:
            raise StudioError("a group-sequential design needs at least one look")
        return tuple(float(x) for x in np.arange(1, looks_or_t + 1) / looks_or_t)
    t = tuple(round(float(x), 4) for x in looks_or_t)  # rounded: the boundaries are cached by fractions
    if not t or t[0] <= 0 or abs(t[-1] - 1) > 1e-9 or any(b < a for a, b in zip(t, t[1:])):
        raise StudioError("information fractions must rise from above 0 to 1")
    return t  # a look that adds no information gets a boundary nothing crosses


@lru_cache(maxsize=64)
def _boundaries(t: tuple, alpha: float, paths: int = 400_000, seed: int = 2024) -> tuple:
    t = np.asarray(t, float)
    looks = len(t)
    # Lan-DeMets O'Brien-Fleming spending of alpha / 2 on each side (the convention of gsDesign and ldbounds),
    # evaluated at the information fraction of each look
    spend = 2 * (2 - 2 * st.norm.cdf(st.norm.ppf(1 - alpha / 4) / np.sqrt(t)))
    rng = np.random.default_rng(seed)
    inc = rng.standard_normal((paths, looks)) * np.sqrt(np.diff(np.r_[0.0, t]))
    z = np.cumsum(inc, axis=1) / np.sqrt(t)
    alive = np.ones(paths, bool)
    out = []
    for j in range(looks):
        target = (spend[j] - (spend[j - 1] if j else 0.0)) * paths   # paths allowed to cross at this look
        a = np.abs(z[alive, j])
        if j == 0:  # exact: nothing has stopped before the first look
            b = float(st.norm.ppf(1 - spend[0] / 2))
        elif target < 1:
            b = max(float(a.max()) + 1e-9, 8.0) if len(a) else 8.0
        else:
            b = float(np.sort(a)[::-1][int(round(target)) - 1]) if int(round(target)) <= len(a) else 0.0
        out.append(b)
        alive &= np.abs(z[:, j]) < b
    return tuple(out), tuple(float(x) for x in t)


def boundaries(looks, alpha: float = 0.05) -> dict:
    """Two-sided z boundaries with O'Brien-Fleming-type alpha spending: `looks` equally spaced in information
    (an int), or a list of information fractions (from `information_fractions`), the last 1."""
    b, t = _boundaries(_fractions(looks), float(alpha))
    return {"z": list(b), "information": list(t), "alpha": alpha}


def inflation(looks, alpha: float = 0.05, power: float = 0.8, paths: int = 200_000, seed: int = 7) -> float:
    """Maximum information of the group-sequential design over a fixed design's, for the same power
    (`looks`: a count of equally spaced looks, or information fractions as for `boundaries`)."""
    t = _fractions(looks)
    if len(t) == 1:
        return 1.0
    b, t = _boundaries(t, float(alpha))
    rng = np.random.default_rng(seed)
    w = np.cumsum(rng.standard_normal((paths, len(t))) * np.sqrt(np.diff(np.r_[0.0, t])), axis=1)
    fixed = st.norm.ppf(1 - alpha / 2) + st.norm.ppf(power)

    def power_at(theta):  # drift theta * sqrt(info): z_k = (W_k + theta t_k) / sqrt(t_k)
        z = (w + theta * np.asarray(t)) / np.sqrt(t)
        return float(np.mean((np.abs(z) >= np.asarray(b)).any(axis=1)))

    lo, hi = fixed, fixed * 1.5
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if power_at(mid) < power else (lo, mid)
    return float((hi / fixed) ** 2)


def plan(pop: Population, control: float, treatment: float, days: int = 28, *, alpha: float = 0.05,
         power: float = 0.8, looks: int = 4, mde: float | None = None, seed: int = 0) -> dict:
    """Creators per arm for a creator-randomised test of `treatment` against `control` over `days` days.

    `mde` is the smallest difference in net earnings per session worth detecting (default: the difference the
    population implies, i.e. plan for the effect the demand estimate predicts).
    """
    if control == treatment and mde is None:
        raise StudioError("an A/A design has no effect to size for: give --mde")
    m0, m1 = arm_moments(pop, control, days, seed=seed), arm_moments(pop, treatment, days, seed=seed + 1)
    delta = abs(m1["mean"] - m0["mean"]) if mde is None else float(mde)
    if not delta > 0:
        raise StudioError("the minimum detectable effect must be positive")
    z = st.norm.ppf(1 - alpha / 2) + st.norm.ppf(power)
    n_iid_one_sd = 2 * z * z * m0["iid_var"] / delta ** 2                      # the lab's former advice
    n_iid = z * z * (m0["iid_var"] + m1["iid_var"]) / delta ** 2                # per-arm variances
    n_cluster = z * z * (m0["var_per_session"] + m1["var_per_session"]) / delta ** 2  # plus the design effect
    info = information_fractions(pop, control, treatment, days, looks, seed=seed)
    infl = inflation(info, alpha, power)   # for the correlation between looks this design really has
    base = n_cluster * infl / m0["sessions_per_creator"]
    # The test reads a t statistic on the effective number of creators (a few with much traffic carry much of
    # the information): the normal-theory size is scaled by (t quantiles / z quantiles)^2 at that many.
    t_factor, needed = 1.0, int(np.ceil(base))
    for _ in range(50):
        k = max(MIN_CREATORS, needed)
        df = stats.welch_df(m0["var_per_session"], max(k * m0["effective_share"] - 1, 1.0),
                            m1["var_per_session"], max(k * m1["effective_share"] - 1, 1.0))
        t_factor = float(((st.t.ppf(1 - alpha / 2, df) + st.t.ppf(power, df)) / z) ** 2)
        if int(np.ceil(base * t_factor)) == needed:
            break
        needed = int(np.ceil(base * t_factor))
    creators = max(MIN_CREATORS, needed)  # fewer units and the normal approximation over creators fails
    return {"control": control, "treatment": treatment, "days": days, "alpha": alpha, "power": power,
            "looks": looks, "mde": delta, "control_mean": m0["mean"], "treatment_mean": m1["mean"],
            "design_effect": [m0["design_effect"], m1["design_effect"]],
            "sessions_per_arm_one_sd": int(np.ceil(n_iid_one_sd)), "sessions_per_arm_iid": int(np.ceil(n_iid)),
            "sessions_per_arm_fixed": int(np.ceil(n_cluster)), "inflation": infl, "t_factor": t_factor,
            "degrees_of_freedom": df, "creators_per_arm": creators,
            "creators_needed_for_power": needed,
            "sessions_per_arm": int(np.ceil(creators * m0["sessions_per_creator"])),
            "information": info, "look_days": look_days(days, looks), "boundaries": boundaries(info, alpha)["z"]}


def _totals(panel: dict, upto: int, seg=None) -> dict:
    """Per-creator sums over the first `upto` days (and one segment, or all)."""
    sl = (slice(None), slice(0, upto), slice(None) if seg is None else slice(seg, seg + 1))
    return {key: panel[key][sl].sum(axis=(1, 2)) for key in ("sessions", "purchases", "repeat")}


def _metrics(pop: Population, panel: dict, arm: np.ndarray, a: int, b: int, upto: int, seg=None) -> dict:
    """Net earnings per session and the guardrails, arm b against arm a, creators as units."""
    tot = _totals(panel, upto, seg=seg)
    price = panel["price"]
    net = pop.net_per_sale(price) * tot["purchases"] - pop.compute_cost * tot["sessions"]
    ia, ib = arm == a, arm == b
    out = {"net_earnings": stats.ratio_compare(net[ia], tot["sessions"][ia], net[ib], tot["sessions"][ib])}
    for name, num in (("conversion", tot["purchases"]), ("paying_buyers", tot["purchases"] - tot["repeat"]),
                      ("repeat_purchases", tot["repeat"])):
        out[name] = stats.ratio_compare(num[ia], tot["sessions"][ia], num[ib], tot["sessions"][ib])
    return out


def guardrails(metrics: dict, margins: dict | None = None, alpha: float = 0.05) -> list[dict]:
    """Non-inferiority of each guardrail: the one-sided (1 - alpha) lower bound of the relative change must lie
    above -margin."""
    margins = GUARDRAILS if margins is None else margins
    rows = []
    for name, margin in margins.items():
        m = metrics[name]
        lower = m["lift"] - st.t.ppf(1 - alpha, m.get("df", np.inf)) * m["lift_se"]
        rows.append({"guardrail": name, "control": m["mean_a"], "treatment": m["mean_b"], "lift": m["lift"],
                     "lower_bound": lower, "margin": -margin, "non_inferior": bool(lower > -margin)})
    return rows


def trial(pop: Population, control: float, treatment: float, creators_per_arm: int, days: int = 28, *,
          looks: int = 4, alpha: float = 0.05, margins: dict | None = None, seed: int = 0,
          drop_exposures: float = 0.0, information: list[float] | None = None) -> dict:
    """One simulated creator-randomised test with group-sequential looks. `information`: the information fraction
    at each look (default: what these arms' creators are expected to accrue, `information_fractions`; a live test
    would take it from its pilot). `drop_exposures` loses that share of the treatment arm's logged sessions (a
    logging bug), for the sample-ratio check to catch."""
    rng = np.random.default_rng(seed)
    k = 2 * creators_per_arm
    arm = rng.permutation(np.r_[np.zeros(creators_per_arm, int), np.ones(creators_per_arm, int)])
    mult, rate = pop.creators(k, rng)
    panel = pop.panel(np.where(arm == 1, treatment, control), mult, rate, days, rng)
    if drop_exposures:
        lost = (arm == 1)[:, None, None] & (rng.random(panel["sessions"].shape[:2])[..., None] < drop_exposures)
        for key in ("sessions", "purchases", "repeat"):
            panel[key] = np.where(lost, 0, panel[key])
    if information is None:
        information = information_fractions(pop, control, treatment, days, looks)
    if len(information) != looks:
        raise StudioError(f"{looks} looks need {looks} information fractions (got {len(information)})")
    bounds = boundaries(information, alpha)["z"]
    active = panel["sessions"].sum(axis=2) > 0                                       # (creators, days)
    daily_srm = [stats.srm([int(active[arm == 0, d].sum()), int(active[arm == 1, d].sum())])
                 if active[:, d].sum() else None for d in range(days)]
    srm_failed = next((d for d, r in enumerate(daily_srm) if r and r["mismatch"]), None)
    history, stop = [], None
    for j, d in enumerate(look_days(days, looks)):
        m = _metrics(pop, panel, arm, 0, 1, d)["net_earnings"]
        tstat = m["diff"] / m["se"] if m["se"] > 0 else 0.0
        # the statistic is t-like (few effective creators): read on the normal scale through its own tail
        # probability, and the boundary put on the t scale for the interval
        zstat = float(np.sign(tstat) * st.norm.isf(st.t.sf(abs(tstat), m["df"])))
        bt = float(st.t.ppf(st.norm.cdf(bounds[j]), m["df"]))
        history.append({"look": j + 1, "day": d, "diff": m["diff"], "se": m["se"], "df": m["df"], "t": tstat,
                        "z": zstat, "boundary": bounds[j], "rci": [m["diff"] - bt * m["se"], m["diff"] + bt * m["se"]]})
        if abs(zstat) >= bounds[j]:
            stop = j
            break
    last = history[-1]
    metrics = _metrics(pop, panel, arm, 0, 1, last["day"])
    segs = panel["segments"]
    seg_rows = []
    for s, name in enumerate(segs):
        if len(segs) > 1:
            mm = _metrics(pop, panel, arm, 0, 1, last["day"], seg=s)["net_earnings"]
            seg_rows.append({"segment": name, "diff": mm["diff"], "lift": mm["lift"], "p_value": mm["p_value"]})
    if seg_rows:
        h = stats.holm([r["p_value"] for r in seg_rows], alpha)
        for r, adj, rej in zip(seg_rows, h["adjusted"], h["reject"]):
            r.update(p_holm=adj, significant=rej)
    return {"control": control, "treatment": treatment, "creators_per_arm": creators_per_arm,
            "stopped_at_look": None if stop is None else stop + 1, "stopped_on_day": last["day"],
            "reject": stop is not None, "estimate": last["diff"], "repeated_ci": last["rci"], "looks": history,
            "net_earnings": metrics["net_earnings"], "guardrails": guardrails(metrics, margins, alpha),
            "srm_failed_on_day": srm_failed, "daily_srm": daily_srm, "segments": seg_rows}


def error_rates(pop: Population, control: float, treatment: float, creators_per_arm: int, days: int = 28, *,
                looks: int = 4, alpha: float = 0.05, runs: int = 500, seed: int = 0,
                information: list[float] | None = None) -> dict:
    """Share of `runs` simulated tests that reject (the false-positive rate when control == treatment, the power
    otherwise), with a 95% Wilson interval. `information`: the information fraction at each look (default: what
    these two arms accrue, from `information_fractions`: an A/A test's looks are correlated differently from an
    A/B test's, and alpha is spent on the information the test itself gathers)."""
    if information is None:
        information = information_fractions(pop, control, treatment, days, looks)
    hits = sum(trial(pop, control, treatment, creators_per_arm, days, looks=looks, alpha=alpha,
                     seed=seed + i, information=information)["reject"] for i in range(runs))
    lo, hi = _wilson(hits, runs)
    return {"runs": runs, "rejections": int(hits), "rate": hits / runs, "interval": [lo, hi]}


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)
