"""`Assistant`: one creator's personal AI assistant, driven the same way by the CLI, the panel and tests.

    a = st.assistant("mira")                  # one per creator and open home: its index is reused
    a.setup("knowledge.yaml")                 # profile, gigs, approved Q&A, handoff topics
    r = a.reply("How much is a basic logo?")  # Reply(text, handoff, topic, source, confidence)
    a.import_chats("chats.jsonl")             # consented past chats -> proposed Q&A pairs
    for qa in a.proposals(): a.approve(qa.id) # nothing is answered from an unapproved pair
    a.insights()

What a reply may say comes only from approved Q&A pairs and the gig facts; every
draft passes the guardrails before it is sent; a handoff tells the client honestly
that the creator will reply and gives the creator a one-paragraph summary. Every
reply and handoff is logged with its source.

This facade composes the parts and announces each committed change:
`library` (knowledge, settings, Q&A rows), `messages` (the log and approval queue),
`index` (the retrieval index cache), `replies` (the reply policy), `chats` (import and
proposals) and `insights`.
"""

from __future__ import annotations

import dataclasses
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from studio.assistant import chats, inbox, insights, replies
from studio.assistant.conversations import Conversations
from studio.assistant.index import IndexCache
from studio.assistant.knowledge import Knowledge, field_errors, load, parse
from studio.assistant.library import Library
from studio.assistant.messages import MessageLog
from studio.assistant.views import MessageView, QAView, Reply
from studio.errors import StudioError
from studio.events import EventKind
from studio.marketplace.orders import orders_from

if TYPE_CHECKING:
    from studio.context import StudioContext


