"""What the assistant hands back: a reply, a Q&A pair, a logged message (plain frozen dataclasses)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from studio.store.tables import AssistantMessage


@dataclass(frozen=True)
class Reply:
    """What the assistant did with one client message."""

    text: str  # what the client sees (or, when queued, the draft waiting for the creator)
    handoff: bool
    topic: str | None  # the handoff topic, or the gig/Q&A topic answered
    source: str | None  # "qa:<id>", "gig:<title>:<fact>", "profile:<field>", "handoff:<topic>", ...
    confidence: float
    status: str = "sent"  # sent | queued | handoff | held (not answered: the inbox settings, or taken over)
    reason: str | None = None  # why it was handed off or queued
    summary: str | None = None  # for the creator, on handoff
    conversation_id: str = ""
    message_id: str = ""
    kind: str | None = None  # on a handoff: discount, custom_price, rush, human, topic, not_offered, unknown, guardrail

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class QAView:
    id: str
    question: str
    answer: str
    status: str
    origin: str
    support: int
    variants: list[str] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)  # guardrail findings in the answer, if any

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MessageView:
    id: str
    conversation_id: str
    client_text: str
    reply_text: str
    status: str
    handoff: bool
    topic: str | None
    source: str | None
    confidence: float
    reason: str | None
    summary: str | None
    led_to_order: bool
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def message_view(m: AssistantMessage) -> MessageView:
    return MessageView(m.id, m.conversation_id, m.client_text, m.reply_text, m.status, m.handoff, m.topic, m.source,
                       round(m.confidence, 4), m.reason, m.summary, m.led_to_order, m.created_at)


def clip(text: str, n: int = 90) -> str:
    """`text` on one line, cut to `n` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def join_words(items: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
