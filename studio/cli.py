"""The `studio` command. Every subcommand takes --json; errors go to stderr, exit 1.

The core commands live here; each area registers its own subcommands from a small module
(`register(sub, common)`) that this entry point imports. Area modules import the shared
`studio.cli_helpers`, never this module, and heavy libraries only inside their handlers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from studio.cli_helpers import Output, open_studio
from studio.config import LEVELS, default_home, masked_db_url
from studio.errors import StudioError
from studio.serve import DEFAULT_CULL_IDLE, DEFAULT_HOST, STOREFRONT_PORT, VOILA_PORT

# --- core commands ---------------------------------------------------------------------


def cmd_init(args, out: Output) -> int:
    s = open_studio(args)
    out.emit({"home": str(s.home.resolve()), "db": masked_db_url(s.db_url), "schema_version": s.schema_version},
             f"studio home ready at {s.home.resolve()} (schema v{s.schema_version})")
    return 0


def _creator_dict(c) -> dict:
    return {"id": c.id, "handle": c.handle, "name": c.name, "level": c.level, "vetted": c.vetted,
            "plan": c.plan, "plan_cents": c.plan_cents, "style_word": c.style_word}


def cmd_creator_add(args, out: Output) -> int:
    c = open_studio(args).add_creator(args.handle, args.name, args.level, args.plan, args.style_word)
    out.emit(_creator_dict(c), f"added creator {c.handle} ({c.level}{', vetted' if c.vetted else ''})")
    return 0


def cmd_creator_set(args, out: Output) -> int:
    word = None if args.style_word in ("", "none") else args.style_word
    c = open_studio(args).set_style_word(args.handle, word)
    out.emit(_creator_dict(c), f"{c.handle}: style word {c.style_word or '(none)'}")
    return 0


def cmd_creator_list(args, out: Output) -> int:
    rows = [_creator_dict(c) for c in open_studio(args).creators()]
    out.emit(rows, "\n".join(f"{r['handle']:<16} {r['level']:<10} {'vetted' if r['vetted'] else '':<7} {r['name']}"
                             for r in rows) or "no creators yet")
    return 0


def cmd_portfolio_add(args, out: Output) -> int:
    report = open_studio(args).add_to_portfolio(args.handle, args.paths, args.consent)
    for r in report.rejected:
        out.warn(f"rejected {r}")
    lines = [f"added {a['file']} as {a['item']}" + (f" ({a['note']})" if a.get("note") else "") for a in report.added]
    lines += [f"duplicate {d['file']} (already item {d['item']})" for d in report.duplicates]
    lines.append(f"{len(report.added)} added, {len(report.duplicates)} duplicates, {len(report.rejected)} rejected")
    out.emit(report.as_dict(), "\n".join(lines))
    return 0 if report.ok else 1


def _item_dict(v) -> dict:
    return {"id": v.id, "kind": v.kind, "source": v.source, "caption": v.caption, "sha256": v.sha256,
            "consent": v.consent, "consent_id": v.consent_id, "active": v.active, "note": v.note}


def cmd_portfolio_list(args, out: Output) -> int:
    items = open_studio(args).portfolio(args.handle)
    out.emit([_item_dict(v) for v in items],
             "\n".join(f"{v.id}  {v.kind:<5} {'active ' if v.active else 'revoked'} {v.consent:<20} {v.source}" for v in items)
             or "portfolio is empty")
    return 0


def cmd_portfolio_revoke(args, out: Output) -> int:
    v = open_studio(args).revoke(args.handle, args.item, args.reason)
    out.emit(_item_dict(v), f"consent for {v.id} revoked: excluded from future training")
    return 0


def cmd_portfolio_captions(args, out: Output) -> int:
    """Every image item with its caption; missing or unreadable ones with a suggestion (written on request)."""
    from studio.models.captioner import readable

    st = open_studio(args)
    suggested = {v.id: text for v, text in st.suggest_captions(args.handle, args.base)}
    rows, lines = [], []
    for v in (v for v in st.portfolio(args.handle) if v.kind == "image"):
        row = {"id": v.id, "source": v.source, "active": v.active, "caption": v.caption,
               "readable": readable(v.caption), "suggestion": suggested.get(v.id), "applied": False}
        if args.apply_suggestions and row["suggestion"]:
            row["caption"] = st.set_caption(args.handle, v.id, row["suggestion"]).caption
            row["applied"] = True
        rows.append(row)
        shown = "[no caption]" if v.caption is None else repr(v.caption) + (
            "" if row["readable"] else "  [names no shape the embedded base knows]")
        lines.append(f"{v.id}  {v.source}{'' if v.active else ' (revoked)'}: {shown}")
        if row["suggestion"]:
            lines.append(f"    {'wrote' if row['applied'] else 'suggested'}: {row['suggestion']}")
    unread = sum(r["active"] and not r["readable"] for r in rows)
    if args.apply_suggestions:
        lines.append(f"{sum(r['applied'] for r in rows)} caption(s) written")
    elif suggested:
        lines.append(f"{len(suggested)} suggestion(s): write them with --apply-suggestions, or one at a time "
                     f"with `studio portfolio caption {args.handle} ITEM TEXT`")
    elif unread:
        lines.append(f"{unread} active image(s) without a caption the embedded base can read, and no suggestions "
                     "(the base is not the embedded one, or the images could not be read)")
    out.emit(rows, "\n".join(lines) or "no images in the portfolio")
    return 0


def cmd_portfolio_caption(args, out: Output) -> int:
    v = open_studio(args).set_caption(args.handle, args.item, args.text)
    out.emit(_item_dict(v), f"{v.id}: caption {v.caption!r}" if v.caption else f"{v.id}: caption cleared")
    return 0


def cmd_samples_seed(args, out: Output) -> int:
    from studio import samples

    st = open_studio(args)
    result = samples.seed(st, seed=args.seed, images=args.images)
    lines = [f"{r['handle']}: {r['added']} items ({r['style']})" for r in result["creators"]]
    if args.with_model:
        from studio.training.cli import TerminalProgress

        model = samples.ensure_published_model(st, on_event=TerminalProgress(None, out.as_json))
        result["model"] = model
        lines.append(f"{model['handle']}: model v{model['version']} "
                     f"{'trained and published' if model['trained'] else 'already published'}")
    out.emit(result, "\n".join(lines))
    return 0


def _verify_files(st, files: list[Path], out: Output) -> int:
    """Each delivered file's manifest, hash binding and mark; one verdict line per file."""
    reports, lines = [], []
    for path in files:
        r = {"file": str(path), **st.verify_file(path)}
        reports.append(r)
        if r["ok"] and r.get("edit"):
            lines.append(f"{path}: OK: {r['state']} (signed by this studio), the file delivered for {r['identified']}")
        elif r["ok"]:
            sale = r["sale"]
            lines.append(f"{path}: OK: {r['state']} (signed by this studio), the file delivered with "
                         f"{sale['purchase']}: generation {sale['generation']}, bought by {sale['buyer']}, "
                         f"licence {sale['licence']}")
        else:
            lines.append(f"{path}: NOT OK ({r['state'] or 'no manifest'}): " + "; ".join(r["problems"])
                         + (f"; {r['identified']}" if r["identified"] else ""))
    out.emit(reports, "\n".join(lines))
    return 0 if all(r["ok"] for r in reports) else 1


