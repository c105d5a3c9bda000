"""`TrainingRun`: one training run owned by the core, which any view can watch and cancel.

A run is created by `Training.start` (worker thread) or `Training.train` (the caller's
thread) and lives in the open home's run list (`Studio.runs()`), not in the view that
started it: a second panel, a notebook cell or the CLI in the same process see the same
run, its state, losses and previews so far, and any of them may cancel it.

Listeners get every `TrainEvent` on the training thread; a listener that raises is logged
and the run goes on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from studio.store.tables import new_id, utcnow
from studio.training.config import TrainConfig, TrainEvent

log = logging.getLogger("studio.training")

STATES = ("pending", "running", "done", "cancelled", "failed")


@dataclass(frozen=True)
class Preview:
    step: int
    images: list  # PIL images (an image model)
    prompts: list[str]
    texts: list[str] = ()  # copy written (a text model)


class TrainingRun:
    def __init__(self, handle: str | None, config: TrainConfig, path: Path, resume: bool = False):
        self.id = new_id("run")
        self.handle = handle
        self.config = config
        self.path = Path(path)
        self.resume = resume
        self.state = "pending"
        self.step = 0
        self.total = config.steps
        self.losses: list[float] = []
        self.previews: list[Preview] = []
        self.message: str | None = None
        self.error: BaseException | None = None
        self.version = None  # the recorded VersionView once done (a creator's run)
        self.created_at: datetime = utcnow()
        self.finished_at: datetime | None = None
        self.cancel_event = threading.Event()
        self._finished = threading.Event()
        self._listeners: list[Callable[[TrainEvent], None]] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TrainingRun({self.id}, {self.handle!r}, {self.state}, step {self.step}/{self.total})"

    @property
    def active(self) -> bool:
        return self.state in ("pending", "running")

    def cancel(self) -> None:
        """Stop after the current step; the last checkpoint is kept, so the run can be resumed."""
        self.cancel_event.set()

    def wait(self, timeout: float | None = None):
        """Block until the run ends; return its version (None if cancelled). A failed run re-raises."""
        if not self._finished.wait(timeout):
            raise TimeoutError(f"{self} still running after {timeout} s")
        if self.error is not None:
            raise self.error
        return self.version

    def subscribe(self, listener: Callable[[TrainEvent], None]) -> Callable[[], None]:
        """Hear every following event of this run; returns an unsubscribe function."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    # --- called by the training service -------------------------------------------------------

    def record(self, event: TrainEvent) -> None:
        """Take one event from the training loop: update the state, then tell the listeners."""
        with self._lock:
            if event.kind in ("start", "resumed"):
                self.state, self.step, self.total = "running", event.step, event.total or self.total
                self.message = event.message
            elif event.kind == "step":
                self.step = event.step
                self.losses.append(event.loss)
            elif event.kind == "samples":
                self.previews.append(Preview(event.step, list(event.images), list(event.prompts), list(event.texts)))
            elif event.kind == "cancelled":
                self.message = event.message
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("training run listener %r failed on %s", listener, event.kind)

    def finish(self, state: str, version=None, error: BaseException | None = None, message: str | None = None) -> None:
        """Record how the run ended (`wait()` returns once the service calls `release()`)."""
        with self._lock:
            self.state, self.version, self.error = state, version, error
            self.message = message or self.message
            self.finished_at = utcnow()

    def release(self) -> None:
        """Wake whoever waits: called last, after the version folder is unlocked and views were told."""
        self._finished.set()
