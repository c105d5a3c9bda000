"""Pricing lab figures: simulator throughput, revenue share of the oracle, estimation error.

Run: .venv/bin/python bench/bench_pricing.py   (make bench runs every bench/bench_*.py)
"""

from __future__ import annotations

import time

import numpy as np

from studio import pricing
from studio.pricing import interference

FAMILIES = pricing.reference_families()
POLICY_GRID = np.round(np.geomspace(0.1, 4.0, 12), 2)
LOG_GRID = np.round(np.geomspace(0.1, 4.0, 16), 2)
POLICY_SEEDS = range(10)
ESTIMATE_SEEDS = range(1000, 1020)


def throughput() -> None:
    print("simulator throughput (1,000,000 sessions, best of 3)")
    cases = {"bimodal, AI only": pricing.Market(pricing.bimodal()),
             "bimodal, human work with capacity": pricing.Market(pricing.bimodal(), human_price=5.0, capacity=20),
             "empirical (10,000 valuations)": pricing.Market(pricing.Empirical(
                 tuple(np.random.default_rng(0).lognormal(0, 0.6, 10_000))))}
    prices = np.random.default_rng(1).choice(POLICY_GRID, 1_000_000)
    for name, market in cases.items():
        best = min(_timed(lambda: market.simulate(prices, seed=0)) for _ in range(3))
        print(f"  {name:<36} {best:6.3f} s   {1e6 / best / 1e6:5.1f} M sessions/s")
    ts = pricing.Market(pricing.bimodal())
    t = _timed(lambda: pricing.run(ts, pricing.Thompson(), POLICY_GRID, 1_000_000, seed=0))
    print(f"  {'Thompson policy run, 1M sessions':<36} {t:6.3f} s   (updates every 500 sessions)")


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def policies() -> None:
    print(f"\nrevenue as a share of the oracle (best fixed grid price), 20,000 sessions, {len(POLICY_SEEDS)} seeds: "
          "mean [min]")
    names = ["thompson", "ucb", "ab"]
    print(f"  {'demand':<12}" + "".join(f"{n:>18}" for n in names) + f"{'oracle price':>14}")
    for fam, demand in FAMILIES.items():
        market = pricing.Market(demand)
        cells = []
        for name in names:
            shares = [pricing.run(market, pricing.make_policy(name), POLICY_GRID, 20_000, seed=s).share_of_oracle
                      for s in POLICY_SEEDS]
            cells.append(f"{np.mean(shares):7.1%} [{np.min(shares):6.1%}]")
        print(f"  {fam:<12}" + "".join(f"{c:>18}" for c in cells) + f"{market.oracle(POLICY_GRID)[0]:>13.2f}")


def estimation() -> None:
    print(f"\nestimated best price vs true optimum, 5,000 logged sessions over {len(LOG_GRID)} randomised prices, "
          f"{len(ESTIMATE_SEEDS)} seeds")
    print(f"  {'demand':<12}{'true p*':>9}{'median |err|':>14}{'max |err|':>11}{'within 10%':>12}"
          f"{'revenue lost':>14}{'fit time':>10}")
    for fam, demand in FAMILIES.items():
        market = pricing.Market(demand)
        p_true, r_true = demand.optimum(LOG_GRID.min(), LOG_GRID.max())
        errs, lost, times = [], [], []
        for s in ESTIMATE_SEEDS:
            log = market.log(5_000, LOG_GRID, seed=s)
            t = time.perf_counter()
            est = pricing.estimate(log, seed=s)
            times.append(time.perf_counter() - t)
            errs.append(abs(est.best_price / p_true - 1))
            lost.append(1 - float(demand.revenue(est.best_price)) / r_true)
        errs = np.array(errs)
        print(f"  {fam:<12}{p_true:>9.3f}{np.median(errs):>14.1%}{errs.max():>11.1%}{np.mean(errs <= 0.10):>12.0%}"
              f"{np.mean(lost):>14.2%}{np.median(times):>9.2f}s")


def interference_bias() -> None:
    print("\ntwo-sided interference: effect of $1.00 -> $1.50 on creator revenue per session (60 creators)")
    sweep = interference.capacity_sweep(capacities=(1, 2, 4, 8, 1000), seed=0)
    print(sweep.round(4).to_string(index=False))


if __name__ == "__main__":
    throughput()
    policies()
    estimation()
    interference_bias()