def cmd_rights_verify(args, out: Output) -> int:
    st = open_studio(args)
    if args.files:
        return _verify_files(st, args.files, out)
    v = st.verify_ledger(deep=args.deep)
    what = "ledger, database" + (" and files" if v.deep else "")
    if v.ok:
        out.emit(v.as_dict(), f"{what} agree: {v.events} events, "
                              + ", ".join(f"{name}: {n}" for name, n in v.checked.items() if n))
        return 0
    out.emit(v.as_dict())
    where = f" at event {v.broken_seq}" + (f" ({v.broken_id})" if v.broken_id else "") if v.broken_seq else ""
    out.warn(f"studio: ledger broken{where}: {v.reason}")
    for line in v.problems[1:]:
        out.warn(f"  also: {line}")
    return 1


def cmd_rights_identify(args, out: Output) -> int:
    st = open_studio(args)
    rows = [{"file": str(path), **(st.identify_text(path) if args.text else st.identify(path))} for path in args.files]
    out.emit(rows, "\n".join(f"{r['file']}: {r['message']}" for r in rows))
    return 0 if all(r["found"] for r in rows) else 1


def cmd_rights_report(args, out: Output) -> int:
    """Per asset: owner and licence, model version, training items and consent, money; text, JSON, CSV or HTML."""
    report = open_studio(args).rights_report(creator=args.creator, buyer=args.buyer, asset=args.asset)
    fmt = "json" if out.as_json and args.format == "text" else args.format
    text = report.text() if fmt == "text" else getattr(report, f"to_{fmt}")()
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")
        out.warn(f"wrote {report.totals['assets']} asset(s) as {fmt} to {args.out}")
    else:
        print(text, end="" if text.endswith("\n") else "\n")
    return 0


