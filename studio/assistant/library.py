"""What one creator's assistant knows, as stored: knowledge, settings and Q&A pairs.

Rows only: nothing here embeds text or announces a change (the `Assistant` does both).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from studio.assistant import guardrails, inbox
from studio.assistant.inbox import InboxSettings
from studio.assistant.index import ApprovedPair
from studio.assistant.knowledge import Knowledge, from_stored
from studio.assistant.views import QAView
from studio.errors import StudioError
from studio.store.tables import AssistantProfile, AssistantQA, utcnow

if TYPE_CHECKING:
    from studio.context import StudioContext


class Library:
    """The creator's knowledge, settings and Q&A pairs in the studio database."""

    def __init__(self, ctx: StudioContext, handle: str, creator_id: str):
        self.ctx, self.handle, self.creator_id = ctx, handle, creator_id
        self._parsed: tuple[str, Knowledge] | None = None  # the last stored knowledge read, keyed by its content

    # --- knowledge and settings --------------------------------------------------------------

    def save_knowledge(self, k: Knowledge) -> None:
        """Store the file's content; its Q&A pairs replace the previous file's (approved: the creator wrote them)."""
        with self.ctx.transaction() as s:
            profile = s.get(AssistantProfile, self.creator_id)
            if profile is None:
                profile = AssistantProfile(creator_id=self.creator_id)
                s.add(profile)
            profile.knowledge = k.raw
            profile.updated_at = utcnow()
            s.execute(delete(AssistantQA).where(AssistantQA.creator_id == self.creator_id,
                                                AssistantQA.origin == "setup"))
            for q, a in k.qa:
                s.add(AssistantQA(creator_id=self.creator_id, question=q, answer=a, status="approved",
                                  origin="setup", support=1, variants=[]))

    def knowledge(self) -> Knowledge | None:
        """The stored knowledge with the approved Q&A pairs, or None before setup."""
        with self.ctx.reading() as s:
            profile = s.get(AssistantProfile, self.creator_id)
            if profile is None or not profile.knowledge:
                return None
            raw = dict(profile.knowledge)
            qa = [(q.question, q.answer) for q in self._rows(s, "approved")]
        key = json.dumps([raw, qa], sort_keys=True, default=str)
        if self._parsed is None or self._parsed[0] != key:  # parsing the stored file again costs ~20 ms a reply
            self._parsed = (key, from_stored(raw, qa))
        return self._parsed[1]

    def settings(self, approve_before_send: bool | None = None,
                 min_confidence: float | None = None) -> tuple[bool, float | None]:
        """(approve before send, min confidence or None for the encoder's default), changed first if given."""
        with self.ctx.transaction() as s:
            profile = s.get(AssistantProfile, self.creator_id)
            if profile is None:
                profile = AssistantProfile(creator_id=self.creator_id, knowledge={})
                s.add(profile)
            if approve_before_send is not None:
                profile.approve_before_send = bool(approve_before_send)
            if min_confidence is not None:
                profile.min_confidence = float(min_confidence)
            return bool(profile.approve_before_send), profile.min_confidence

    def inbox(self, changes: dict | None = None) -> InboxSettings:
        """The inbox settings, changed first (checked, in one transaction) if `changes` are given."""
        with self.ctx.transaction() as s:
            profile = s.get(AssistantProfile, self.creator_id)
            current = inbox.stored(profile.inbox if profile is not None else None)
            if not changes:
                return current
            new = inbox.changed(current, changes)
            if profile is None:
                profile = AssistantProfile(creator_id=self.creator_id, knowledge={})
                s.add(profile)
            profile.inbox = dataclasses.asdict(new)
            return new

    def reply_state(self) -> tuple[bool, float | None, list[ApprovedPair], InboxSettings]:
        """What a reply needs in one read: approve-before-send, min confidence, the approved pairs, the inbox."""
        with self.ctx.reading() as s:
            profile = s.get(AssistantProfile, self.creator_id)
            approved = [ApprovedPair(r.id, r.question, r.answer, tuple(r.variants or []))
                        for r in self._rows(s, "approved")]
            return (bool(profile.approve_before_send), profile.min_confidence, approved,
                    inbox.stored(profile.inbox))

    # --- Q&A pairs ---------------------------------------------------------------------------

    def _rows(self, s: Session, status: str | None = None) -> list[AssistantQA]:
        q = select(AssistantQA).where(AssistantQA.creator_id == self.creator_id)
        if status:
            q = q.where(AssistantQA.status == status)
        return list(s.scalars(q.order_by(AssistantQA.created_at, AssistantQA.id)))

    def qa(self, k: Knowledge | None, status: str | None = None) -> list[QAView]:
        """The pairs (with a status, or all), each with the guardrail findings in its answer."""
        with self.ctx.reading() as s:
            return [self._view(r, k) for r in self._rows(s, status)]

    @staticmethod
    def _view(row: AssistantQA, k: Knowledge | None) -> QAView:
        issues = [str(i) for i in guardrails.check(row.answer, k)] if k is not None else []
        return QAView(row.id, row.question, row.answer, row.status, row.origin, row.support, list(row.variants or []),
                      issues)

    def _get(self, s: Session, qa_id: str) -> AssistantQA:
        row = s.get(AssistantQA, qa_id)
        if row is None or row.creator_id != self.creator_id:
            raise StudioError(f"{self.handle} has no Q&A pair {qa_id!r}")
        return row

    def approve(self, qa_id: str, answer: str | None = None, question: str | None = None) -> None:
        with self.ctx.transaction() as s:
            row = self._get(s, qa_id)
            if answer is not None or not row.answer.strip():  # a gap proposed from insights has no answer yet
                if not (answer or "").strip():
                    raise StudioError("an approved answer cannot be empty: write the answer first")
                row.answer = answer.strip()
            if question is not None and question.strip():
                row.question = question.strip()
            row.status = "approved"

    def reject(self, qa_id: str) -> None:
        with self.ctx.transaction() as s:
            self._get(s, qa_id).status = "rejected"

    def add(self, question: str, answer: str, status: str, origin: str, support: int = 1,
            variants: Sequence[str] = ()) -> str:
        """Store a new pair; returns its id."""
        with self.ctx.transaction() as s:
            row = AssistantQA(creator_id=self.creator_id, question=question, answer=answer, status=status,
                              origin=origin, support=support, variants=list(variants))
            s.add(row)
            s.flush()
            return row.id
