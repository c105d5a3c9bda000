"""`studio assistant ...`: the creator's personal AI assistant from the command line."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

from studio.assistant.inbox import InboxSettings
from studio.cli_helpers import Output, open_studio
from studio.money import dollars
from studio.options import plain_type


def _assistant(args):
    """The handle's assistant in the home the command names."""
    return open_studio(args).assistant(args.handle)


def cmd_setup(args, out: Output) -> int:
    info = _assistant(args).setup(args.file)
    out.emit(info, f"{info['handle']}: {info['gigs']} gigs ({info['packages']} packages), {info['qa']} approved Q&A, "
                   f"{info['handoff_topics']} handoff topics")
    return 0


def cmd_reply(args, out: Output) -> int:
    r = _assistant(args).reply(args.message, conversation_id=args.conversation, offline=args.offline,
                               client=args.client)
    data = {"text": r.text, "handoff": r.handoff, "topic": r.topic, "source": r.source, "confidence": r.confidence,
            "status": r.status, "reason": r.reason, "summary": r.summary, "conversation_id": r.conversation_id,
            "message_id": r.message_id, "kind": r.kind}
    tag = r.status.upper() if r.status == "held" else "HANDOFF" if r.handoff else r.status.upper()
    text = f"{r.text}\n[{tag}] source={r.source} confidence={r.confidence:.2f}" + (f" reason: {r.reason}" if r.reason else "")
    out.emit(data, text)
    return 0


def cmd_chats_import(args, out: Output) -> int:
    info = _assistant(args).import_chats(args.file)
    out.emit(info, f"{info['imported']} conversations imported, {info['skipped_without_consent']} skipped without "
                   f"consent, {info['duplicates']} already imported; {info['proposed']} Q&A pairs proposed")
    return 0


def _qa_line(v) -> str:
    flag = f"  !! {'; '.join(v.issues)}" if v.issues else ""
    return f"{v.id}  {v.status:<8} x{v.support:<3} Q: {v.question}\n{'':>20}A: {v.answer}{flag}"


def cmd_proposals(args, out: Output) -> int:
    a = _assistant(args)
    rows = a.qa(args.status) if args.status else a.proposals()
    out.emit([v.as_dict() for v in rows], "\n".join(_qa_line(v) for v in rows) or "no proposals waiting")
    return 0


def cmd_approve(args, out: Output) -> int:
    v = _assistant(args).approve(args.qa_id, answer=args.answer, question=args.question)
    out.emit(v.as_dict(), f"approved {v.id}" + (f" (warning: {'; '.join(v.issues)})" if v.issues else ""))
    return 0


def cmd_reject(args, out: Output) -> int:
    v = _assistant(args).reject(args.qa_id)
    out.emit(v.as_dict(), f"rejected {v.id}")
    return 0


def cmd_insights(args, out: Output) -> int:
    d = _assistant(args).insights()
    rate = "n/a" if d["answer_rate"] is None else f"{d['answer_rate']:.0%}"
    lines = [f"{d['messages']} messages ({d['held']} held for you), answer rate {rate}, "
             f"{d['conversations_with_order']} of {d['conversations']} conversations led to an order, "
             f"revenue {dollars(d['revenue_cents'])} ({dollars(d['revenue_answered_alone_cents'])} from "
             f"{d['conversations_answered_alone']} conversations the assistant answered alone)",
             "most frequent questions:"]
    lines += [f"  {q['count']:>3}  {q['question']}" for q in d["frequent_questions"]]
    lines.append("unanswered (FAQ gaps):")
    lines += [f"  {g['count']:>3}  {g['question']}" + (f"  -> suggested: {g['suggested_qa']['a']}" if g["suggested_qa"]["a"] else "")
              for g in d["unanswered_questions"]] or ["  none"]
    lines.append("handoff reasons:")
    lines += [f"  {r['count']:>3}  {r['reason']}" for r in d["handoff_reasons"]] or ["  none"]
    out.emit(d, "\n".join(lines))
    return 0


def cmd_settings(args, out: Output) -> int:
    abs_ = None if args.approve_before_send is None else args.approve_before_send == "on"
    d = _assistant(args).settings(approve_before_send=abs_, min_confidence=args.min_confidence)
    out.emit(d, f"approve-before-send {'on' if d['approve_before_send'] else 'off'}, "
                f"min confidence {d['min_confidence']:.2f} ({d['encoder']})")
    return 0