def cmd_rights_log(args, out: Output) -> int:
    events = open_studio(args).ledger_events(subject=args.subject, kind=args.kind)
    out.emit(events, "\n".join(f"{e['seq']:>5} {e['created_at']} {e['kind']:<20} {e['subject']}" for e in events))
    return 0


def cmd_gc(args, out: Output) -> int:
    """Remove stale temporary files and blobs nothing references (--dry-run: only list them)."""
    report = open_studio(args).collect_garbage(dry_run=args.dry_run, older_than=args.older_than)
    verb = "would remove" if args.dry_run else "removed"
    lines = [f"{verb} temporary file {p}" for p in report["temp_files"]]
    lines += [f"{verb} unreferenced blob {d}" for d in report["orphan_blobs"]]
    count = len(report["temp_files"]) + len(report["orphan_blobs"])
    lines.append(f"{verb} {count} file(s), {report['bytes']} bytes"
                 + (f"; kept {report['recent_unreferenced']} unreferenced blob(s) newer than {args.older_than:g} s"
                    if report["recent_unreferenced"] else ""))
    out.emit(report, "\n".join(lines))
    return 0


def cmd_buyer_add(args, out: Output) -> int:
    """Open a buyer account for the storefront; the password from a prompt (twice) or one line of stdin."""
    import getpass

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"password for {args.email}: ")
        if getpass.getpass("again: ") != password:
            raise StudioError("the two passwords differ; nothing was stored")
    email = open_studio(args).register_buyer(args.email, password)
    out.emit({"email": email}, f"buyer account {email} ready: log in to the storefront with it")
    return 0


def cmd_buyer_list(args, out: Output) -> int:
    emails = open_studio(args).buyers()
    out.emit(emails, "\n".join(emails) or "no buyer accounts yet (add one with `studio buyer add EMAIL`)")
    return 0


def _home_of(args) -> Path:
    return args.home if args.home is not None else default_home()


def cmd_up(args, out: Output) -> int:
    """The dashboards (Voila) and the storefront, until Ctrl-C, SIGTERM or SIGHUP stops them all."""
    from studio.serve import dashboards_server, run, storefront_server

    if args.cull_idle < 0:
        raise StudioError("--cull-idle must be 0 (never) or a number of seconds")
    if args.port == args.storefront_port:
        raise StudioError(f"the dashboards and the storefront need two ports, not both {args.port}")
    open_studio(args).close()  # a bad home fails here, before any server starts
    servers = [dashboards_server(args.port, args.host, args.cull_idle),
               storefront_server(args.storefront_port, args.host)]
    return run(servers, _home_of(args), say=out.warn)


def cmd_serve(args, out: Output) -> int:
    """Serve a dashboard with Voila (or the storefront); Ctrl-C, SIGTERM and SIGHUP stop it and its kernels."""
    from studio.serve import run, serve, storefront_server

    if args.dashboard == "storefront":
        return run([storefront_server(args.port or STOREFRONT_PORT, args.ip)], _home_of(args), say=out.warn)
    notebook = Path(args.dashboard)
    if not notebook.suffix:
        notebook = Path(__file__).resolve().parents[1] / "notebooks" / "dashboards" / f"{args.dashboard}.ipynb"
    if not notebook.is_file():
        raise StudioError(f"no dashboard {args.dashboard!r} (looked for {notebook})")
    if args.cull_idle < 0:
        raise StudioError("--cull-idle must be 0 (never) or a number of seconds")
    return serve(notebook, args.port or VOILA_PORT, args.ip, _home_of(args), args.cull_idle, say=out.warn)


