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
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from studio.errors import StudioError
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
          human_price: float = 5.0, uplift: float = 3.0, metric: str = "creator_revenue", seed: int = 0):
    """Truth vs buyer-side vs creator-side estimates of the effect of a price change.

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
