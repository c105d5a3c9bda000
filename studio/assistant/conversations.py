"""The assistant's conversations: which client each is with, and whether the creator took it over.

Rows only: the `Assistant` announces each change after these commit. A conversation's row
is made on its first message; its messages stay in `assistant_messages`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import select

from studio.errors import StudioError
from studio.marketplace.orders import orders_from
from studio.store.tables import AssistantConversation, AssistantMessage

if TYPE_CHECKING:
    from studio.context import StudioContext

MAX_CLIENT_CHARS = 320  # as a buyer id in purchases


class State(NamedTuple):
    client: str | None
    taken_over: bool
    returning: bool  # bought from the creator, or wrote before in another conversation


class Conversations:
    """One creator's conversation rows in the studio database."""

    def __init__(self, ctx: StudioContext, handle: str, creator_id: str):
        self.ctx, self.handle, self.creator_id = ctx, handle, creator_id

    def _row(self, s, conversation_id: str) -> AssistantConversation | None:
        return s.scalar(select(AssistantConversation).where(AssistantConversation.creator_id == self.creator_id,
                                                            AssistantConversation.conversation_id == conversation_id))

    def open(self, conversation_id: str, client: str | None) -> State:
        """The conversation's state, its row made on first use; a known client may not change."""
        if client is not None and (not client.strip() or len(client) > MAX_CLIENT_CHARS):
            raise StudioError(f"a client id is a buyer id of 1 to {MAX_CLIENT_CHARS} characters")
        with self.ctx.transaction() as s:
            row = self._row(s, conversation_id)
            if row is None:
                row = AssistantConversation(creator_id=self.creator_id, conversation_id=conversation_id,
                                            client=client, created_at=self.ctx.now())
                s.add(row)
            elif client is not None and row.client not in (None, client):
                raise StudioError(f"conversation {conversation_id} is with {row.client}, not {client}")
            elif client is not None:
                row.client = client
            client, taken_over = row.client, row.taken_over_at is not None
            earlier = client is not None and s.scalar(select(AssistantConversation.id).where(
                AssistantConversation.creator_id == self.creator_id, AssistantConversation.client == client,
                AssistantConversation.conversation_id != conversation_id)) is not None
        returning = bool(earlier) or (client is not None and bool(orders_from(self.ctx, self.creator_id, [client])))
        return State(client, taken_over, returning)

    def take_over(self, conversation_id: str, on: bool = True) -> None:
        """The creator answers this conversation personally (on) or hands it back to the assistant."""
        with self.ctx.transaction() as s:
            row = self._row(s, conversation_id)
            if row is None:
                known = s.scalar(select(AssistantMessage.id).where(AssistantMessage.creator_id == self.creator_id,
                                                                  AssistantMessage.conversation_id == conversation_id))
                if known is None:
                    raise StudioError(f"{self.handle} has no conversation {conversation_id!r}")
                row = AssistantConversation(creator_id=self.creator_id, conversation_id=conversation_id)
                s.add(row)
            row.taken_over_at = self.ctx.now() if on else None

    def rows(self) -> dict[str, tuple[str | None, bool]]:
        """conversation id -> (client, taken over)."""
        with self.ctx.reading() as s:
            return {r.conversation_id: (r.client, r.taken_over_at is not None) for r in s.scalars(
                select(AssistantConversation).where(AssistantConversation.creator_id == self.creator_id))}
