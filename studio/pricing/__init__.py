"""The pricing lab: a market simulator, price experiments and Bayesian demand estimation.

    from studio import pricing
    market = pricing.Market(pricing.bimodal())
    result = pricing.run(market, pricing.Thompson(), prices=[0.25, 0.5, 1, 1.5, 2], sessions=20_000, seed=1)
    est = pricing.estimate(market.log(5_000, [0.25, 0.5, 1, 1.5, 2], seed=2))   # demand models compared by CV
    plan = pricing.design.plan(pricing.design.Population(pricing.bimodal()), 1.0, 1.5)  # a confirmatory test

The studio's own data and live price tests: `studio.pricing.live` (imported on demand).

Prices here are dollars as floats (this is analysis); the studio's store keeps
integer cents. Imported on demand only: `import studio` does not load numpy,
scipy or pandas through this package.
"""

from studio.pricing.demand import (ConstantElasticity, Demand, Empirical, Linear, Logit, LogNormal, Mixture, bimodal,
                                   parse_demand, read_valuations, reference_families)
from studio.pricing import design, interference, models, observational, stats
from studio.pricing.estimate import DemandEstimate, estimate, read_log
from studio.pricing.market import Market, Sessions
from studio.pricing.policies import (ABSplit, ExploreThenCommit, Fixed, Policy, RunResult, Thompson, UCB, check_prices,
                                     make_policy, run)
from studio.pricing.policies import compare as compare_policies

__all__ = ["ConstantElasticity", "Demand", "Empirical", "Linear", "Logit", "LogNormal", "Mixture", "bimodal",
           "parse_demand", "read_valuations", "reference_families", "Market", "Sessions", "ABSplit", "Fixed", "Policy", "RunResult",
           "Thompson", "UCB", "ExploreThenCommit", "check_prices", "make_policy", "run", "compare_policies",
           "DemandEstimate", "estimate", "read_log", "stats", "interference", "design", "models", "observational"]
