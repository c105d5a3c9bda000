"""`Training`: a creator's training runs, from the options to a recorded model version.

`start` checks everything in the caller's thread (vetted creator, options, consented
images, a free version folder), then trains in a worker thread and returns the
`TrainingRun` at once; `train` does the same in the caller's thread. Either way the run
is listed by `runs()` for every view of the same home in this process.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from pathlib import Path

from studio.context import StudioContext
from studio.errors import StudioError
from studio.events import EventKind
from studio.rights.audit import active_consents
from studio.training import data, text_data
from studio.training.config import TEXT_BASE_NAME, TextTrainConfig, TrainConfig
from studio.training.runs import TrainingRun
from studio.training.versions import Versions

log = logging.getLogger("studio.training")

_RUNS: dict[str, list[TrainingRun]] = {}  # resolved home -> its runs in this process, oldest first
_RUNS_LOCK = threading.Lock()


def model_kind(handle: str, items: list, asked: str | None) -> str:
    """Image or text: as asked, else what the creator's consented items are (both: the creator chooses)."""
    if asked not in (None, "auto", "image", "text"):
        raise StudioError(f"--kind must be auto, image or text, not {asked!r}")
    if asked in ("image", "text"):
        return asked
    kinds = {i.kind for i in items if i.active}
    if kinds == {"text"}:
        return "text"
    if kinds >= {"image", "text"}:
        raise StudioError(f"{handle!r} has both images and writing samples; choose --kind image or --kind text")
    return "image"


class FolderLock:
    """An exclusive lock on a version folder, held while a run writes into it (across processes)."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / ".training.lock"
        self.fh = None

    def acquire(self) -> None:
        try:
            import fcntl
        except ImportError:  # not POSIX: folder reservation alone keeps runs apart
            return
        self.fh = open(self.path, "a")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.close()
            self.fh = None
            raise StudioError(f"another training run is writing into {self.path.parent}; "
                              "wait for it to finish or cancel it") from None

    def release(self) -> None:
        if self.fh is not None:
            self.fh.close()  # closing drops the flock
            self.fh = None
            self.path.unlink(missing_ok=True)


class Training:
    def __init__(self, ctx: StudioContext, creators, portfolio, versions: Versions):
        self.ctx, self.creators, self.portfolio, self.versions = ctx, creators, portfolio, versions
        self._key = str(ctx.home.resolve())

    def runs(self, handle: str | None = None, active: bool | None = None) -> list[TrainingRun]:
        """This home's runs in this process, oldest first (only one creator's, only active ones...)."""
        with _RUNS_LOCK:
            found = list(_RUNS.get(self._key, []))
        return [r for r in found if (handle is None or r.handle == handle)
                and (active is None or r.active == active)]

    def start(self, handle: str, *, resume: bool = False, **options) -> TrainingRun:
        """Check, then train in a worker thread; returns the run at once (watch it, `cancel()`, `wait()`)."""
        run, examples, lock = self._prepare(handle, resume, options)
        threading.Thread(target=self._execute, args=(run, examples, lock, False), daemon=True,
                         name=f"studio-train-{handle}").start()
        return run

    def train(self, handle: str, *, on_event=None, cancel: threading.Event | None = None, resume: bool = False,
              **options):
        """Train in the caller's thread; returns the new version, or None if cancelled (resume later)."""
        run, examples, lock = self._prepare(handle, resume, options)
        if on_event is not None:
            run.subscribe(on_event)
        if cancel is not None:
            run.cancel_event = cancel
        self._execute(run, examples, lock, True)
        return run.version

    # --- the steps of a run ---------------------------------------------------------------------

    def _prepare(self, handle: str, resume: bool, options: dict):
        """Everything that can be refused is refused here, before any thread or file exists."""
        self.creators.require_vetted(handle)
        options = dict(options)
        items = self.portfolio.training_items(handle)
        kind = model_kind(handle, items, options.pop("kind", None))
        config = self._config(handle, kind, options)
        trusted = active_consents(self.ctx, handle)
        changed = [i.id for i in items if i.consent_id not in trusted]
        if changed:
            raise StudioError(f"the consent of {len(changed)} of {handle}'s items ({', '.join(changed[:3])}) in the "
                              "database does not match the rights ledger; nothing was trained. Run `studio rights "
                              "verify` to see what changed")
        if kind == "text":
            examples = text_data.from_items(handle, items, self.ctx.blobs)
        else:
            examples = data.from_items(handle, items, self.ctx.blobs, config.trigger)
        out = (self.versions.unfinished(handle) if resume else None) or self.versions.reserve(handle)
        lock = FolderLock(out)
        lock.acquire()
        run = TrainingRun(handle, config, out, resume=resume)
        with _RUNS_LOCK:
            _RUNS.setdefault(self._key, []).append(run)
        return run, examples, lock

    def _config(self, handle: str, kind: str, options: dict) -> TrainConfig | TextTrainConfig:
        """The run's settings: the options given, the rest from the kind's own declared defaults."""
        from studio.models.bases import default_base

        if kind == "text":
            allowed = {f.name for f in dataclasses.fields(TextTrainConfig)}
            image_only = sorted(k for k in options if k not in allowed)
            if image_only:
                raise StudioError(f"{', '.join('--' + k.replace('_', '-') for k in image_only)}: for image models only")
            options.setdefault("base", os.environ.get("STUDIO_TEXT_BASE") or TEXT_BASE_NAME)
            options.setdefault("name", f"{handle}-writing")
            return TextTrainConfig(**options)
        options.setdefault("base", default_base())
        if options.get("trigger") is None:
            options["trigger"] = self.creators.get(handle).style_word
        options.setdefault("name", f"{handle}-style")
        return TrainConfig(**options)

    def _execute(self, run: TrainingRun, examples: list, lock: FolderLock, raise_errors: bool) -> None:
        from studio.training import lora, text_lora

        self.ctx.emit(EventKind.TRAINING_STARTED, run.handle, run=run.id)
        try:
            loop = text_lora if run.config.kind == "text" else lora
            result = loop.train(run.config, examples, run.path, on_event=run.record, cancel=run.cancel_event,
                                resume=run.resume, creator=run.handle)
            if result["status"] != "done":
                run.finish("cancelled")
            elif not result["main"]:  # under `accelerate launch`, one process records
                run.finish("done")
            else:
                run.finish("done", self.versions.record(run.handle, run.path, result["manifest"]))
        except BaseException as exc:
            run.finish("failed", error=exc, message=f"{type(exc).__name__}: {exc}")
            if raise_errors:
                raise
            log.exception("training run %s for %s failed", run.id, run.handle)  # nobody may be waiting
        finally:
            lock.release()
            self.ctx.emit(EventKind.TRAINING_FINISHED, run.handle, run=run.id, state=run.state)
            run.release()
