"""Two-sided interference: buyer-side versus creator-side randomisation of a price test.

Many creators, each with their own buyers and limited capacity for human work
per period. The test raises (or cuts) the AI price. A buyer who finds the AI
price too high may hire the creator instead; with limited capacity, that job is
then unavailable to the next buyer. So in a buyer-side test, treated and control
buyers compete for the same creator's capacity: the treated buyers' switch to
human work takes jobs control buyers would have had, and the comparison of the
two groups no longer measures what happens when everyone gets the new price
(the global treatment effect, GTE). This is the marketplace interference
studied by Blake & Coey (2014) and Johari, Li, Liskovich & Weintraub (2022).

Creator-side (cluster) randomisation gives all of a creator's buyers the same
price, so each creator's market is either fully treated or fully control: no
shared capacity crosses arms, and the estimate is unbiased for the GTE here (at
the price of fewer, larger units: wider intervals).

`study(...)` measures all three on the simulator with common random numbers:
the truth (everyone treated minus everyone control), the naive buyer-side
estimate, and the creator-side estimate, each with a 95% interval.

`designs(...)` adds the other channel: buyers who can switch between creators (each session also sees one
other creator's AI offer and takes the better deal). Then creator-side randomisation is biased the other way
(treated creators lose buyers to control creators, so the price rise looks worse than it is), while buyer-side
randomisation is biased through capacity. It compares four designs against the truth, each analysed on its own
randomised unit with a ratio metric and delta-method interval (`stats.ratio_compare`):

- buyer-side: each session (buyer) gets one price from every creator;
- creator-side: each creator's buyers get the creator's arm;
- two-sided (Johari et al. 2022; Bajari et al. 2021): buyers and creators randomised independently, a session
  sees the new price from a creator only if both are treated; the estimate compares sessions of treated buyers
  at treated creators with sessions of control buyers at control creators;
- switchback: whole periods (every creator, every buyer) switch between prices; capacity resets each period, so
  no carryover here, and periods are the units.

In the simulation creators differ (a per-creator WTP multiplier), so between-creator variation is real and
creator-level intervals are honestly wider than session-level ones.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from studio.errors import StudioError
from studio.pricing import stats as pstats
from studio.pricing.demand import Demand, bimodal
from studio.pricing.market import allocate_capacity


def _world(demand: Demand, price_of_session: np.ndarray, creator: np.ndarray, period: np.ndarray, wtp: np.ndarray,
           human_price: float, uplift: float, capacity: int) -> dict:
    """Outcomes of every session given who sees which AI price (vectorised)."""
    ai_surplus = wtp - price_of_session
    hum_surplus = uplift * wtp - human_price
    wants = (hum_surplus >= 0) & (hum_surplus > ai_surplus)
    group = creator * (period.max() + 1) + period
    human = allocate_capacity(wants, group, capacity)
    bought = ~human & (ai_surplus >= 0)
    ai_rev = np.where(bought, price_of_session, 0.0)
    total = ai_rev + np.where(human, human_price, 0.0)
    return {"ai_revenue": ai_rev, "creator_revenue": total, "bought": bought, "human": human}


def study(demand: Demand | None = None, control_price: float = 1.0, treatment_price: float = 1.5, *,
          creators: int = 60, periods: int = 20, sessions_per_period: int = 50, capacity: int = 4,
          human_price: float = 5.0, uplift: float = 3.0, metric: str = "creator_revenue", creator_spread: float = 0.25,
          seed: int = 0):
    """Truth vs buyer-side vs creator-side estimates of the effect of a price change.

    Creators differ: each one's buyers' WTP is scaled by a log-normal multiplier with log-SD `creator_spread`
    (0 makes them clones, and the creator-level interval then looks unrealistically narrow).

    `metric` is "creator_revenue" (AI sales plus human jobs, per session: what the
    creator earns) or "ai_revenue". Returns a DataFrame with one row per design.
    """
    import pandas as pd

    if metric not in ("creator_revenue", "ai_revenue"):
        raise StudioError("metric must be 'creator_revenue' or 'ai_revenue'")
    if creators < 4 or creators % 2:
        raise StudioError("creator-side randomisation needs an even number of creators, at least 4")
    demand = demand or bimodal()
    rng = np.random.default_rng(seed)
    per_creator = periods * sessions_per_period
    n = creators * per_creator
    creator = np.repeat(np.arange(creators), per_creator)
    period = np.tile(np.repeat(np.arange(periods), sessions_per_period), creators)
    wtp, _ = demand.sample(n, rng)
    wtp = wtp * np.exp(creator_spread * rng.standard_normal(creators))[creator]

    def world(treated: np.ndarray) -> dict:
        price = np.where(treated, treatment_price, control_price)
        return _world(demand, price, creator, period, wtp, human_price, uplift, capacity)

    everyone = world(np.ones(n, bool))[metric]
    no_one = world(np.zeros(n, bool))[metric]
    truth = float(everyone.mean() - no_one.mean())

    # Buyer-side: each session independently, half treated.
    t_buyer = rng.random(n) < 0.5
    y = world(t_buyer)[metric]
    buyer = _welch(y[t_buyer], y[~t_buyer])

    # Creator-side: half the creators treated; compare creators' mean per-session revenue.
    t_creators = rng.permutation(np.r_[np.ones(creators // 2, bool), np.zeros(creators // 2, bool)])
    y = world(t_creators[creator])[metric]
    per = y.reshape(creators, per_creator).mean(axis=1)
    cluster = _welch(per[t_creators], per[~t_creators])

    rows = [{"design": "truth (global treatment effect)", "estimate": truth, "ci_lo": truth, "ci_hi": truth,
             "units": n},
            {"design": "buyer-side randomisation (naive)", **buyer, "units": n},
            {"design": "creator-side randomisation", **cluster, "units": creators}]
    frame = pd.DataFrame(rows)
    frame["bias"] = frame["estimate"] - truth
    frame["covers_truth"] = (frame["ci_lo"] <= truth) & (truth <= frame["ci_hi"])
    frame.attrs.update({"metric": metric, "control_price": control_price, "treatment_price": treatment_price,
                        "capacity": capacity, "creators": creators, "sessions": n,
                        "control_mean": float(no_one.mean()), "treated_mean": float(everyone.mean())})
    return frame


def _welch(t: np.ndarray, c: np.ndarray, alpha: float = 0.05) -> dict:
    d = t.mean() - c.mean()
    vt, vc = t.var(ddof=1) / len(t), c.var(ddof=1) / len(c)
    se = np.sqrt(vt + vc)
    dof = (vt + vc) ** 2 / (vt ** 2 / (len(t) - 1) + vc ** 2 / (len(c) - 1)) if se > 0 else np.inf
    h = stats.t.ppf(1 - alpha / 2, dof) * se
    return {"estimate": float(d), "ci_lo": float(d - h), "ci_hi": float(d + h)}


def capacity_sweep(capacities=(1, 2, 4, 8, 16, 1000), **kwargs):
    """`study` at several capacities: the buyer-side bias shrinks as capacity stops binding."""
    import pandas as pd

    rows = []
    for cap in capacities:
        f = study(capacity=cap, **kwargs).set_index("design")
        rows.append({"capacity": cap, "truth": f.loc["truth (global treatment effect)", "estimate"],
                     "buyer_side": f.loc["buyer-side randomisation (naive)", "estimate"],
                     "creator_side": f.loc["creator-side randomisation", "estimate"]})
    out = pd.DataFrame(rows)
    out["buyer_side_bias"] = out["buyer_side"] - out["truth"]
    out["creator_side_bias"] = out["creator_side"] - out["truth"]
    return out


def _switching_world(home_price, alt_price, creator, alt, period, wtp, mult, human_price, uplift, capacity,
                     loyalty, n_creators, periods):
    """Outcomes when each session sees its own creator (AI and human work) and one other creator's AI offer.
    Returns revenue per session and revenue credited to each creator."""
    v_home, v_alt = wtp * mult[creator], loyalty * wtp * mult[alt]
    ai_home, ai_alt = v_home - home_price, v_alt - alt_price
    hum = uplift * v_home - human_price
    best_ai = np.maximum(ai_home, ai_alt)
    wants = (hum >= 0) & (hum > best_ai)
    human = allocate_capacity(wants, creator * periods + period, capacity)
    buys = ~human & (best_ai >= 0)
    from_alt = buys & (ai_alt > ai_home)
    pay = np.where(buys, np.where(from_alt, alt_price, home_price), 0.0) + np.where(human, human_price, 0.0)
    seller = np.where(from_alt, alt, creator)
    earned = np.bincount(seller, weights=pay, minlength=n_creators)
    return pay, earned


def designs(demand: Demand | None = None, control_price: float = 1.0, treatment_price: float = 1.5, *,
            creators: int = 60, periods: int = 20, sessions_per_period: int = 50, capacity: int = 4,
            human_price: float = 5.0, uplift: float = 3.0, loyalty: float = 0.9, creator_spread: float = 0.25,
            seed: int = 0):
    """Truth vs buyer-side, creator-side, two-sided and switchback estimates of the effect of a price change on
    creator revenue per session, when buyers may also buy from another creator (see the module docstring)."""
    import pandas as pd

    if creators < 4 or creators % 2 or periods < 4:
        raise StudioError("the designs need an even number of creators (at least 4) and at least 4 periods")
    demand = demand or bimodal()
    rng = np.random.default_rng(seed)
    per_creator = periods * sessions_per_period
    n = creators * per_creator
    creator = np.repeat(np.arange(creators), per_creator)
    period = np.tile(np.repeat(np.arange(periods), sessions_per_period), creators)
    alt = (creator + rng.integers(1, creators, n)) % creators
    wtp, _ = demand.sample(n, rng)
    mult = np.exp(creator_spread * rng.standard_normal(creators))
    c0, c1 = control_price, treatment_price

    def world(home_t, alt_t):
        return _switching_world(np.where(home_t, c1, c0), np.where(alt_t, c1, c0), creator, alt, period, wtp, mult,
                                human_price, uplift, capacity, loyalty, creators, periods)

    everyone, _ = world(np.ones(n, bool), np.ones(n, bool))
    no_one, _ = world(np.zeros(n, bool), np.zeros(n, bool))
    truth = float(everyone.mean() - no_one.mean())
    rows = [{"design": "truth (global treatment effect)", "estimate": truth, "ci_lo": truth, "ci_hi": truth,
             "units": n}]

    buyer_t = rng.random(n) < 0.5
    pay, _ = world(buyer_t, buyer_t)
    rows.append({"design": "buyer-side", **_cmp(pay, np.ones(n), ~buyer_t, buyer_t), "units": n})

    arm = rng.permutation(np.r_[np.ones(creators // 2, bool), np.zeros(creators // 2, bool)])
    _, earned = world(arm[creator], arm[alt])
    rows.append({"design": "creator-side", **_cmp(earned, np.full(creators, per_creator), ~arm, arm),
                 "units": creators})

    b = rng.random(n) < 0.5
    c = rng.permutation(np.r_[np.ones(creators // 2, bool), np.zeros(creators // 2, bool)])
    pay, _ = world(b & c[creator], b & c[alt])
    tt, cc = b & c[creator], ~b & ~c[creator]
    # units: each creator's sessions from treated buyers (TT cells) or from control buyers (CC cells)
    num_t = np.bincount(creator[tt], weights=pay[tt], minlength=creators)
    den_t = np.bincount(creator[tt], minlength=creators)
    num_c = np.bincount(creator[cc], weights=pay[cc], minlength=creators)
    den_c = np.bincount(creator[cc], minlength=creators)
    r = pstats.ratio_compare(num_c[~c], den_c[~c], num_t[c], den_t[c])
    rows.append({"design": "two-sided", "estimate": r["diff"], "ci_lo": r["ci"][0], "ci_hi": r["ci"][1],
                 "units": creators})

    sw = rng.permutation(np.r_[np.ones(periods // 2, bool), np.zeros(periods - periods // 2, bool)])
    pay, _ = world(sw[period], sw[period])
    num = np.bincount(period, weights=pay, minlength=periods)
    den = np.bincount(period, minlength=periods)
    rows.append({"design": "switchback (by period)", **_cmp(num, den, ~sw, sw), "units": periods})

    frame = pd.DataFrame(rows)
    frame["bias"] = frame["estimate"] - truth
    frame["covers_truth"] = (frame["ci_lo"] <= truth) & (truth <= frame["ci_hi"])
    frame["ci_width"] = frame["ci_hi"] - frame["ci_lo"]
    frame.attrs.update({"control_price": c0, "treatment_price": c1, "capacity": capacity, "creators": creators,
                        "periods": periods, "sessions": n, "loyalty": loyalty})
    return frame


def _cmp(num, den, control, treated) -> dict:
    r = pstats.ratio_compare(num[control], den[control], num[treated], den[treated])
    return {"estimate": r["diff"], "ci_lo": r["ci"][0], "ci_hi": r["ci"][1]}
