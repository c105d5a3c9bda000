"""The reply policy: answer from approved knowledge, or hand the message to the creator.

`decide` looks a client message up in the index and applies the rules, in order:

1. a request for a reduction is always handed off (a discount is the creator's call);
2. a handoff topic that matches, and comes within `HANDOFF_MARGIN` of the best answer,
   wins: when unsure, hand off;
3. below the confidence threshold nothing approved answers it: hand off;
4. the best answer's text must pass the guardrails, or it is handed off instead.

`handoff_text` is what the client is told on a handoff (honestly: the creator will
reply), and `summary` is the one paragraph the creator gets with it. Nothing here
touches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from studio.assistant import guardrails
from studio.assistant.index import Index
from studio.assistant.knowledge import Knowledge
from studio.assistant.views import MessageView, clip, join_words

HANDOFF_MARGIN = 0.05  # a handoff topic this close to the best answer wins: when unsure, hand off
DISCOUNT_TOPIC_RE = re.compile(r"discount|cheap|pric|coupon", re.I)


@dataclass(frozen=True)
class Decision:
    """What to do with one message: send `draft`, or hand off with `reason`."""

    handoff: bool
    topic: str | None
    source: str | None
    confidence: float
    reason: str | None = None
    draft: str | None = None  # the approved answer, when not handed off


def decide(message: str, k: Knowledge, index: Index, threshold: float) -> Decision:
    """Apply the policy (see the module docstring) to one client message."""
    scores = index.matcher.scores([message])[0]
    labels = index.labels
    order = np.argsort(-scores)
    best_answer = next((int(i) for i in order if not labels[i].startswith("handoff:")), None)
    best_handoff = next((int(i) for i in order if labels[i].startswith("handoff:")), None)
    sa = float(scores[best_answer]) if best_answer is not None else 0.0
    sh = float(scores[best_handoff]) if best_handoff is not None else 0.0
    answer_label = labels[best_answer] if best_answer is not None else None

    if guardrails.asks_for_discount(message):
        topic = next((t.topic for t in k.all_handoff_topics() if DISCOUNT_TOPIC_RE.search(t.topic)),
                     "discount request")
        return Decision(True, topic, f"handoff:{topic}", max(sh, 0.9),
                        f"handoff topic: {topic} (asks for a reduction)")
    if best_handoff is not None and sh >= threshold and sh >= sa - HANDOFF_MARGIN:
        topic = index.topics[labels[best_handoff]]
        return Decision(True, topic, f"handoff:{topic}", sh, f"handoff topic: {topic}")
    if answer_label is None or sa < threshold:
        near = f"; nearest: {index.topics[answer_label]}" if answer_label else ""
        return Decision(True, None, None, sa, f"no confident answer: best match {sa:.2f} < {threshold:.2f}{near}")

    draft = index.answers[answer_label]
    issues = guardrails.check(draft, k)
    if issues:
        return Decision(True, None, answer_label, sa, "guardrail: " + "; ".join(str(i) for i in issues))
    return Decision(False, index.topics[answer_label], answer_label, sa, draft=draft)


def handoff_text(k: Knowledge, offline: bool) -> str:
    """What the client reads on a handoff: the creator will reply personally."""
    name = k.name
    if offline and k.offline_message:
        return f"{k.offline_message} I've passed your message to {name}, who will reply to you personally."
    if offline:
        return f"{name} is away right now. I've passed your message on, and {name} will reply to you personally."
    return f"Thanks for your message! I've passed it to {name}, who will reply to you personally soon."


def summary(conversation_id: str, earlier: list[MessageView], message: str, reason: str) -> str:
    """One paragraph for the creator: the conversation so far, this message and why it was handed off."""
    answered = [m for m in earlier if not m.handoff]
    parts = [f"Conversation {conversation_id}:"]
    if earlier:
        parts.append(f"the client wrote {len(earlier) + 1} messages so far, first asking "
                     f"\"{clip(earlier[0].client_text, 70)}\";")
        if answered:
            parts.append("the assistant answered about " + join_words(sorted({m.topic or '?' for m in answered}))
                         + " from approved knowledge;")
        handed = [m for m in earlier if m.handoff]
        if handed:
            parts.append(f"{len(handed)} earlier message(s) were already handed to you;")
    parts.append(f"now the client writes \"{clip(message, 140)}\". Handed off because of "
                 f"{reason}. The client was told you will reply personally.")
    return " ".join(parts)
