"""The retrieval index: approved Q&A pairs, gig facts and handoff topics, embedded once and reused
(with what the creator offers, `services.Offerings`, read from the same knowledge).

`IndexCache.get(knowledge, approved, encoder)` returns the `Index` for exactly that
content: it is rebuilt only when the knowledge, an approved pair (id, question, answer,
variants) or the encoder changes, and reused otherwise. The key is the content itself,
so a change made through another `Assistant`, another `Studio` or the CLI is noticed too.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from studio.assistant.facts import facts
from studio.assistant.knowledge import Knowledge
from studio.assistant.views import clip


class ApprovedPair(NamedTuple):
    id: str
    question: str
    answer: str
    variants: tuple[str, ...] = ()


@dataclass(frozen=True)
class Index:
    matcher: Any  # studio.assistant.matcher.Matcher over every example question
    answers: dict[str, str]  # label -> answer text ("qa:<id>", "gig:<title>:<fact>", ...)
    topics: dict[str, str]  # label -> topic shown with the reply (handoff labels included)
    offers: Any = None  # studio.assistant.services.Offerings: what the creator offers, for service requests

    @property
    def labels(self) -> list[str]:
        return self.matcher.labels


def build(k: Knowledge, approved: Sequence[ApprovedPair], encoder) -> Index:
    """Embed every example question: approved pairs (with their variants and answer), facts and handoff topics."""
    from studio.assistant.matcher import Matcher
    from studio.assistant.services import Offerings

    texts, labels, answers, topics = [], [], {}, {}
    for pair in approved:
        label = f"qa:{pair.id}"
        for q in [pair.question, *pair.variants, pair.answer]:  # a client may word it as the answer does
            texts.append(q)
            labels.append(label)
        answers[label], topics[label] = pair.answer, clip(pair.question, 60)
    for label, topic, examples, answer in facts(k):
        texts += examples
        labels += [label] * len(examples)
        answers[label], topics[label] = answer, topic
    for t in k.all_handoff_topics():
        label = f"handoff:{t.topic}"
        for ex in [t.topic, *t.examples]:
            texts.append(ex)
            labels.append(label)
        topics[label] = t.topic
    return Index(Matcher(encoder, mode="nearest").fit(texts, labels), answers, topics, Offerings.of(k, encoder))


class IndexCache:
    """The last built index and what it was built from; `builds` counts the (re)builds."""

    def __init__(self) -> None:
        self.key: Any = None
        self.current: Index | None = None
        self.builds = 0
        self._lock = threading.Lock()

    @staticmethod
    def key_of(k: Knowledge, approved: Sequence[ApprovedPair], encoder) -> tuple:
        return (json.dumps(k.raw, sort_keys=True, default=str),
                tuple((p.id, p.question, p.answer, tuple(p.variants)) for p in approved), encoder.name)

    def get(self, k: Knowledge, approved: Sequence[ApprovedPair], encoder) -> Index:
        key = self.key_of(k, approved, encoder)
        with self._lock:
            if self.current is None or key != self.key:
                self.current, self.key = build(k, approved, encoder), key
                self.builds += 1
            return self.current

    def clear(self) -> None:
        with self._lock:
            self.key, self.current = None, None
