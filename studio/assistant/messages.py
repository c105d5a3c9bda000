"""The message log: every client message, what the assistant did with it, and the approval queue.

Rows only: the `Assistant` announces each change after these commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from studio.assistant.views import MessageView, message_view
from studio.errors import StudioError
from studio.store.tables import AssistantMessage

if TYPE_CHECKING:
    from studio.context import StudioContext


class MessageLog:
    """One creator's logged assistant messages in the studio database."""

    def __init__(self, ctx: StudioContext, handle: str, creator_id: str):
        self.ctx, self.handle, self.creator_id = ctx, handle, creator_id

    def log(self, conversation_id: str, client_text: str, reply_text: str, status: str, handoff: bool,
            topic: str | None, source: str | None, confidence: float, reason: str | None = None,
            summary: str | None = None) -> str:
        """Record one message and what was done with it; returns the message id."""
        with self.ctx.transaction() as s:
            row = AssistantMessage(creator_id=self.creator_id, conversation_id=conversation_id,
                                   client_text=client_text, reply_text=reply_text, status=status, handoff=handoff,
                                   topic=topic and topic[:200], source=source and source[:200],
                                   confidence=float(confidence), reason=reason, summary=summary)
            s.add(row)
            s.flush()
            return row.id

    def history(self, conversation_id: str | None = None, status: str | None = None) -> list[MessageView]:
        with self.ctx.reading() as s:
            q = select(AssistantMessage).where(AssistantMessage.creator_id == self.creator_id)
            if conversation_id:
                q = q.where(AssistantMessage.conversation_id == conversation_id)
            if status:
                q = q.where(AssistantMessage.status == status)
            return [message_view(m) for m in s.scalars(q.order_by(AssistantMessage.created_at, AssistantMessage.id))]

    def _queued(self, s: Session, message_id: str) -> AssistantMessage:
        row = s.get(AssistantMessage, message_id)
        if row is None or row.creator_id != self.creator_id:
            raise StudioError(f"{self.handle} has no assistant message {message_id!r}")
        if row.status != "queued":
            raise StudioError(f"message {message_id} is {row.status}, not queued")
        return row

    def send(self, message_id: str, text: str | None = None) -> MessageView:
        """A queued reply goes out (with the creator's edit, if any)."""
        with self.ctx.transaction() as s:
            row = self._queued(s, message_id)
            if text is not None and text.strip():
                row.reply_text, row.source = text.strip(), "creator"
            row.status, row.reason = "sent", "approved by the creator"
            return message_view(row)

    def discard(self, message_id: str) -> MessageView:
        """A queued reply is dropped: the creator answers personally, so it becomes a handoff."""
        with self.ctx.transaction() as s:
            row = self._queued(s, message_id)
            row.status, row.handoff, row.reason = "handoff", True, "creator took over from the queue"
            return message_view(row)

    def mark_order(self, conversation_id: str) -> int:
        """Flag every message of a conversation as having led to an order; returns how many."""
        with self.ctx.transaction() as s:
            rows = list(s.scalars(select(AssistantMessage).where(
                AssistantMessage.creator_id == self.creator_id, AssistantMessage.conversation_id == conversation_id)))
            if not rows:
                raise StudioError(f"{self.handle} has no conversation {conversation_id!r}")
            for r in rows:
                r.led_to_order = True
            return len(rows)
