"""`Assistant`: one creator's personal AI assistant, driven the same way by the CLI, the panel and tests.

    from studio.assistant import Assistant
    a = Assistant(st, "mira")
    a.setup("knowledge.yaml")                 # profile, gigs, approved Q&A, handoff topics
    r = a.reply("How much is a basic logo?")  # Reply(text, handoff, topic, source, confidence)
    a.import_chats("chats.jsonl")             # consented past chats -> proposed Q&A pairs
    for qa in a.proposals(): a.approve(qa.id) # nothing is answered from an unapproved pair
    a.insights()

What a reply may say comes only from approved Q&A pairs and the gig facts; every
draft passes the guardrails (`studio.assistant.guardrails`) before it is sent; a
handoff tells the client honestly that the creator will reply and gives the creator
a one-paragraph summary. Every reply and handoff is logged with its source.
"""

from __future__ import annotations

import json
import re
import secrets
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sqlalchemy import delete, select

from studio.assistant import guardrails
from studio.assistant.knowledge import Knowledge, from_stored, load
from studio.errors import StudioError
from studio.store.tables import AssistantChat, AssistantMessage, AssistantProfile, AssistantQA, utcnow

HANDOFF_MARGIN = 0.05  # a handoff topic this close to the best answer wins: when unsure, hand off
CLUSTER_SIMILARITY = 0.72  # client questions at least this similar count as the same question


@dataclass(frozen=True)
class Reply:
    """What the assistant did with one client message."""

    text: str  # what the client sees (or, when queued, the draft waiting for the creator)
    handoff: bool
    topic: str | None  # the handoff topic, or the gig/Q&A topic answered
    source: str | None  # "qa:<id>", "gig:<title>:<fact>", "profile:<field>", "handoff:<topic>", ...
    confidence: float
    status: str = "sent"  # sent | queued | handoff
    reason: str | None = None  # why it was handed off or queued
    summary: str | None = None  # for the creator, on handoff
    conversation_id: str = ""
    message_id: str = ""

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


def _msg_view(m: AssistantMessage) -> MessageView:
    return MessageView(m.id, m.conversation_id, m.client_text, m.reply_text, m.status, m.handoff, m.topic, m.source,
                       round(m.confidence, 4), m.reason, m.summary, m.led_to_order, m.created_at)