# --- parser -------------------------------------------------------------------------------


def _home_path(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("the studio home cannot be empty (give a folder, or leave --home out)")
    return Path(text)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print machine-readable JSON")
    common.add_argument("--home", type=_home_path, default=None, help="studio home (default $STUDIO_HOME or ./.studio)")

    parser = argparse.ArgumentParser(prog="studio", description="Personal AI creation models for creative freelancers.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", parents=[common], help="create the studio home (database + blob store)")
    p.set_defaults(func=cmd_init)

    creator = sub.add_parser("creator", help="manage creators").add_subparsers(dest="action", required=True)
    p = creator.add_parser("add", parents=[common], help="add a creator")
    p.add_argument("handle")
    p.add_argument("--name", required=True)
    p.add_argument("--level", default="new", choices=LEVELS)
    p.add_argument("--plan", default="free")
    p.add_argument("--style-word", default=None,
                   help="one word your models learn your style under (e.g. adastyle); change it with `creator set`")
    p.set_defaults(func=cmd_creator_add)
    p = creator.add_parser("set", parents=[common], help="change a creator's style word")
    p.add_argument("handle")
    p.add_argument("--style-word", required=True, help="the new style word ('none' clears it)")
    p.set_defaults(func=cmd_creator_set)
    p = creator.add_parser("list", parents=[common], help="list creators")
    p.set_defaults(func=cmd_creator_list)

    portfolio = sub.add_parser("portfolio", help="a creator's portfolio and consent").add_subparsers(dest="action", required=True)
    p = portfolio.add_parser("add", parents=[common], help="add files, folders or zip archives")
    p.add_argument("handle")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument("--consent", default="own", help="'own' or 'client:REF' (the client's consent reference)")
    p.set_defaults(func=cmd_portfolio_add)
    p = portfolio.add_parser("list", parents=[common], help="list items with their consent")
    p.add_argument("handle")
    p.set_defaults(func=cmd_portfolio_list)
    p = portfolio.add_parser("revoke", parents=[common], help="withdraw consent for an item")
    p.add_argument("handle")
    p.add_argument("item")
    p.add_argument("--reason", default=None)
    p.set_defaults(func=cmd_portfolio_revoke)
    p = portfolio.add_parser("captions", parents=[common],
                             help="list image captions, with suggestions where the embedded base cannot read one")
    p.add_argument("handle")
    p.add_argument("--apply-suggestions", action="store_true",
                   help="write the suggested captions for the missing and unreadable ones")
    p.add_argument("--base", default=None, help="the base the captions are for (default $STUDIO_BASE or the embedded one)")
    p.set_defaults(func=cmd_portfolio_captions)
    p = portfolio.add_parser("caption", parents=[common], help="set (or, with \"\", clear) one item's caption")
    p.add_argument("handle")
    p.add_argument("item")
    p.add_argument("text")
    p.set_defaults(func=cmd_portfolio_caption)

    samples = sub.add_parser("samples", help="sample creators for demos and tests").add_subparsers(dest="action", required=True)
    p = samples.add_parser("seed", parents=[common], help="write three sample illustrators and a sample copywriter with "
                                                                  "generated portfolios")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--images", type=int, default=24, help="portfolio images per creator")
    p.add_argument("--with-model", action="store_true",
                   help="make sure the first sample creator has a published model (trained now if not)")
    p.set_defaults(func=cmd_samples_seed)

    rights = sub.add_parser("rights", help="the rights ledger").add_subparsers(dest="action", required=True)
    p = rights.add_parser("verify", parents=[common],
                          help="check the ledger's chain and signed head, and that the database agrees with it; "
                               "given files, check each delivered file's content credentials, bytes and mark")
    p.add_argument("files", nargs="*", type=Path, metavar="FILE", help="delivered files to check instead")
    p.add_argument("--deep", action="store_true", help="also re-hash every blob and weights file the ledger names")
    p.set_defaults(func=cmd_rights_verify)
    p = rights.add_parser("identify", parents=[common],
                          help="which sale a file comes from, by the invisible mark in its pixels; with --text, "
                               "which text model wrote a text, by its watermark (z-score and p-value)")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--text", action="store_true", help="the files are texts: test every text model's watermark")
    p.set_defaults(func=cmd_rights_identify)
    p = rights.add_parser("report", parents=[common],
                          help="per asset: owner, licence, model version, training items and consent, money")
    about = p.add_mutually_exclusive_group(required=True)
    about.add_argument("--creator", default=None, metavar="HANDLE")
    about.add_argument("--buyer", default=None, metavar="EMAIL")
    about.add_argument("--asset", default=None, metavar="SHA256", help="a delivered file's (or its draft's) sha256")
    p.add_argument("--format", default="text", choices=("text", "json", "csv", "html"))
    p.add_argument("--out", type=Path, default=None, metavar="FILE", help="write the report here instead")
    p.set_defaults(func=cmd_rights_report)
    p = rights.add_parser("log", parents=[common], help="list ledger events")
    p.add_argument("--subject", default=None)
    p.add_argument("--kind", default=None)
    p.set_defaults(func=cmd_rights_log)

    p = sub.add_parser("serve", parents=[common],
                       help="serve a dashboard (creator, pricing-lab, rights-desk) with Voila, or the storefront")
    p.add_argument("dashboard", nargs="?", default="creator",
                   help="a dashboard name, a notebook path, or 'storefront'")
    p.add_argument("--port", type=int, default=None,
                   help=f"default {VOILA_PORT} for a dashboard, {STOREFRONT_PORT} for the storefront")
    p.add_argument("--ip", default=DEFAULT_HOST)
    p.add_argument("--cull-idle", type=int, default=DEFAULT_CULL_IDLE, metavar="SECONDS",
                   help="shut down a dashboard kernel whose page is closed after this many idle seconds "
                        f"(0: never; default {DEFAULT_CULL_IDLE})")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("up", parents=[common], help="serve the dashboards and the storefront until stopped")
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST}; "
                                                        "0.0.0.0 to serve other machines)")
    p.add_argument("--port", type=int, default=VOILA_PORT, help=f"the dashboards' port (default {VOILA_PORT})")
    p.add_argument("--storefront-port", type=int, default=STOREFRONT_PORT,
                   help=f"the storefront's port (default {STOREFRONT_PORT})")
    p.add_argument("--cull-idle", type=int, default=DEFAULT_CULL_IDLE, metavar="SECONDS",
                   help=f"shut down an idle dashboard kernel whose page is closed (0: never; default {DEFAULT_CULL_IDLE})")
    p.set_defaults(func=cmd_up)

    buyer = sub.add_parser("buyer", help="buyer accounts (the storefront's login)").add_subparsers(
        dest="action", required=True)
    p = buyer.add_parser("add", parents=[common], help="open a buyer account (asks for the password)")
    p.add_argument("email")
    p.add_argument("--password-stdin", action="store_true", help="read the password from one line of stdin")
    p.set_defaults(func=cmd_buyer_add)
    p = buyer.add_parser("list", parents=[common], help="list buyer accounts")
    p.set_defaults(func=cmd_buyer_list)

    p = sub.add_parser("gc", parents=[common], help="remove stale temporary files and blobs nothing references")
    p.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
    p.add_argument("--older-than", type=float, default=3600.0, metavar="SECONDS",
                   help="only files untouched this long (default 3600: an hour)")
    p.set_defaults(func=cmd_gc)

    # Every area's commands; a missing or broken area module is an error, never a missing command.
    from studio.assistant import cli as assistant_cli
    from studio.marketplace import cli as marketplace_cli
    from studio.pricing import cli as pricing_cli
    from studio.training import cli as training_cli

    for area in (training_cli, marketplace_cli, pricing_cli, assistant_cli):  # marketplace extends `model`
        area.register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    out = Output(getattr(args, "json", False))
    try:
        return args.func(args, out)
    except StudioError as exc:
        if out.as_json:
            print(json.dumps({"error": str(exc)}), file=sys.stderr)
        else:
            print(f"studio: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("studio: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
