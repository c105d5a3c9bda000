"""`studio plan`, `studio buy`, `studio purchases`, `studio download`, `studio statement`, `studio payouts`,
`studio edit` (a draft finished by hand), `studio analytics`, and `studio model publish` / `price` /
`disable [--notice]` / `enable` / `listing` (registered by studio.cli after the training area, whose `model`
group they extend). Money on the command line is dollars (an edit quote also takes --cents)."""

from __future__ import annotations

from pathlib import Path

from studio.cli_helpers import Output, open_studio
from studio.errors import StudioError
from studio.money import cents_of, dollars, parse_dollars
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
    p = sub.add_parser("analytics", parents=[common],
                       help="sales, revenue and conversion per day and creator level (no group under 5 buyers)")
    p.set_defaults(func=cmd_analytics)
    _register_edit(sub, common)


def _register_edit(sub, common) -> None:
    edit = sub.add_parser("edit", help="edit jobs: a buyer hires the creator to finish a draft by hand") \
        .add_subparsers(dest="action", required=True)
    p = edit.add_parser("request", parents=[common], help="ask the creator to finish your preview by hand")
    p.add_argument("generation")
    p.add_argument("--buyer", required=True, help="your email (the preview must be yours)")
    p.add_argument("--note", required=True, help="what you would like changed")
    p.set_defaults(func=cmd_edit_request)
    p = edit.add_parser("quote", parents=[common], help="the creator's price for an open job")
    p.add_argument("job")
    price = p.add_mutually_exclusive_group(required=True)
    price.add_argument("--price", metavar="DOLLARS", help="e.g. 40.00")
    price.add_argument("--cents", type=int, help="e.g. 4000")
    p.set_defaults(func=cmd_edit_quote)
    p = edit.add_parser("accept", parents=[common], help="accept a job's quote (the buyer who asked)")
    p.add_argument("job")
    p.add_argument("--buyer", required=True)
    p.set_defaults(func=cmd_edit_accept)
    p = edit.add_parser("deliver", parents=[common], help="deliver the finished file of an accepted job")
    p.add_argument("job")
    p.add_argument("file", type=Path)
    p.set_defaults(func=cmd_edit_deliver)
    p = edit.add_parser("decline", parents=[common], help="turn down an open or quoted job")
    p.add_argument("job")
    p.add_argument("--reason", default=None)
    p.set_defaults(func=cmd_edit_decline)
    p = edit.add_parser("list", parents=[common], help="edit jobs of a creator or a buyer (default: all)")
    p.add_argument("--creator", default=None, metavar="HANDLE")
    p.add_argument("--buyer", default=None, metavar="EMAIL")
    p.set_defaults(func=cmd_edit_list)
    p = edit.add_parser("download", parents=[common], help="write a delivered edit's file (the buyer who asked)")
    p.add_argument("job")
    p.add_argument("--buyer", required=True)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_edit_download)


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


def cmd_analytics(args, out: Output) -> int:
    report = open_studio(args).analytics()
    out.emit(report.as_dict(), report.text())
    return 0


def _edit_out(out: Output, job, text: str) -> int:
    out.emit(job.as_dict(), text)
    return 0


def cmd_edit_request(args, out: Output) -> int:
    job = open_studio(args).request_edit(args.generation, args.buyer, args.note)
    return _edit_out(out, job, f"edit job {job.id} opened for {job.creator}: draft {job.generation_id} "
                               f"(prompt {job.prompt!r}, seed {job.seed})")


def cmd_edit_quote(args, out: Output) -> int:
    cents = args.cents if args.cents is not None else cents_of(args.price, "a quote")
    job = open_studio(args).quote_edit(args.job, cents)
    return _edit_out(out, job, f"edit job {job.id} quoted at {dollars(job.quote_cents)}; {job.buyer} accepts it with "
                               f"`studio edit accept {job.id} --buyer {job.buyer}`")


def cmd_edit_accept(args, out: Output) -> int:
    job = open_studio(args).accept_edit(args.job, args.buyer)
    return _edit_out(out, job, f"edit job {job.id} accepted at {dollars(job.quote_cents)}: {job.creator} delivers "
                               "the finished file")


def cmd_edit_deliver(args, out: Output) -> int:
    job = open_studio(args).deliver_edit(args.job, args.file)
    return _edit_out(out, job, f"edit job {job.id} delivered ({job.delivered_sha256}); {job.buyer} gets it with "
                               f"`studio edit download {job.id} --buyer {job.buyer} --out DIR`")


def cmd_edit_decline(args, out: Output) -> int:
    job = open_studio(args).decline_edit(args.job, args.reason)
    return _edit_out(out, job, f"edit job {job.id} declined")


def cmd_edit_list(args, out: Output) -> int:
    jobs = open_studio(args).edit_jobs(args.creator, args.buyer)
    out.emit([j.as_dict() for j in jobs], "\n".join(j.describe() for j in jobs) or "no edit jobs")
    return 0


def cmd_edit_download(args, out: Output) -> int:
    job = open_studio(args).download_edit(args.job, args.buyer, args.out)
    if not job.files:
        raise StudioError(f"edit job {job.id} wrote no file")
    return _edit_out(out, job, "\n".join(job.files))
