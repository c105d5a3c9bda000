"""`studio plan`, `studio buy`, `studio purchases`, `studio download`, `studio statement`, `studio payouts`,
and `studio model publish` / `price` / `disable [--notice]` / `enable` / `listing` (registered by studio.cli
after the training area, whose `model` group they extend). Money on the command line is dollars."""

from __future__ import annotations

from pathlib import Path

from studio.cli_helpers import Output, open_studio
from studio.money import dollars, parse_dollars
from studio.training.cli import version_dict


def register(sub, common) -> None:
    plan = sub.add_parser("plan", help="a creator's monthly plans (creation model, assistant)") \
        .add_subparsers(dest="action", required=True)
    for action, func, text in (("subscribe", cmd_plan_subscribe, "start a monthly plan"),
                               ("cancel", cmd_plan_cancel, "stop a plan renewing (it runs to the end of the month)"),
                               ("show", cmd_plan_show, "a creator's plans")):
        p = plan.add_parser(action, parents=[common], help=text)
        p.add_argument("handle")
        if action != "show":
            p.add_argument("--plan", default="creation", help="creation (publish a model) or assistant")
        p.set_defaults(func=func)

    model = sub.choices["model"].subcommands  # the training area's group (list, gate)
    p = model.add_parser("publish", parents=[common], help="publish a version that passed the quality gate")
    p.add_argument("handle")
    p.add_argument("--version", default=None)
    p.add_argument("--price", default=None, metavar="DOLLARS", help="price per generation in dollars, e.g. 0.50")
    p.set_defaults(func=cmd_model_publish)
    p = model.add_parser("price", parents=[common], help="set the model's price per generation (dollars)")
    p.add_argument("handle")
    p.add_argument("dollars", help="e.g. 0.65 (whole cents, more than zero)")
    p.set_defaults(func=cmd_model_price)
    p = model.add_parser("disable", parents=[common], help="disable the model: no new generations")
    p.add_argument("handle")
    p.add_argument("--reason", default=None)
    p.add_argument("--notice", type=int, default=None, metavar="DAYS",
                   help="buyers may still generate and buy for DAYS days (default: stop now)")
    p.set_defaults(func=cmd_model_disable)
    p = model.add_parser("enable", parents=[common], help="undo a disable: buyers may generate again")
    p.add_argument("handle")
    p.set_defaults(func=cmd_model_enable)
    p = model.add_parser("listing", parents=[common], help="what buyers see: offered, closing or disabled, price")
    p.add_argument("handle")
    p.set_defaults(func=cmd_model_listing)

    p = sub.add_parser("buy", parents=[common], help="buy a preview: the final file and its licence certificate")
    p.add_argument("generation")
    p.add_argument("--buyer", required=True, help="the buyer's email (the preview must be theirs)")
    p.add_argument("--out", type=Path, required=True, help="folder for the file and certificate")
    p.set_defaults(func=cmd_buy)
    p = sub.add_parser("purchases", parents=[common], help="a buyer's purchases")
    p.add_argument("--buyer", required=True)
    p.set_defaults(func=cmd_purchases)
    p = sub.add_parser("download", parents=[common], help="write a purchase's file and certificate again")
    p.add_argument("purchase")
    p.add_argument("--buyer", required=True)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_download)
    p = sub.add_parser("statement", parents=[common], help="a creator's generations, sales and earnings")
    p.add_argument("handle")
    p.set_defaults(func=cmd_statement)
    payouts = sub.add_parser("payouts", help="settle what creators are owed").add_subparsers(dest="action",
                                                                                             required=True)
    p = payouts.add_parser("run", parents=[common], help="pay every creator owed at least the minimum (once)")
    p.set_defaults(func=cmd_payouts_run)


def cmd_plan_subscribe(args, out: Output) -> int:
    v = open_studio(args).subscribe_plan(args.handle, args.plan)
    out.emit(v.as_dict(), f"{args.handle}: {v.describe()}")
    return 0


def cmd_plan_cancel(args, out: Output) -> int:
    v = open_studio(args).cancel_plan(args.handle, args.plan)
    out.emit(v.as_dict(), f"{args.handle}: {v.describe()}")
    return 0


