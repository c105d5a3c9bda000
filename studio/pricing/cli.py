"""`studio pricing ...`: simulate price policies, estimate demand from logs, break-even, power.

Heavy imports (numpy, scipy, pandas) happen inside the handlers.
Prices on the command line are dollars.
"""

from __future__ import annotations

from pathlib import Path

from studio.errors import StudioError


def _prices(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise StudioError(f"--prices must be comma-separated dollar amounts, e.g. 0.10,0.25,0.5 (got {text!r})") from None


def _market(args):
    from studio import pricing

    if args.valuations is not None and args.demand is not None:
        raise StudioError("give either --valuations or --demand, not both")
    if args.valuations is not None:
        demand = pricing.read_valuations(args.valuations)
    else:
        demand = pricing.parse_demand(args.demand or "bimodal")
    if args.human_price is not None and args.capacity <= 0:
        raise StudioError("--human-price needs --capacity (human jobs per period) above 0")
    return pricing.Market(demand, human_price=args.human_price, capacity=args.capacity)


def cmd_simulate(args, out) -> int:
    from studio import pricing

    market = _market(args)
    result = pricing.run(market, pricing.make_policy(args.policy), _prices(args.prices), args.sessions, seed=args.seed)
    out.emit(result.as_dict(), result.summary())
    return 0


def cmd_log(args, out) -> int:
    from studio import pricing

    market = _market(args)
    prices = pricing.check_prices(_prices(args.prices))
    frame = market.log(args.sessions, prices, seed=args.seed)
    frame.to_csv(args.out, index=False)
    data = {"path": str(args.out), "sessions": len(frame), "purchases": int(frame["bought"].sum()),
            "prices": [float(p) for p in prices]}
    out.emit(data, f"wrote {len(frame):,} sessions ({data['purchases']:,} purchases) to {args.out}")
    return 0


def _covariates(args) -> list[str]:
    return [c.strip() for c in (args.covariates or "").split(",") if c.strip()]


def cmd_estimate(args, out) -> int:
    from studio import pricing

    est = pricing.estimate(pricing.read_log(args.log), _covariates(args), level=args.level, seed=args.seed)
    out.emit(est.as_dict(), est.summary())
    return 0


def cmd_break_even(args, out) -> int:
    from studio import pricing

    est = pricing.estimate(pricing.read_log(args.log), _covariates(args), seed=args.seed)
    be = est.break_even(args.price, args.monthly_sessions, plan_cents=args.plan_cents)
    out.emit(be, f"at ${be['price']:g} with ~{be['monthly_sessions']:,.0f} sessions a month: "
                 f"{be['chance_earnings_exceed_plan']:.0%} chance that earnings after the {be['fee_bps'] / 100:g}% fee "
                 f"exceed the ${be['plan_dollars']:.2f} plan (expected ${be['expected_net_earnings']:.2f}; "
                 f"break-even ~{be['break_even_sessions']:,.0f} sessions)")
    return 0


def cmd_power(args, out) -> int:
    from studio.pricing import stats

    if not 0 < args.baseline < 1:
        raise StudioError("--baseline is a conversion rate between 0 and 1")
    sd = (args.baseline * (1 - args.baseline)) ** 0.5
    absolute = args.baseline * args.relative_mde
    n = stats.sample_size(sd, absolute, alpha=args.alpha, power=args.power)
    data = {"baseline": args.baseline, "relative_mde": args.relative_mde, "absolute_mde": absolute,
            "alpha": args.alpha, "power": args.power, "sessions_per_arm": n}
    out.emit(data, f"{n:,} sessions per arm detect a {args.relative_mde:.0%} relative change in a "
                   f"{args.baseline:.1%} conversion rate (alpha {args.alpha:g}, power {args.power:.0%})")
    return 0


def register(sub, common) -> None:
    group = sub.add_parser("pricing", help="the pricing lab: simulate, estimate demand, plan tests")
    pricing = group.add_subparsers(dest="action", required=True)

    def market_args(p):
        src = p.add_mutually_exclusive_group()
        src.add_argument("--valuations", type=Path, default=None, help="CSV with a 'wtp' column (dollars), one buyer per row")
        src.add_argument("--demand", default=None,
                         help="logit:A,B | linear:PMAX | elasticity:E,P0 | lognormal:MEDIAN,SIGMA | bimodal (default)")
        p.add_argument("--prices", default="0.1,0.25,0.5,0.75,1,1.5,2,3", help="price grid, dollars, comma-separated")
        p.add_argument("--sessions", type=int, default=20_000)
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--human-price", type=float, default=None, help="the creator also sells human work at this price")
        p.add_argument("--capacity", type=int, default=0, help="human jobs per period (500 sessions)")

    p = pricing.add_parser("simulate", parents=[common], help="run a pricing policy against the market simulator")
    market_args(p)
    p.add_argument("--policy", default="thompson", help="fixed:P | ab | thompson | ucb")
    p.set_defaults(func=cmd_simulate)

    p = pricing.add_parser("log", parents=[common], help="write a simulated purchase log with randomised prices")
    market_args(p)
    p.add_argument("--out", type=Path, required=True, help="CSV to write (price, bought[, segment])")
    p.set_defaults(func=cmd_log)

    p = pricing.add_parser("estimate", parents=[common], help="Bayesian demand and revenue curve from a purchase log")
    p.add_argument("log", type=Path, help="CSV with 'price' (dollars) or 'price_cents', and 'bought' (0/1)")
    p.add_argument("--covariates", default=None, help="comma-separated covariate columns")
    p.add_argument("--level", type=float, default=0.9, help="credible level of bands and intervals")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_estimate)

    p = pricing.add_parser("break-even", parents=[common],
                           help="chance that a month's earnings after fees exceed the plan's cost")
    p.add_argument("log", type=Path)
    p.add_argument("--price", type=float, required=True, help="price per generation, dollars")
    p.add_argument("--monthly-sessions", type=float, required=True, help="expected buyer sessions a month")
    p.add_argument("--plan-cents", type=int, default=None, help="plan cost (default: the creator plan)")
    p.add_argument("--covariates", default=None)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_break_even)

    p = pricing.add_parser("power", parents=[common], help="sessions per arm for a conversion test")
    p.add_argument("--baseline", type=float, required=True, help="control conversion rate, e.g. 0.12")
    p.add_argument("--relative-mde", type=float, default=0.1, help="smallest relative change worth detecting")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--power", type=float, default=0.8)
    p.set_defaults(func=cmd_power)
