"""`StudioContext`: what every service of an open home shares, and nothing else.

The home folder, the policy, database sessions, the blob store and the event bus.
Services (creators, portfolio, training, quality, marketplace, assistant) each take
the context and use only these public names; `Studio` builds the context once and
hands the same one to every service.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from studio.config import Policy, default_db_url, default_home
from studio.errors import StudioError
from studio.events import EventBus, EventKind
from studio.store import BlobStore, make_engine, make_sessionmaker, migrate
from studio.rights import keys, ledger
from studio.store.tables import Creator, Meta, utcnow


def _owner_only(db_file: str | None) -> None:
    """The SQLite database and its journal files readable by their owner only."""
    if not db_file:
        return
    for suffix in ("", "-wal", "-shm"):
        path = Path(db_file + suffix)
        if path.exists():
            os.chmod(path, 0o600)


class StudioContext:
    def __init__(self, home: Path | str | None, db_url: str | None, policy: Policy):
        self.home = Path(home) if home is not None else default_home()
        if not self.home.exists():
            self.home.mkdir(mode=0o700, parents=True)  # a creator's work and keys: theirs alone
        self.db_url = db_url or default_db_url(self.home)
        self.policy = policy
        self.engine = make_engine(self.db_url)
        self.schema_found, self.schema_version = migrate(self.engine)
        _owner_only(self.engine.url.database if self.engine.url.get_backend_name() == "sqlite" else None)
        self.key = keys.load(self.home)
        self.sessions = make_sessionmaker(self.engine)
        self.sessions.configure(info={"ledger_key": self.key})
        if self.key is None:
            self._adopt_key()
        self.blobs = BlobStore(self.home / "blobs")
        self.events = EventBus()

    def _adopt_key(self) -> None:
        """A new home, or one from before the head was signed: make the key and sign the head as it is.

        A home whose head carries a signature but whose key file is gone gets no new key: its
        ledger can then be read and verified as broken, but not written to.
        """
        with self.sessions() as s:
            signed = s.get(Meta, ledger.SIGNATURE_KEY) is not None
            head = s.get(Meta, ledger.HEAD_KEY)
        if signed:
            return
        self.key = keys.create(self.home)
        self.sessions.configure(info={"ledger_key": self.key})
        if head is not None:
            with self.transaction() as s:
                ledger.sign_head(s, head.value)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: the change and its ledger event commit together or not at all."""
        with self.sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only; nothing is committed."""
        with self.sessions() as session:
            yield session

    def now(self) -> datetime:
        """The time now, UTC. Every rule that turns on a date (a plan's end, a notice period, a buyer's
        daily previews) reads the clock here, so none needs a background job and a test can move it."""
        return utcnow()

    def creator_row(self, s: Session, handle: str) -> Creator:
        """The creator's row in session ``s``, or a clear error."""
        creator = s.scalar(select(Creator).where(Creator.handle == handle))
        if creator is None:
            raise StudioError(f"no creator with handle {handle!r} (add one with `studio creator add`)")
        return creator

    def emit(self, kind: EventKind, handle: str | None = None, **info) -> None:
        """Announce a committed change to every listener."""
        self.events.publish(kind, handle, **info)

    def close(self) -> None:
        self.engine.dispose()