def cmd_plan_show(args, out: Output) -> int:
    plans = open_studio(args).plans(args.handle)
    out.emit([v.as_dict() for v in plans], "\n".join(f"{v.id}  {v.describe()}" for v in plans)
             or f"{args.handle} has no plans")
    return 0


def cmd_model_publish(args, out: Output) -> int:
    st = open_studio(args)
    cents = parse_dollars(args.price, st.policy) if args.price is not None else None
    v = st.publish(args.handle, args.version, cents)
    price = st.price(args.handle)
    out.emit({**version_dict(v), "price_cents": price}, f"{args.handle}: version {v.number} published"
             + (f" at {dollars(price)} per generation" if price is not None else ""))
    return 0


def cmd_model_price(args, out: Output) -> int:
    st = open_studio(args)
    cents = st.set_price(args.handle, parse_dollars(args.dollars, st.policy))
    out.emit({"handle": args.handle, "price_cents": cents},
             f"{args.handle}: price set to {dollars(cents)} per generation")
    return 0


def cmd_model_disable(args, out: Output) -> int:
    info = open_studio(args).disable_model(args.handle, args.reason, args.notice)
    if info["notice_days"]:
        text = (f"{args.handle}: model disabled from {info['effective_at']:%Y-%m-%d %H:%M} UTC; buyers may "
                f"generate and buy until then")
    else:
        text = f"{args.handle}: model disabled; {info['drafts_hidden']} unpurchased drafts hidden from buyers"
    out.emit(info, text)
    return 0


def cmd_model_enable(args, out: Output) -> int:
    info = open_studio(args).enable_model(args.handle)
    out.emit(info, f"{args.handle}: model enabled ({info['status']})")
    return 0


def cmd_model_listing(args, out: Output) -> int:
    info = open_studio(args).listing(args.handle)
    price = dollars(info["price_cents"]) if info["price_cents"] is not None else "no price"
    text = f"{args.handle}: {info['state']}, {price} per generation"
    if info["available_until"]:
        text += f"; available until {info['available_until']:%Y-%m-%d %H:%M} UTC"
    out.emit(info, text)
    return 0


def cmd_buy(args, out: Output) -> int:
    st = open_studio(args)
    quote = st.quote(args.generation, args.buyer)
    if not out.as_json:
        out.warn(f"Please note: {quote['notice']}")
    p = st.buy(args.generation, args.buyer, args.out)
    out.emit({**p.as_dict(), "notice": quote["notice"]},
             f"bought {p.generation_id} for {dollars(p.price_cents)}: purchase {p.id}, licence {p.licence_id}\n"
             + "\n".join(p.files) + f"\ncheck it: studio rights verify {p.files[0]}")
    return 0


def cmd_purchases(args, out: Output) -> int:
    rows = open_studio(args).purchases(args.buyer)
    out.emit([p.as_dict() for p in rows],
             "\n".join(f"{p.id}  {p.created_at:%Y-%m-%d}  {p.generation_id}  {p.creator:<12} {dollars(p.price_cents)}"
                       for p in rows) or f"{args.buyer} has no purchases")
    return 0


def cmd_download(args, out: Output) -> int:
    p = open_studio(args).download(args.purchase, args.buyer, args.out)
    out.emit(p.as_dict(), "\n".join(p.files))
    return 0


def cmd_statement(args, out: Output) -> int:
    statement = open_studio(args).statement(args.handle)
    out.emit(statement.as_dict(), statement.text())
    return 0


def cmd_payouts_run(args, out: Output) -> int:
    result = open_studio(args).run_payouts()
    lines = [f"paid {p['creator']} {dollars(p['cents'])} ({p['lines']} sales) as {p['payout']}" for p in result["paid"]]
    lines += [f"carried {c['creator']} {dollars(c['cents'])} (under the {dollars(result['minimum_cents'])} minimum)"
              for c in result["carried"]]
    lines.append(f"paid {dollars(result['total_cents'])} to {len(result['paid'])} creator(s)")
    out.emit(result, "\n".join(lines))
    return 0