def _clip(text: str, n: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


class Assistant:
    """A creator's assistant over an open `Studio`; holds no state the database does not."""

    def __init__(self, st, handle: str, encoder=None):
        self.st = st
        self.creator = st.creator(handle)  # raises StudioError for an unknown handle
        self.handle = handle
        self._encoder = encoder
        self._index_key: Any = None
        self._index = None

    def __repr__(self) -> str:
        return f"Assistant({self.handle!r})"

    @property
    def encoder(self):
        if self._encoder is None:
            from studio.assistant.embed import encoder

            self._encoder = encoder()
        return self._encoder

    def _changed(self, what: str) -> None:
        self.st._notify("assistant.changed", {"handle": self.handle, "what": what})

    # --- knowledge ------------------------------------------------------------------------

    def setup(self, source: str | Path) -> dict[str, Any]:
        """Load the creator's knowledge from a YAML file (or its text); replaces the previous file's content.

        Q&A pairs from the file are approved (the creator wrote them); pairs proposed from
        chats keep their status.
        """
        k = load(source)
        with self.st.transaction() as s:
            profile = s.get(AssistantProfile, self.creator.id)
            if profile is None:
                profile = AssistantProfile(creator_id=self.creator.id)
                s.add(profile)
            profile.knowledge = k.raw
            profile.updated_at = utcnow()
            s.execute(delete(AssistantQA).where(AssistantQA.creator_id == self.creator.id,
                                                AssistantQA.origin == "setup"))
            for q, a in k.qa:
                s.add(AssistantQA(creator_id=self.creator.id, question=q, answer=a, status="approved",
                                  origin="setup", support=1, variants=[]))
        self._changed("knowledge")
        return {"handle": self.handle, "gigs": len(k.gigs), "packages": sum(len(g.packages) for g in k.gigs),
                "qa": len(k.qa), "handoff_topics": len(k.handoff_topics)}

    def knowledge(self) -> Knowledge | None:
        """The stored knowledge with the approved Q&A pairs, or None before setup."""
        with self.st.transaction() as s:
            profile = s.get(AssistantProfile, self.creator.id)
            if profile is None or not profile.knowledge:
                return None
            raw = dict(profile.knowledge)
            qa = [(q.question, q.answer) for q in self._qa_rows(s, "approved")]
        return from_stored(raw, qa)

    def _require_knowledge(self) -> Knowledge:
        k = self.knowledge()
        if k is None:
            raise StudioError(f"{self.handle} has no assistant knowledge yet (run `studio assistant setup "
                              f"{self.handle} FILE.yaml`)")
        return k

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
        with self.st.transaction() as s:
            profile = s.get(AssistantProfile, self.creator.id)
            if profile is None:
                profile = AssistantProfile(creator_id=self.creator.id, knowledge={})
                s.add(profile)
            if approve_before_send is not None:
                profile.approve_before_send = bool(approve_before_send)
            if min_confidence is not None:
                profile.min_confidence = float(min_confidence)
            out = {"approve_before_send": bool(profile.approve_before_send),
                   "min_confidence": profile.min_confidence if profile.min_confidence is not None
                   else self.encoder.default_threshold, "encoder": self.encoder.name}
        if approve_before_send is not None or min_confidence is not None:
            self._changed("settings")
        return out

    # --- Q&A pairs -----------------------------------------------------------------------

    def _qa_rows(self, s, status: str | None = None) -> list[AssistantQA]:
        q = select(AssistantQA).where(AssistantQA.creator_id == self.creator.id)
        if status:
            q = q.where(AssistantQA.status == status)
        return list(s.scalars(q.order_by(AssistantQA.created_at, AssistantQA.id)))

    def _view(self, row: AssistantQA, k: Knowledge | None) -> QAView:
        issues = [str(i) for i in guardrails.check(row.answer, k)] if k is not None else []
        return QAView(row.id, row.question, row.answer, row.status, row.origin, row.support, list(row.variants or []),
                      issues)

    def qa(self, status: str | None = None) -> list[QAView]:
        k = self.knowledge()
        with self.st.transaction() as s:
            return [self._view(r, k) for r in self._qa_rows(s, status)]

    def proposals(self) -> list[QAView]:
        """Candidate Q&A pairs waiting for the creator: approve (optionally edited) or reject."""
        return sorted(self.qa("proposed"), key=lambda v: -v.support)

    def _get_qa(self, s, qa_id: str) -> AssistantQA:
        row = s.get(AssistantQA, qa_id)
        if row is None or row.creator_id != self.creator.id:
            raise StudioError(f"{self.handle} has no Q&A pair {qa_id!r}")
        return row

    def approve(self, qa_id: str, answer: str | None = None, question: str | None = None) -> QAView:
        """Approve a pair, optionally with an edited answer or question; from now on it may be used."""
        with self.st.transaction() as s:
            row = self._get_qa(s, qa_id)
            if answer is not None:
                if not answer.strip():
                    raise StudioError("an approved answer cannot be empty")
                row.answer = answer.strip()
            if question is not None and question.strip():
                row.question = question.strip()
            row.status = "approved"
        self._changed("qa")
        return next(v for v in self.qa() if v.id == qa_id)

    def reject(self, qa_id: str) -> QAView:
        with self.st.transaction() as s:
            self._get_qa(s, qa_id).status = "rejected"
        self._changed("qa")
        return next(v for v in self.qa() if v.id == qa_id)

    def add_qa(self, question: str, answer: str, approve: bool = True, origin: str = "insights") -> QAView:
        """Add a pair by hand (for instance a suggested answer to an FAQ gap)."""
        if not question.strip() or not answer.strip():
            raise StudioError("a Q&A pair needs both a question and an answer")
        with self.st.transaction() as s:
            row = AssistantQA(creator_id=self.creator.id, question=question.strip(), answer=answer.strip(),
                              status="approved" if approve else "proposed", origin=origin, support=1, variants=[])
            s.add(row)
            s.flush()
            qa_id = row.id
        self._changed("qa")
        return next(v for v in self.qa() if v.id == qa_id)

    # --- retrieval index -------------------------------------------------------------------

    def _facts(self, k: Knowledge) -> list[tuple[str, str, list[str], str]]:
        """(label, topic, example questions, answer) for everything the gig data and profile answer."""
        facts = []
        for g in k.gigs:
            t, tl = g.title, g.title.lower()
            pk = g.packages
            prices = _join([f"{p.name} {p.price_text}" for p in pk])
            days = _join([f"{p.name} in {p.delivery_days} day{'s' if p.delivery_days != 1 else ''}" for p in pk])
            revs = _join([f"{p.name} includes {p.revisions_text}" for p in pk])
            facts.append((f"gig:{t}:price", f"{t} prices", [
                f"how much is {tl}", f"what does {tl} cost", f"price of {tl}", f"how much do you charge for {tl}",
                f"what are your rates for {tl}", f"{tl} price", f"how much for a {tl}"]
                + [f"how much is the {p.name.lower()} {tl} package" for p in pk],
                f"{t}: {prices}."))
            facts.append((f"gig:{t}:delivery", f"{t} delivery", [
                f"how long does {tl} take", f"delivery time for {tl}", f"when will my {tl} be ready",
                f"how many days for {tl}", f"turnaround for {tl}"], f"Delivery for {t}: {days}."))
            facts.append((f"gig:{t}:revisions", f"{t} revisions", [
                f"how many revisions for {tl}", f"can I ask for changes to my {tl}", f"revisions included in {tl}"],
                f"Revisions for {t}: {revs}."))
            inc = "; ".join(f"{p.name} ({p.price_text}): {', '.join(p.includes)}" for p in pk if p.includes)
            if inc:
                facts.append((f"gig:{t}:includes", f"{t} packages", [
                    f"what is included in {tl}", f"what do I get with {tl}", f"what's in the {tl} packages",
                    f"difference between the {tl} packages"], f"{t} packages — {inc}."))
        gig_list = _join([f"{g.title} (from {min(g.packages, key=lambda p: p.price_cents).price_text})" for g in k.gigs])
        facts.append(("gigs:services", "services", [
            "what services do you offer", "what do you do", "what can you make for me", "what kind of work do you do",
            "which gigs do you have"], f"{k.name} offers {gig_list}."))
        if len(k.gigs) > 1:
            facts.append(("gigs:price", "prices", [
                "how much do you charge", "what are your prices", "what are your rates", "how much does it cost"],
                " ".join(f"{g.title}: {_join([f'{p.name} {p.price_text}' for p in g.packages])}." for g in k.gigs)))
            facts.append(("gigs:delivery", "delivery", [
                "how long does it take", "what is your turnaround time", "how fast do you deliver",
                "when will I get my order"],
                " ".join(f"{g.title}: {_join([f'{p.name} in {p.delivery_days} days' for p in g.packages])}." for g in k.gigs)))
            facts.append(("gigs:revisions", "revisions", [
                "how many revisions do I get", "can I ask for changes", "do you do revisions"],
                " ".join(f"{g.title}: {_join([f'{p.name} {p.revisions_text}' for p in g.packages])}." for g in k.gigs)))
        langs = k.profile.get("languages") or []
        if langs:
            facts.append(("profile:languages", "languages", [
                "what languages do you speak", "do you speak my language", "can we talk in another language"],
                f"{k.name} works in {_join(list(langs))}."))
        if k.profile.get("timezone"):
            facts.append(("profile:timezone", "timezone", [
                "what time zone are you in", "where are you based", "when are you available"],
                f"{k.name} works on {k.profile['timezone']} time."))
        if k.profile.get("bio"):
            facts.append(("profile:bio", "about", ["tell me about yourself", "who are you", "what is your style"],
                          f"{k.profile['bio']}"))
        return facts

    def _build_index(self, k: Knowledge, qa_rows: list[AssistantQA]):
        from studio.assistant.matcher import Matcher

        key = (json.dumps(k.raw, sort_keys=True, default=str),
               tuple((r.id, r.question, r.answer, tuple(r.variants or [])) for r in qa_rows), self.encoder.name)
        if key == self._index_key:
            return self._index
        texts, labels, answers, topics = [], [], {}, {}
        for r in qa_rows:
            label = f"qa:{r.id}"
            for q in [r.question, *(r.variants or [])]:
                texts.append(q)
                labels.append(label)
            answers[label], topics[label] = r.answer, _clip(r.question, 60)
        for label, topic, examples, answer in self._facts(k):
            texts += examples
            labels += [label] * len(examples)
            answers[label], topics[label] = answer, topic
        for t in k.all_handoff_topics():
            label = f"handoff:{t.topic}"
            for ex in [t.topic, *t.examples]:
                texts.append(ex)
                labels.append(label)
            topics[label] = t.topic
        matcher = Matcher(self.encoder, mode="nearest").fit(texts, labels)
        self._index_key, self._index = key, (matcher, answers, topics)
        return self._index

    # --- replying ----------------------------------------------------------------------------

    def reply(self, message: str, conversation_id: str | None = None, offline: bool = False) -> Reply:
        """Answer a client message from approved knowledge, or hand it to the creator; logged either way."""
        message = (message or "").strip()
        if not message:
            raise StudioError("the client message is empty")
        k = self._require_knowledge()
        conversation_id = conversation_id or f"conv_{secrets.token_hex(6)}"
        if len(conversation_id) > 64:
            raise StudioError("a conversation id is at most 64 characters")
        with self.st.transaction() as s:
            profile = s.get(AssistantProfile, self.creator.id)
            queue_first = bool(profile.approve_before_send)
            threshold = profile.min_confidence if profile.min_confidence is not None else self.encoder.default_threshold
            qa_rows = self._qa_rows(s, "approved")
            for r in qa_rows:
                s.expunge(r)
        matcher, answers, topics = self._build_index(k, qa_rows)

        scores = matcher.scores([message])[0]
        order = np.argsort(-scores)
        best_answer = next((int(i) for i in order if not matcher.labels[i].startswith("handoff:")), None)
        best_handoff = next((int(i) for i in order if matcher.labels[i].startswith("handoff:")), None)
        sa = float(scores[best_answer]) if best_answer is not None else 0.0
        sh = float(scores[best_handoff]) if best_handoff is not None else 0.0
        answer_label = matcher.labels[best_answer] if best_answer is not None else None

        asks_discount = any(not guardrails._negated(message, m.start())
                            for m in guardrails.DISCOUNT_RE.finditer(message))
        if asks_discount:
            discount_topic = next((t.topic for t in k.all_handoff_topics()
                                   if re.search(r"discount|cheap|pric|coupon", t.topic, re.I)), "discount request")
            return self._handoff(k, message, conversation_id, offline, topic=discount_topic,
                                 source=f"handoff:{discount_topic}", confidence=max(sh, 0.9),
                                 reason=f"handoff topic: {discount_topic} (asks for a reduction)")
        if best_handoff is not None and sh >= threshold and sh >= sa - HANDOFF_MARGIN:
            topic = topics[matcher.labels[best_handoff]]
            return self._handoff(k, message, conversation_id, offline, topic=topic, source=f"handoff:{topic}",
                                 confidence=sh, reason=f"handoff topic: {topic}")
        if answer_label is None or sa < threshold:
            near = f"; nearest: {topics[answer_label]}" if answer_label else ""
            return self._handoff(k, message, conversation_id, offline, topic=None, source=None, confidence=sa,
                                 reason=f"no confident answer: best match {sa:.2f} < {threshold:.2f}{near}")

        draft = answers[answer_label]
        issues = guardrails.check(draft, k)
        if issues:
            return self._handoff(k, message, conversation_id, offline, topic=None, source=answer_label,
                                 confidence=sa, reason="guardrail: " + "; ".join(str(i) for i in issues))
        status = "queued" if queue_first else "sent"
        row = self._log(conversation_id, message, draft, status, False, topics[answer_label], answer_label, sa,
                        reason="approve-before-send: waiting for the creator" if queue_first else None)
        return Reply(draft, False, topics[answer_label], answer_label, round(sa, 4), status, row.reason, None,
                     conversation_id, row.id)

    def _handoff(self, k: Knowledge, message: str, conversation_id: str, offline: bool, *, topic: str | None,
                 source: str | None, confidence: float, reason: str) -> Reply:
        name = k.name
        if offline and k.offline_message:
            text = f"{k.offline_message} I've passed your message to {name}, who will reply to you personally."
        elif offline:
            text = f"{name} is away right now. I've passed your message on, and {name} will reply to you personally."
        else:
            text = f"Thanks for your message! I've passed it to {name}, who will reply to you personally soon."
        summary = self._summary(conversation_id, message, reason)
        row = self._log(conversation_id, message, text, "handoff", True, topic, source, confidence, reason, summary)
        return Reply(text, True, topic, source, round(confidence, 4), "handoff", reason, summary, conversation_id,
                     row.id)

    def _summary(self, conversation_id: str, message: str, reason: str) -> str:
        earlier = self.history(conversation_id)
        answered = [m for m in earlier if not m.handoff]
        parts = [f"Conversation {conversation_id}:"]
        if earlier:
            parts.append(f"the client wrote {len(earlier) + 1} messages so far, first asking "
                         f"\"{_clip(earlier[0].client_text, 70)}\";")
            if answered:
                parts.append("the assistant answered about " + _join(sorted({m.topic or '?' for m in answered}))
                             + " from approved knowledge;")
            handed = [m for m in earlier if m.handoff]
            if handed:
                parts.append(f"{len(handed)} earlier message(s) were already handed to you;")
        parts.append(f"now the client writes \"{_clip(message, 140)}\". Handed off because of "
                     f"{reason}. The client was told you will reply personally.")
        return " ".join(parts)

    def _log(self, conversation_id, client_text, reply_text, status, handoff, topic, source, confidence,
             reason=None, summary=None) -> AssistantMessage:
        with self.st.transaction() as s:
            row = AssistantMessage(creator_id=self.creator.id, conversation_id=conversation_id,
                                   client_text=client_text, reply_text=reply_text, status=status, handoff=handoff,
                                   topic=topic and topic[:200], source=source and source[:200],
                                   confidence=float(confidence), reason=reason,
                                   summary=summary)
            s.add(row)
            s.flush()
            s.expunge(row)
        self._changed("messages")
        return row

    # --- log, queue, orders ------------------------------------------------------------------

    def history(self, conversation_id: str | None = None, status: str | None = None) -> list[MessageView]:
        with self.st.transaction() as s:
            q = select(AssistantMessage).where(AssistantMessage.creator_id == self.creator.id)
            if conversation_id:
                q = q.where(AssistantMessage.conversation_id == conversation_id)
            if status:
                q = q.where(AssistantMessage.status == status)
            return [_msg_view(m) for m in s.scalars(q.order_by(AssistantMessage.created_at, AssistantMessage.id))]

    def queue(self) -> list[MessageView]:
        """Replies drafted in approve-before-send mode, waiting for the creator."""
        return self.history(status="queued")

    def _queued(self, s, message_id: str) -> AssistantMessage:
        row = s.get(AssistantMessage, message_id)
        if row is None or row.creator_id != self.creator.id:
            raise StudioError(f"{self.handle} has no assistant message {message_id!r}")
        if row.status != "queued":
            raise StudioError(f"message {message_id} is {row.status}, not queued")
        return row

    def send(self, message_id: str, text: str | None = None) -> MessageView:
        """The creator approves a queued reply (optionally edited); it is sent."""
        with self.st.transaction() as s:
            row = self._queued(s, message_id)
            if text is not None and text.strip():
                row.reply_text, row.source = text.strip(), "creator"
            row.status, row.reason = "sent", "approved by the creator"
            view = _msg_view(row)
        self._changed("messages")
        return view

    def discard(self, message_id: str) -> MessageView:
        """The creator rejects a queued reply and will answer personally: it becomes a handoff."""
        with self.st.transaction() as s:
            row = self._queued(s, message_id)
            row.status, row.handoff, row.reason = "handoff", True, "creator took over from the queue"
            view = _msg_view(row)
        self._changed("messages")
        return view

    def mark_order(self, conversation_id: str) -> int:
        """Record that a conversation led to an order; returns how many logged messages it has."""
        with self.st.transaction() as s:
            rows = list(s.scalars(select(AssistantMessage).where(
                AssistantMessage.creator_id == self.creator.id, AssistantMessage.conversation_id == conversation_id)))
            if not rows:
                raise StudioError(f"{self.handle} has no conversation {conversation_id!r}")
            for r in rows:
                r.led_to_order = True
        self._changed("messages")
        return len(rows)

    # --- past chats ----------------------------------------------------------------------------

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
        chats = parse_chats(path.read_text(encoding="utf-8"), path.name)
        imported = skipped = duplicates = 0
        with self.st.transaction() as s:
            known = set(s.scalars(select(AssistantChat.external_id).where(AssistantChat.creator_id == self.creator.id)))
            for c in chats:
                if not c["consent"]:
                    skipped += 1
                    continue
                if c["id"] in known:
                    duplicates += 1
                    continue
                known.add(c["id"])
                s.add(AssistantChat(creator_id=self.creator.id, external_id=c["id"], consent=True,
                                    turns=c["turns"], led_to_order=c["led_to_order"]))
                imported += 1
        proposed = self.propose_from_chats() if imported else []
        self._changed("chats")
        return {"handle": self.handle, "conversations": len(chats), "imported": imported,
                "skipped_without_consent": skipped, "duplicates": duplicates, "proposed": len(proposed)}

    def _consented_pairs(self) -> list[dict]:
        """(client question, creator answer) pairs from consented chats only."""
        with self.st.transaction() as s:
            chats = list(s.scalars(select(AssistantChat).where(
                AssistantChat.creator_id == self.creator.id, AssistantChat.consent.is_(True))))
            pairs = []
            for c in chats:
                turns = c.turns or []
                for i, t in enumerate(turns):
                    if t["role"] != "client" or len(t["text"].split()) < 3:
                        continue
                    nxt = next((u["text"] for u in turns[i + 1:i + 2] if u["role"] == "creator"), None)
                    pairs.append({"chat": c.id, "question": t["text"], "answer": nxt, "order": c.led_to_order})
        return pairs

    def _cluster(self, texts: list[str]) -> list[list[int]]:
        """Greedy clustering by meaning: each text joins the nearest cluster centroid above the bar."""
        if not texts:
            return []
        E = self.encoder.encode(texts)
        threshold = CLUSTER_SIMILARITY if self.encoder.name != "lexical" else 0.5
        clusters: list[list[int]] = []
        centroids: list[np.ndarray] = []
        for i, v in enumerate(E):
            if centroids:
                sims = np.array(centroids) @ v
                j = int(np.argmax(sims))
                if sims[j] >= threshold:
                    clusters[j].append(i)
                    c = E[clusters[j]].mean(axis=0)
                    centroids[j] = c / max(np.linalg.norm(c), 1e-9)
                    continue
            clusters.append([i])
            centroids.append(v.copy())
        return sorted(clusters, key=len, reverse=True)

    def propose_from_chats(self, min_support: int = 2) -> list[QAView]:
        """Cluster recurring client questions from consented chats; propose each with the creator's best answer."""
        pairs = [p for p in self._consented_pairs() if p["answer"]]
        k = self.knowledge()
        existing = self.qa()
        handoff_texts = [ex for t in (k.all_handoff_topics() if k else []) for ex in [t.topic, *t.examples]]
        E_exist = self.encoder.encode([q.question for q in existing]) if existing else None
        E_handoff = self.encoder.encode(handoff_texts) if handoff_texts else None
        bar = self.encoder.default_threshold
        new_ids = []
        for cluster in self._cluster([p["question"] for p in pairs]):
            chats = {pairs[i]["chat"] for i in cluster}
            if len(cluster) < min_support or len(chats) < 2:
                continue
            qs = [pairs[i]["question"] for i in cluster]
            E = self.encoder.encode(qs)
            centroid = E.mean(axis=0)
            rep = qs[int(np.argmax(E @ centroid))]
            v = self.encoder.encode([rep])[0]
            if E_exist is not None and float((E_exist @ v).max()) >= 0.85:
                continue  # already asked and decided (approved, proposed or rejected)
            if E_handoff is not None and float((E_handoff @ v).max()) >= bar:
                continue  # always the creator's to answer
            answers = [pairs[i] for i in cluster]
            if k is not None:
                clean = [a for a in answers if not guardrails.check(a["answer"], k)]
                answers = clean or []
            if not answers:
                continue
            A = self.encoder.encode([a["answer"] for a in answers])
            consensus = (A @ A.mean(axis=0))
            best = max(range(len(answers)), key=lambda j: (answers[j]["order"], consensus[j]))
            variants = sorted({q for q in qs if q != rep})[:10]
            with self.st.transaction() as s:
                row = AssistantQA(creator_id=self.creator.id, question=rep, answer=answers[best]["answer"],
                                  status="proposed", origin="chats", support=len(cluster), variants=variants)
                s.add(row)
                s.flush()
                new_ids.append(row.id)
        if new_ids:
            self._changed("qa")
        return [v for v in self.qa() if v.id in new_ids]

    # --- insights --------------------------------------------------------------------------------

    def insights(self, top: int = 10) -> dict[str, Any]:
        """Most frequent questions, FAQ gaps with suggested pairs, handoff reasons, answer rate, orders."""
        log = self.history()
        pairs = self._consented_pairs()
        questions = [m.client_text for m in log] + [p["question"] for p in pairs]
        frequent = []
        for cluster in self._cluster(questions)[:top]:
            texts = [questions[i] for i in cluster]
            frequent.append({"question": Counter(texts).most_common(1)[0][0], "count": len(cluster),
                             "examples": sorted(set(texts))[:5]})

        unanswered = [m for m in log if m.handoff and (m.reason or "").startswith("no confident answer")]
        k = self.knowledge()
        gaps = []
        if unanswered:
            known = [p for p in pairs if p["answer"]]
            E_known = self.encoder.encode([p["question"] for p in known]) if known else None
            for cluster in self._cluster([m.client_text for m in unanswered])[:top]:
                texts = [unanswered[i].client_text for i in cluster]
                question = Counter(texts).most_common(1)[0][0]
                suggestion = None
                if E_known is not None:
                    sims = E_known @ self.encoder.encode([question])[0]
                    for j in np.argsort(-sims)[:5]:
                        if sims[j] < self.encoder.default_threshold:
                            break
                        if k is None or not guardrails.check(known[j]["answer"], k):
                            suggestion = known[j]["answer"]
                            break
                gaps.append({"question": question, "count": len(cluster), "examples": sorted(set(texts))[:5],
                             "suggested_qa": {"q": question, "a": suggestion}})

        reasons = Counter()
        for m in log:
            if m.handoff:
                reasons[(m.reason or "handed off").split(":")[0] + (f": {m.topic}" if m.topic else "")] += 1
        answered = sum(1 for m in log if not m.handoff)
        conversations: dict[str, dict] = {}
        for m in log:
            c = conversations.setdefault(m.conversation_id, {
                "conversation": m.conversation_id, "source": "assistant", "messages": 0, "answered": 0,
                "handoffs": 0, "led_to_order": False, "first_message": m.client_text})
            c["messages"] += 1
            c["answered"] += not m.handoff
            c["handoffs"] += m.handoff
            c["led_to_order"] = c["led_to_order"] or m.led_to_order
        with self.st.transaction() as s:
            for chat in s.scalars(select(AssistantChat).where(AssistantChat.creator_id == self.creator.id,
                                                              AssistantChat.consent.is_(True))):
                client = [t["text"] for t in chat.turns if t["role"] == "client"]
                conversations[chat.external_id or chat.id] = {
                    "conversation": chat.external_id or chat.id, "source": "imported chat",
                    "messages": len(chat.turns), "answered": None, "handoffs": None,
                    "led_to_order": chat.led_to_order, "first_message": client[0] if client else ""}
        orders = [c for c in conversations.values() if c["led_to_order"]]
        return {
            "handle": self.handle,
            "messages": len(log),
            "answered": answered,
            "handed_off": len(log) - answered,
            "answer_rate": round(answered / len(log), 4) if log else None,
            "frequent_questions": frequent,
            "unanswered_questions": gaps,
            "handoff_reasons": [{"reason": r, "count": n} for r, n in reasons.most_common()],
            "conversations": len(conversations),
            "conversations_with_order": len(orders),
            "orders": orders,
        }


# --- chat logs --------------------------------------------------------------------------------


def parse_chats(text: str, source: str = "chats") -> list[dict]:
    """Validate a JSONL chat log; raises StudioError naming the line and field."""
    chats, seen = [], set()
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source} line {n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise StudioError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(obj, dict):
            raise StudioError(f"{where}: each line must be one conversation object")
        unknown = set(obj) - {"id", "consent", "led_to_order", "turns"}
        if unknown:
            raise StudioError(f"{where}: unknown field(s) {', '.join(sorted(unknown))} "
                              "(expected id, consent, led_to_order, turns)")
        if "consent" not in obj:
            raise StudioError(f"{where}: consent is missing (true only if the client agreed to its use)")
        if not isinstance(obj["consent"], bool):
            raise StudioError(f"{where}: consent must be true or false, not {obj['consent']!r}")
        if not isinstance(obj.get("led_to_order", False), bool):
            raise StudioError(f"{where}: led_to_order must be true or false")
        cid = obj.get("id", f"{source}:{n}")
        if not isinstance(cid, str) or not cid.strip():
            raise StudioError(f"{where}: id must be a non-empty text")
        if cid in seen:
            raise StudioError(f"{where}: id {cid!r} appears twice in the file")
        seen.add(cid)
        turns = obj.get("turns")
        if not isinstance(turns, list) or not turns:
            raise StudioError(f"{where}: turns must be a non-empty list of {{role, text}}")
        clean = []
        for i, t in enumerate(turns):
            if not isinstance(t, dict):
                raise StudioError(f"{where}: turns[{i}] must be an object with role and text")
            if t.get("role") not in ("client", "creator"):
                raise StudioError(f"{where}: turns[{i}].role must be 'client' or 'creator', not {t.get('role')!r}")
            if not isinstance(t.get("text"), str) or not t["text"].strip():
                raise StudioError(f"{where}: turns[{i}].text must be a non-empty text")
            clean.append({"role": t["role"], "text": t["text"].strip()})
        chats.append({"id": cid, "consent": obj["consent"], "led_to_order": obj.get("led_to_order", False),
                      "turns": clean})
    if not chats:
        raise StudioError(f"{source}: no conversations in the file")
    return chats