def cmd_inbox(args, out: Output) -> int:
    changes = {}
    for f in dataclasses.fields(InboxSettings):
        value = getattr(args, f.name)
        if value is not None:
            changes[f.name] = (value == "on") if plain_type(typing.get_type_hints(InboxSettings)[f.name])[0] is bool \
                else (None if value in ("", "none") else value)
    d = _assistant(args).inbox(**changes)
    out.emit(d, "\n".join(f"{k.replace('_', ' ')}: {'on' if v is True else 'off' if v is False else v or '-'}"
                          for k, v in d.items()))
    return 0


def _inbox_flags(p) -> None:
    """One flag per inbox setting, from `InboxSettings` (switches take on/off, times an ISO date-time or none)."""
    hints = typing.get_type_hints(InboxSettings)
    for f in dataclasses.fields(InboxSettings):
        kind, _ = plain_type(hints[f.name])
        flag = "--" + f.name.replace("_", "-")
        if kind is bool:
            p.add_argument(flag, dest=f.name, choices=["on", "off"], default=None, help=f.metadata["help"])
        else:
            p.add_argument(flag, dest=f.name, default=None, metavar="WHEN", help=f.metadata["help"] + " or none")


def cmd_take_over(args, out: Output) -> int:
    a = _assistant(args)
    rows = a.hand_back(args.conversation) if args.hand_back else a.take_over(args.conversation)
    head = "handed back to the assistant" if args.hand_back else "taken over: the assistant stays silent in it"
    out.emit([m.as_dict() for m in rows], f"{args.conversation} {head}\n" + "\n".join(
        f"  client: {m.client_text}\n  {'you' if m.source == 'creator' else 'assistant'} [{m.status}]: "
        f"{m.reply_text or '-'}" for m in rows))
    return 0


def cmd_conversations(args, out: Output) -> int:
    rows = _assistant(args).conversations()
    out.emit(rows, "\n".join(
        f"{c['conversation']}  {c['client'] or '-':<24} {c['messages']} msgs, {c['answered']} answered, "
        f"{c['handoffs']} handed off, {c['held']} held{', TAKEN OVER' if c['taken_over'] else ''}"
        f"{', orders ' + dollars(c['revenue_cents']) if c['orders'] else ''}: {c['first_message']}" for c in rows)
        or "no conversations yet")
    return 0


def cmd_gaps(args, out: Output) -> int:
    rows = _assistant(args).propose_gaps()
    out.emit([v.as_dict() for v in rows], "\n".join(_qa_line(v) for v in rows) + "\napprove each with an answer: "
             "`studio assistant approve HANDLE QA_ID --answer TEXT`" if rows else "no new FAQ gaps to propose")
    return 0


def cmd_queue(args, out: Output) -> int:
    rows = _assistant(args).queue()
    out.emit([m.as_dict() for m in rows],
             "\n".join(f"{m.id}  [{m.conversation_id}] {m.client_text}\n{'':>22}-> {m.reply_text}" for m in rows)
             or "nothing queued")
    return 0


def cmd_send(args, out: Output) -> int:
    m = _assistant(args).send(args.message_id, text=args.text)
    out.emit(m.as_dict(), f"sent {m.id}")
    return 0


def cmd_discard(args, out: Output) -> int:
    m = _assistant(args).discard(args.message_id)
    out.emit(m.as_dict(), f"{m.id} handed to you: reply personally")
    return 0


def cmd_eval(args, out: Output) -> int:
    from studio.assistant import clinc

    d = clinc.evaluate(args.clinc or clinc.DEFAULT_DIR, intents=args.intents, per_intent=args.per_intent, oos=args.oos,
                       progress=None if args.json else out.warn)
    out.emit(d, f"CLINC150 test: in-scope accuracy {d['in_scope_accuracy']:.1%}, out-of-scope recall "
                f"{d['oos_recall']:.1%}, p95 {d['p95_ms']} ms (threshold {d['threshold']} from validation)")
    return 0


