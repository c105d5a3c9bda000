"""Typed change events: what a view listens to so it can refresh without holding state.

Every committed change is announced once, after its transaction commits, as an
:class:`Event` with a kind from :class:`EventKind`. A listener that raises is logged
and the others still hear the event: one broken panel never silences the rest.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

log = logging.getLogger("studio.events")


class EventKind(StrEnum):
    CREATOR_ADDED = "creator.added"
    CREATOR_CHANGED = "creator.changed"
    PORTFOLIO_CHANGED = "portfolio.changed"
    TRAINING_STARTED = "training.started"
    TRAINING_FINISHED = "training.finished"  # done, cancelled or failed: see info["state"]
    MODEL_TRAINED = "model.trained"
    MODEL_SCORED = "model.scored"
    MODEL_PUBLISHED = "model.published"
    PRICE_CHANGED = "price.changed"
    MODEL_DISABLED = "model.disabled"
    MODEL_ENABLED = "model.enabled"
    GENERATION_CREATED = "generation.created"
    PLAN_CHANGED = "plan.changed"  # subscribed or cancelled: see info["active"]
    PURCHASE_MADE = "purchase.made"
    PAYOUT_SETTLED = "payout.settled"
    EDIT_CHANGED = "edit.changed"  # an edit job requested, quoted, accepted, delivered or declined: info["status"]
    ASSISTANT_CHANGED = "assistant.changed"


@dataclass(frozen=True)
class Event:
    kind: EventKind
    handle: str | None = None  # the creator it concerns, if any
    info: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[Event], None]


class EventBus:
    """Listeners in subscription order; safe to subscribe and publish from several threads."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` for every event; returns a function that unsubscribes it."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def publish(self, kind: EventKind, handle: str | None = None, **info: Any) -> Event:
        event = Event(EventKind(kind), handle, info)
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # a view's bug must not stop the others or the change itself
                log.exception("studio event listener %r failed on %s", listener, event.kind)
        return event
