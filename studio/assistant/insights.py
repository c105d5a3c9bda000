"""Insights: how often the assistant answers, what it hands off most (FAQ gaps, offered as candidate
Q&A pairs), why, and the money its conversations led to.

A conversation with a known client (a buyer id) is linked to the purchases and accepted edit
jobs that buyer made with the creator after it (`studio.marketplace.orders`): each order goes
to the client's latest conversation that began before it, so none is counted twice. Older data
stays readable: a conversation marked "led to an order" by hand, or an imported chat with
`led_to_order`, still counts as one with an order (without revenue). Computed from the message
log, the conversations, the orders and the consented imported chats; nothing is stored.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from studio.assistant import guardrails
from studio.assistant.chats import cluster, question_pairs
from studio.assistant.knowledge import Knowledge
from studio.assistant.views import MessageView

GAP_REASONS = ("no confident answer", "not offered")  # handed off because nothing approved answers it


def report(handle: str, log: list[MessageView], chats: list[dict], k: Knowledge | None, encoder,
           top: int = 10, conversations: dict | None = None, orders: list | None = None) -> dict[str, Any]:
    """The insights dict shown by the panel and `studio assistant insights` (see the module docstring)."""
    pairs = question_pairs(chats)
    held = sum(1 for m in log if m.status == "held")
    decided = len(log) - held
    answered = sum(1 for m in log if not m.handoff)
    rows = conversation_rows(log, chats, conversations or {}, orders or [])
    with_order = [c for c in rows.values() if c["led_to_order"]]
    alone = [c for c in rows.values() if c["answered_alone"]]
    return {
        "handle": handle,
        "messages": len(log),
        "answered": answered,
        "handed_off": decided - answered,
        "held": held,
        "answer_rate": round(answered / decided, 4) if decided else None,
        "handoff_rate": round((decided - answered) / decided, 4) if decided else None,
        "frequent_questions": frequent_questions(log, pairs, encoder, top),
        "unanswered_questions": unanswered_questions(log, pairs, k, encoder, top),
        "handoff_reasons": handoff_reasons(log),
        "conversations": len(rows),
        "conversations_with_order": len(with_order),
        "orders": with_order,
        "revenue_cents": sum(c["revenue_cents"] for c in rows.values()),
        "conversations_answered_alone": len(alone),
        "revenue_answered_alone_cents": sum(c["revenue_cents"] for c in alone),
    }


def frequent_questions(log: list[MessageView], pairs: list[dict], encoder, top: int) -> list[dict]:
    """The largest clusters of client questions, from the log and the imported chats."""
    questions = [m.client_text for m in log] + [p["question"] for p in pairs]
    out = []
    for members in cluster(questions, encoder)[:top]:
        texts = [questions[i] for i in members]
        out.append({"question": Counter(texts).most_common(1)[0][0], "count": len(members),
                    "examples": sorted(set(texts))[:5]})
    return out


def unanswered_questions(log: list[MessageView], pairs: list[dict], k: Knowledge | None, encoder,
                         top: int) -> list[dict]:
    """FAQ gaps: handed off for want of a confident answer, each with the creator's past answer if one fits."""
    unanswered = [m for m in log if m.handoff and (m.reason or "").startswith(GAP_REASONS)]
    if not unanswered:
        return []
    known = [p for p in pairs if p["answer"]]
    E_known = encoder.encode([p["question"] for p in known]) if known else None
    gaps = []
    for members in cluster([m.client_text for m in unanswered], encoder)[:top]:
        texts = [unanswered[i].client_text for i in members]
        question = Counter(texts).most_common(1)[0][0]
        suggestion = None
        if E_known is not None:
            sims = E_known @ encoder.encode([question])[0]
            for j in np.argsort(-sims)[:5]:
                if sims[j] < encoder.default_threshold:
                    break
                if k is None or not guardrails.check(known[j]["answer"], k):
                    suggestion = known[j]["answer"]
                    break
        gaps.append({"question": question, "count": len(members), "examples": sorted(set(texts))[:5],
                     "suggested_qa": {"q": question, "a": suggestion}})
    return gaps


def handoff_reasons(log: list[MessageView]) -> list[dict]:
    reasons = Counter()
    for m in log:
        if m.handoff:
            reasons[(m.reason or "handed off").split(":")[0] + (f": {m.topic}" if m.topic else "")] += 1
    return [{"reason": r, "count": n} for r, n in reasons.most_common()]


def conversation_rows(log: list[MessageView], chats: list[dict], conversations: dict[str, tuple[str | None, bool]],
                      orders: list) -> dict[str, dict]:
    """One row per conversation: the assistant's (from the log, with its client and orders) and the imported chats."""
    rows: dict[str, dict] = {}
    for m in log:
        client, taken_over = conversations.get(m.conversation_id, (None, False))
        c = rows.setdefault(m.conversation_id, {
            "conversation": m.conversation_id, "source": "assistant", "client": client, "taken_over": taken_over,
            "messages": 0, "answered": 0, "handoffs": 0, "held": 0, "led_to_order": False, "marked_by_hand": False,
            "orders": [], "revenue_cents": 0, "first_message": m.client_text, "first_at": m.created_at,
            "last_at": m.created_at})
        c["messages"] += 1
        c["held"] += m.status == "held"
        c["answered"] += not m.handoff
        c["handoffs"] += m.handoff and m.status != "held"
        c["marked_by_hand"] = c["marked_by_hand"] or m.led_to_order
        c["last_at"] = m.created_at
    for order in orders:  # to the client's latest conversation that began before the order
        before = [c for c in rows.values() if c["client"] == order.buyer and c["first_at"] <= order.created_at]
        if before:
            c = max(before, key=lambda c: c["first_at"])
            c["orders"].append({"kind": order.kind, "id": order.id, "cents": order.cents})
            c["revenue_cents"] += order.cents
    for c in rows.values():
        c["led_to_order"] = bool(c["orders"]) or c["marked_by_hand"]
        c["answered_alone"] = c["answered"] > 0 and not (c["handoffs"] or c["held"] or c["taken_over"])
    for chat in chats:
        client = [t["text"] for t in chat["turns"] if t["role"] == "client"]
        rows[chat["name"]] = {
            "conversation": chat["name"], "source": "imported chat", "client": None, "taken_over": False,
            "messages": len(chat["turns"]), "answered": None, "handoffs": None, "held": None,
            "led_to_order": chat["led_to_order"], "marked_by_hand": chat["led_to_order"], "orders": [],
            "revenue_cents": 0, "answered_alone": False, "first_message": client[0] if client else "",
            "first_at": None, "last_at": None}
    return rows