def register(sub, common) -> None:
    group = sub.add_parser("assistant", help="the creator's personal AI assistant").add_subparsers(
        dest="action", required=True)

    p = group.add_parser("setup", parents=[common], help="load the creator's knowledge from a YAML file")
    p.add_argument("handle")
    p.add_argument("file", type=Path, metavar="FILE.yaml")
    p.set_defaults(func=cmd_setup)

    p = group.add_parser("reply", parents=[common], help="answer a client message (or hand it off)")
    p.add_argument("handle")
    p.add_argument("message")
    p.add_argument("--offline", action="store_true", help="the creator is away: use the offline message on handoff")
    p.add_argument("--conversation", default=None, help="conversation id, to continue a conversation")
    p.add_argument("--client", default=None, help="the client's buyer id, to link the conversation to orders")
    p.set_defaults(func=cmd_reply)

    p = group.add_parser("inbox", parents=[common], help="when the assistant answers: pause, away, new clients, "
                         "out-of-office")
    p.add_argument("handle")
    _inbox_flags(p)
    p.set_defaults(func=cmd_inbox)

    p = group.add_parser("take-over", parents=[common], help="answer a conversation yourself (shows its transcript)")
    p.add_argument("handle")
    p.add_argument("conversation")
    p.add_argument("--hand-back", action="store_true", help="let the assistant answer it again")
    p.set_defaults(func=cmd_take_over)

    p = group.add_parser("conversations", parents=[common], help="conversations, clients, takeovers and orders")
    p.add_argument("handle")
    p.set_defaults(func=cmd_conversations)

    p = group.add_parser("gaps", parents=[common], help="propose the most handed-off questions as Q&A pairs")
    p.add_argument("handle")
    p.set_defaults(func=cmd_gaps)

    chats = group.add_parser("chats", help="past chats").add_subparsers(dest="chats_action", required=True)
    p = chats.add_parser("import", parents=[common], help="import a JSONL chat log; propose Q&A pairs")
    p.add_argument("handle")
    p.add_argument("file", type=Path, metavar="FILE.jsonl")
    p.set_defaults(func=cmd_chats_import)

    p = group.add_parser("proposals", parents=[common], help="Q&A pairs waiting for approval")
    p.add_argument("handle")
    p.add_argument("--status", choices=["proposed", "approved", "rejected"], default=None,
                   help="list pairs with this status instead")
    p.set_defaults(func=cmd_proposals)

    p = group.add_parser("approve", parents=[common], help="approve a Q&A pair (optionally edited)")
    p.add_argument("handle")
    p.add_argument("qa_id")
    p.add_argument("--answer", default=None)
    p.add_argument("--question", default=None)
    p.set_defaults(func=cmd_approve)

    p = group.add_parser("reject", parents=[common], help="reject a proposed Q&A pair")
    p.add_argument("handle")
    p.add_argument("qa_id")
    p.set_defaults(func=cmd_reject)

    p = group.add_parser("insights", parents=[common], help="frequent and unanswered questions, handoffs, orders")
    p.add_argument("handle")
    p.set_defaults(func=cmd_insights)

    p = group.add_parser("settings", parents=[common], help="approve-before-send and the confidence threshold")
    p.add_argument("handle")
    p.add_argument("--approve-before-send", choices=["on", "off"], default=None)
    p.add_argument("--min-confidence", type=float, default=None)
    p.set_defaults(func=cmd_settings)

    p = group.add_parser("queue", parents=[common], help="replies waiting for approval (approve-before-send)")
    p.add_argument("handle")
    p.set_defaults(func=cmd_queue)
    p = group.add_parser("send", parents=[common], help="send a queued reply (optionally edited)")
    p.add_argument("handle")
    p.add_argument("message_id")
    p.add_argument("--text", default=None)
    p.set_defaults(func=cmd_send)
    p = group.add_parser("discard", parents=[common], help="take over a queued reply yourself")
    p.add_argument("handle")
    p.add_argument("message_id")
    p.set_defaults(func=cmd_discard)

    p = group.add_parser("eval", parents=[common], help="measure on CLINC150 (train/validation/test)")
    p.add_argument("--clinc", type=Path, default=None, metavar="DIR",
                   help="the CLINC150 folder (default: $CLINC150_DIR or ../shared/data/clinc150)")
    p.add_argument("--intents", type=int, default=None, help="use only the first N intents (quick runs)")
    p.add_argument("--per-intent", type=int, default=None, help="queries per intent and split (quick runs)")
    p.add_argument("--oos", type=int, default=None, help="out-of-scope queries per split (quick runs)")
    p.set_defaults(func=cmd_eval)
