"""Insights: what clients ask most, what went unanswered (with a suggested pair), why messages were
handed off, the answer rate and which conversations led to an order.

Computed from the message log and the consented imported chats only; nothing is stored.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from studio.assistant import guardrails
from studio.assistant.chats import cluster, question_pairs
from studio.assistant.knowledge import Knowledge
from studio.assistant.views import MessageView


def report(handle: str, log: list[MessageView], chats: list[dict], k: Knowledge | None, encoder,
           top: int = 10) -> dict[str, Any]:
    """The insights dict shown by the panel and `studio assistant insights` (see the module docstring)."""
    pairs = question_pairs(chats)
    answered = sum(1 for m in log if not m.handoff)
    conversations = conversation_rows(log, chats)
    orders = [c for c in conversations.values() if c["led_to_order"]]
    return {
        "handle": handle,
        "messages": len(log),
        "answered": answered,
        "handed_off": len(log) - answered,
        "answer_rate": round(answered / len(log), 4) if log else None,
        "frequent_questions": frequent_questions(log, pairs, encoder, top),
        "unanswered_questions": unanswered_questions(log, pairs, k, encoder, top),
        "handoff_reasons": handoff_reasons(log),
        "conversations": len(conversations),
        "conversations_with_order": len(orders),
        "orders": orders,
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
    unanswered = [m for m in log if m.handoff and (m.reason or "").startswith("no confident answer")]
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


def conversation_rows(log: list[MessageView], chats: list[dict]) -> dict[str, dict]:
    """One row per conversation: the assistant's (counted from the log) and the imported chats."""
    conversations: dict[str, dict] = {}
    for m in log:
        c = conversations.setdefault(m.conversation_id, {
            "conversation": m.conversation_id, "source": "assistant", "messages": 0, "answered": 0,
            "handoffs": 0, "led_to_order": False, "first_message": m.client_text})
        c["messages"] += 1
        c["answered"] += not m.handoff
        c["handoffs"] += m.handoff
        c["led_to_order"] = c["led_to_order"] or m.led_to_order
    for chat in chats:
        client = [t["text"] for t in chat["turns"] if t["role"] == "client"]
        conversations[chat["name"]] = {
            "conversation": chat["name"], "source": "imported chat", "messages": len(chat["turns"]),
            "answered": None, "handoffs": None, "led_to_order": chat["led_to_order"],
            "first_message": client[0] if client else ""}
    return conversations