class Assistant:
    """A creator's assistant over a `StudioContext`: no state of its own beyond the cached retrieval index."""

    def __init__(self, ctx: StudioContext, handle: str, encoder=None):
        with ctx.reading() as s:
            self.creator_id = ctx.creator_row(s, handle).id  # raises StudioError for an unknown handle
        self.ctx, self.handle = ctx, handle
        self._encoder = encoder
        self.library = Library(ctx, handle, self.creator_id)
        self.messages = MessageLog(ctx, handle, self.creator_id)
        self.conversations_store = Conversations(ctx, handle, self.creator_id)
        self.index = IndexCache()

    def __repr__(self) -> str:
        return f"Assistant({self.handle!r})"

    @property
    def encoder(self):
        if self._encoder is None:
            from studio.assistant.embed import encoder

            self._encoder = encoder()
        return self._encoder

    def _changed(self, what: str) -> None:
        self.ctx.emit(EventKind.ASSISTANT_CHANGED, self.handle, what=what)

    # --- knowledge and settings -------------------------------------------------------------

    def setup(self, source: str | Path | dict) -> dict[str, Any]:
        """Load the creator's knowledge from a YAML file, its text, or a dict (the panel's forms); replaces the
        previous file's content.

        Q&A pairs from the file are approved (the creator wrote them); pairs proposed from
        chats keep their status. A dict is checked by the same rules as the file.
        """
        k = parse(yaml.safe_dump(source, sort_keys=False, allow_unicode=True)) if isinstance(source, dict) else load(source)
        self.library.save_knowledge(k)
        self._changed("knowledge")
        return {"handle": self.handle, "gigs": len(k.gigs), "packages": sum(len(g.packages) for g in k.gigs),
                "qa": len(k.qa), "handoff_topics": len(k.handoff_topics)}

    def knowledge(self) -> Knowledge | None:
        """The stored knowledge with the approved Q&A pairs, or None before setup."""
        return self.library.knowledge()

    def _require_knowledge(self) -> Knowledge:
        k = self.knowledge()
        if k is None:
            raise StudioError(f"{self.handle} has no assistant knowledge yet (run `studio assistant setup "
                              f"{self.handle} FILE.yaml`)")
        return k

    @staticmethod
    def check_knowledge(data: dict) -> dict[str, str]:
        """The field errors of a knowledge dict, keyed by path (empty when it may be saved)."""
        return field_errors(data)

    def knowledge_yaml(self) -> str:
        """The knowledge as an editable YAML file (approved Q&A pairs included)."""
        k = self.knowledge()
        if k is None:
            return ""
        return yaml.safe_dump(k.to_dict(), sort_keys=False, allow_unicode=True, width=100)

    def settings(self, approve_before_send: bool | None = None, min_confidence: float | None = None) -> dict:
        """Read, or change, approve-before-send and the confidence below which messages are handed off."""
        if min_confidence is not None and not 0.0 < min_confidence < 1.0:
            raise StudioError("min_confidence must be between 0 and 1")
        approve, threshold = self.library.settings(approve_before_send, min_confidence)
        out = {"approve_before_send": approve,
               "min_confidence": threshold if threshold is not None else self.encoder.default_threshold,
               "encoder": self.encoder.name}
        if approve_before_send is not None or min_confidence is not None:
            self._changed("settings")
        return out

    # --- Q&A pairs -------------------------------------------------------------------------

    def qa(self, status: str | None = None) -> list[QAView]:
        return self.library.qa(self.knowledge(), status)

    def proposals(self) -> list[QAView]:
        """Candidate Q&A pairs waiting for the creator: approve (optionally edited) or reject."""
        return sorted(self.qa("proposed"), key=lambda v: -v.support)

    def _qa_view(self, qa_id: str) -> QAView:
        return next(v for v in self.qa() if v.id == qa_id)

    def approve(self, qa_id: str, answer: str | None = None, question: str | None = None) -> QAView:
        """Approve a pair, optionally with an edited answer or question; from now on it may be used."""
        self.library.approve(qa_id, answer, question)
        self._changed("qa")
        return self._qa_view(qa_id)

    def reject(self, qa_id: str) -> QAView:
        self.library.reject(qa_id)
        self._changed("qa")
        return self._qa_view(qa_id)

    def add_qa(self, question: str, answer: str, approve: bool = True, origin: str = "insights") -> QAView:
        """Add a pair by hand (for instance a suggested answer to an FAQ gap)."""
        if not question.strip() or not answer.strip():
            raise StudioError("a Q&A pair needs both a question and an answer")
        qa_id = self.library.add(question.strip(), answer.strip(), "approved" if approve else "proposed", origin)
        self._changed("qa")
        return self._qa_view(qa_id)

    # --- replying ---------------------------------------------------------------------------

    def reply(self, message: str, conversation_id: str | None = None, offline: bool = False,
              client: str | None = None) -> Reply:
        """Answer a client message from the creator's facts, hand it off, or hold it for the creator; logged.

        `client` is the client's buyer id when known (it links the conversation to what they buy);
        `offline` says the creator is away for this message (as the away switch and an
        out-of-office period do). The inbox settings decide whether the assistant answers at all.
        """
        message = (message or "").strip()
        if not message:
            raise StudioError("the client message is empty")
        k = self._require_knowledge()
        conversation_id = conversation_id or f"conv_{secrets.token_hex(6)}"
        if len(conversation_id) > 64:
            raise StudioError("a conversation id is at most 64 characters")
        queue_first, min_confidence, approved, settings = self.library.reply_state()
        state = self.conversations_store.open(conversation_id, client)
        away = inbox.is_away(settings, self.ctx.now(), offline)
        earlier = self.history(conversation_id)
        hold = inbox.hold_reason(settings, away, state.taken_over, state.returning)
        if hold:
            text = inbox.held_text(k.name, k.offline_message, away, state.taken_over)
            summary = replies.summary(conversation_id, earlier, message, hold, "held", state.client)
            message_id = self.messages.log(conversation_id, message, text, "held", True, None, None, 0.0, hold,
                                           summary)
            self._changed("messages")
            return Reply(text, True, None, None, 0.0, "held", hold, summary, conversation_id, message_id)
        threshold = min_confidence if min_confidence is not None else self.encoder.default_threshold
        d = replies.decide(message, k, self.index.get(k, approved, self.encoder), threshold)
        if d.handoff:
            text, status, reason = replies.handoff_text(k, away), "handoff", d.reason
            summary = replies.summary(conversation_id, earlier, message, d.reason, d.kind, state.client, d.topic)
        else:
            text, status = d.draft, "queued" if queue_first else "sent"
            reason = "approve-before-send: waiting for the creator" if queue_first else None
            summary = None
        message_id = self.messages.log(conversation_id, message, text, status, d.handoff, d.topic, d.source,
                                       d.confidence, reason, summary)
        self._changed("messages")
        return Reply(text, d.handoff, d.topic, d.source, round(d.confidence, 4), status, reason, summary,
                     conversation_id, message_id, d.kind)

    # --- the inbox: when the assistant answers, and conversations the creator takes over -----

    def inbox(self, **changes) -> dict[str, Any]:
        """Read, or change, the inbox settings (`inbox.InboxSettings`: paused, only_when_away,
        only_new_clients, away, out_of_office_start/end); with whether the creator counts as away now."""
        settings = self.library.inbox(changes)
        if changes:
            self._changed("settings")
        now = self.ctx.now()
        return {**dataclasses.asdict(settings), "away_now": inbox.is_away(settings, now),
                "out_of_office_now": inbox.out_of_office(settings, now)}

    def pause(self) -> dict[str, Any]:
        return self.inbox(paused=True)

    def resume(self) -> dict[str, Any]:
        return self.inbox(paused=False)

    def take_over(self, conversation_id: str) -> list[MessageView]:
        """The creator answers this conversation from now on; returns its transcript so far."""
        self.conversations_store.take_over(conversation_id, True)
        self._changed("conversations")
        return self.history(conversation_id)

    def hand_back(self, conversation_id: str) -> list[MessageView]:
        """The assistant answers this conversation again; returns its transcript."""
        self.conversations_store.take_over(conversation_id, False)
        self._changed("conversations")
        return self.history(conversation_id)

    def conversations(self) -> list[dict[str, Any]]:
        """Every conversation, newest first: client, taken over, counts, first message, linked orders."""
        rows = insights.conversation_rows(self.history(), [], self.conversations_state(), self._orders())
        return sorted(rows.values(), key=lambda c: c["last_at"] or c["first_at"], reverse=True)

    def conversations_state(self) -> dict[str, tuple[str | None, bool]]:
        return self.conversations_store.rows()

    # --- log, queue, orders -----------------------------------------------------------------

    def history(self, conversation_id: str | None = None, status: str | None = None) -> list[MessageView]:
        return self.messages.history(conversation_id, status)

    def queue(self) -> list[MessageView]:
        """Replies drafted in approve-before-send mode, waiting for the creator."""
        return self.history(status="queued")

    def send(self, message_id: str, text: str | None = None) -> MessageView:
        """The creator approves a queued reply (optionally edited); it is sent."""
        view = self.messages.send(message_id, text)
        self._changed("messages")
        return view

    def discard(self, message_id: str) -> MessageView:
        """The creator rejects a queued reply and will answer personally: it becomes a handoff."""
        view = self.messages.discard(message_id)
        self._changed("messages")
        return view

    def mark_order(self, conversation_id: str) -> int:
        """Mark by hand that a conversation led to an order (older homes did; insights now link purchases)."""
        n = self.messages.mark_order(conversation_id)
        self._changed("messages")
        return n

    # --- past chats and insights ------------------------------------------------------------

    def import_chats(self, path: str | Path) -> dict[str, Any]:
        """Import a JSONL chat log (one conversation per line); propose Q&A pairs from consented ones.

        Each line: {"id": "...", "consent": true|false, "led_to_order": false,
        "turns": [{"role": "client"|"creator", "text": "..."}, ...]}. The file is checked in
        full first: one malformed line imports nothing. Conversations without consent are
        counted and dropped; their text is never stored.
        """
        path = Path(path)
        if not path.is_file():
            raise StudioError(f"no chat log at {path}")
        if path.stat().st_size > 4 * chats.MAX_LOG_CHARS:  # checked before reading: a UTF-8 char is <= 4 bytes
            raise StudioError(f"{path.name}: the file is {path.stat().st_size} bytes, over the limit for a chat log")
        found = chats.parse_chats(path.read_text(encoding="utf-8"), path.name)
        counts = chats.save(self.ctx, self.creator_id, found)
        proposed = self.propose_from_chats() if counts["imported"] else []
        self._changed("chats")
        return {"handle": self.handle, "conversations": len(found), **counts, "proposed": len(proposed)}

    def propose_from_chats(self, min_support: int = 2) -> list[QAView]:
        """Cluster recurring client questions from consented chats; propose each with the creator's best answer."""
        pairs = chats.question_pairs(chats.consented(self.ctx, self.creator_id))
        existing = [q.question for q in self.qa()]
        found = chats.propose(pairs, self.knowledge(), existing, self.encoder, min_support)
        new_ids = [self.library.add(p.question, p.answer, "proposed", "chats", p.support, p.variants) for p in found]
        if new_ids:
            self._changed("qa")
        return [v for v in self.qa() if v.id in new_ids]

    def _orders(self):
        clients = {c for c, _ in self.conversations_state().values() if c}
        return orders_from(self.ctx, self.creator_id, clients)

    def insights(self, top: int = 10) -> dict[str, Any]:
        """Answered/handed-off rates, frequent questions, FAQ gaps (candidate pairs), handoff reasons, and the
        purchases and edit jobs each client made after their conversation, with the revenue of those the
        assistant answered alone."""
        return insights.report(self.handle, self.history(), chats.consented(self.ctx, self.creator_id),
                               self.knowledge(), self.encoder, top, self.conversations_state(), self._orders())

    def propose_gaps(self, top: int = 10) -> list[QAView]:
        """Offer the most often handed-off questions as Q&A pairs to approve (with an answer the creator writes,
        or one from past chats); a question already decided is not offered again."""
        existing = {q.question.lower() for q in self.qa()}
        new_ids = [self.library.add(g["question"], g["suggested_qa"]["a"] or "", "proposed", "insights", g["count"],
                                    [e for e in g["examples"] if e != g["question"]])
                   for g in self.insights(top)["unanswered_questions"] if g["question"].lower() not in existing]
        if new_ids:
            self._changed("qa")
        return [v for v in self.qa() if v.id in new_ids]
