"""`studio pricing ...`: simulate, estimate demand (from a CSV or the studio's own log), design a confirmatory
test, run a live price test through the marketplace, break-even, power.

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

    if args.studio:
        return _estimate_studio(args, out)
    if args.log is None:
        raise StudioError("give a log CSV, or --studio to read the studio's own purchase log")
    est = pricing.estimate(pricing.read_log(args.log), _covariates(args), model=args.model, level=args.level,
                           seed=args.seed)
    out.emit(est.as_dict(), est.summary())
    return 0


def _estimate_studio(args, out) -> int:
    from studio.cli_helpers import open_studio
    from studio.pricing import live

    result = live.estimate_from_studio(open_studio(args), args.creator, dml=args.dml, model=args.model,
                                       level=args.level, seed=args.seed)
    est = result["estimate"]
    if result["design"] == "randomised":
        out.emit({"design": result["design"], **est.as_dict()},
                 f"design: randomised (the studio's price tests, {result['rows']:,} previews)\n" + est.summary())
    else:
        lo, hi = est["elasticity_ci"]
        out.emit({"design": result["design"], **est},
                 f"design: {result['design']}, {est['sessions']:,} previews (prices set by the creator)\n"
                 f"conversion elasticity {est['elasticity']:+.2f} (95% CI {lo:+.2f} to {hi:+.2f}): {est['verdict']}\n"
                 f"caveat: {est['caveat']}")
    return 0


def cmd_experiment(args, out) -> int:
    from studio.cli_helpers import open_studio
    from studio.money import cents_of
    from studio.pricing import live

    st = open_studio(args)
    if args.step == "start":
        if not args.prices:
            raise StudioError("--prices: the price(s) to test against the current one, dollars, comma-separated")
        cents = [cents_of(x.strip()) for x in args.prices.split(",") if x.strip()]
        info = live.start(st, args.handle, cents, unit=args.unit)
    elif args.step == "stop":
        info = live.stop(st, args.handle)
    else:
        info = live.status(st, args.handle)
    lines = [f"price test {info['experiment']} on {args.handle}'s model: {info['state']} "
             f"(randomised by {info['unit']}, since {info['started_at']})"]
    for a in info["arms"]:
        conv = "-" if a["conversion"] is None else f"{a['conversion']:.1%}"
        lines.append(f"  {'control' if a['control'] else 'arm ' + str(a['arm']):<8} ${a['cents'] / 100:.2f}: "
                     f"{a['exposures']:,} previews to {a['units']:,} {info['unit']}s, {a['purchases']:,} bought ({conv})")
    for c in info["comparisons"]:
        if c["enough_data"]:
            lines.append(f"  ${c['cents'] / 100:.2f} vs control: net {c['diff']:+.4f} $/preview "
                         f"(95% CI {c['ci'][0]:+.4f} to {c['ci'][1]:+.4f}; Holm p {c['p_holm']:.3f})")
        else:
            lines.append(f"  ${c['cents'] / 100:.2f} vs control: not enough {info['unit']}s yet")
    if info["srm"] and info["srm"]["mismatch"]:
        lines.append(f"  SAMPLE RATIO MISMATCH (p {info['srm']['p_value']:.2g}): do not trust this test until explained")
    out.emit(info, "\n".join(lines))
    return 0


def cmd_design(args, out) -> int:
    from studio import pricing
    from studio.pricing import design

    pop = design.Population(pricing.parse_demand(args.demand or "bimodal"), compute_cost=args.compute_cost)
    plan = design.plan(pop, args.control, args.treatment, args.days, alpha=args.alpha, power=args.power,
                       looks=args.looks)
    out.emit(plan, f"simulation: {plan['creators_per_arm']:,} creators per arm over {args.days} days "
                   f"(~{plan['sessions_per_arm']:,} sessions per arm; design effect "
                   f"{plan['design_effect'][0]:.1f}/{plan['design_effect'][1]:.1f}; {args.looks} looks, "
                   f"O'Brien-Fleming boundaries {', '.join(f'{b:.2f}' for b in plan['boundaries'])}) to detect "
                   f"{plan['mde']:+.4f} $/session in net earnings with power {args.power:.0%}; sessions one by one "
                   f"would need {plan['sessions_per_arm_iid']:,} per arm (one SD for both arms: "
                   f"{plan['sessions_per_arm_one_sd']:,})")
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

    p = pricing.add_parser("estimate", parents=[common],
                           help="demand and revenue curve from a randomised purchase log (models compared by CV)")
    p.add_argument("log", type=Path, nargs="?", default=None,
                   help="CSV with 'price' (dollars) or 'price_cents', and 'bought' (0/1)")
    p.add_argument("--studio", action="store_true", help="read the studio's own purchase log instead of a CSV")
    p.add_argument("--creator", default=None, help="with --studio: one creator's model (default: every creator)")
    p.add_argument("--dml", action="store_true",
                   help="with --studio and no price test: the double-machine-learning local price effect")
    p.add_argument("--model", default="auto", help="auto | logit-price | logit-logprice | monotone-spline | spline")
    p.add_argument("--covariates", default=None, help="comma-separated covariate columns")
    p.add_argument("--level", type=float, default=0.9, help="credible level of bands and intervals")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_estimate)

    p = pricing.add_parser("experiment", parents=[common],
                           help="a randomised price test on a live creator model, through the marketplace")
    p.add_argument("step", choices=["start", "status", "stop"])
    p.add_argument("handle")
    p.add_argument("--prices", default=None, help="start: the price(s) to test against the current one, dollars")
    p.add_argument("--unit", default="buyer", choices=["buyer", "day"],
                   help="start: randomise by buyer, or switch back and forth by UTC day")
    p.set_defaults(func=cmd_experiment)

    p = pricing.add_parser("design", parents=[common],
                           help="size a creator-randomised confirmatory price test (simulated creators)")
    p.add_argument("--demand", default=None, help="the typical creator's demand (as for simulate; default bimodal)")
    p.add_argument("--control", type=float, required=True, help="current price, dollars")
    p.add_argument("--treatment", type=float, required=True, help="recommended price, dollars")
    p.add_argument("--days", type=int, default=28)
    p.add_argument("--looks", type=int, default=4)
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--power", type=float, default=0.8)
    p.add_argument("--compute-cost", type=float, default=0.0, help="dollars of compute per generation shown")
    p.set_defaults(func=cmd_design)

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
