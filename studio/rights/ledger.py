"""The rights ledger: an append-only hash chain over canonical JSON, with a signed head.

Each event's hash is sha256(prev_hash + canonical_json(body)), where the body
holds everything in the row but the hash. Editing any row breaks its own hash;
deleting a row breaks the next row's link; deleting the newest rows is caught
by the head recorded in `meta`. The head ("seq:hash") is signed with the home's
key, which lives outside the database (`studio.rights.keys`): rewriting the whole
chain, truncating it and rewriting the head, or emptying the ledger all leave a
head without a valid signature. Callers append inside the same session (and so
the same transaction) as the change the event records: both land, or neither.
The session carries the key in ``session.info["ledger_key"]`` (set by the context).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from studio.store.tables import LedgerEvent, Meta, new_id

GENESIS = "0" * 64
HEAD_KEY = "ledger_head"
SIGNATURE_KEY = "ledger_head_signature"


def canonical_json(obj: Any) -> str:
    """Sorted keys, no whitespace, UTF-8: the same value always gives the same text."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _event_hash(prev_hash: str, seq: int, event_id: str, kind: str, subject: str, payload: str, created_at: str) -> str:
    body = canonical_json(
        {"seq": seq, "id": event_id, "kind": kind, "subject": subject, "payload": payload, "created_at": created_at}
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def append(session: Session, kind: str, subject: str, payload: dict[str, Any]) -> LedgerEvent:
    """Append an event in the caller's transaction and move the head."""
    head = session.get(Meta, HEAD_KEY, with_for_update=True)
    if head is None:
        seq, prev = 1, GENESIS
        head = Meta(key=HEAD_KEY, value="")
        session.add(head)
    else:
        last_seq, prev = head.value.split(":")
        seq = int(last_seq) + 1
    created = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    event_id = new_id("evt")
    body = canonical_json(payload)
    digest = _event_hash(prev, seq, event_id, kind, subject, body, created)
    event = LedgerEvent(
        seq=seq, id=event_id, kind=kind, subject=subject, payload=body,
        created_at=created, prev_hash=prev, hash=digest,
    )
    session.add(event)
    head.value = f"{seq}:{digest}"
    sign_head(session, head.value)
    return event


def lock(session: Session) -> None:
    """Take the ledger's write lock now, before checks that the caller's writes depend on: on
    PostgreSQL the head row FOR UPDATE (every append takes it too), on SQLite the transaction's
    BEGIN IMMEDIATE already holds the database's one write lock. Writers that lock first are
    serialised, so what they checked is still true when they commit."""
    session.get(Meta, HEAD_KEY, with_for_update=True)


def sign_head(session: Session, head_value: str) -> None:
    """Store the signature of ``head_value`` beside it (in the caller's transaction)."""
    key = session.info.get("ledger_key")
    if key is None:
        from studio.errors import StudioError

        raise StudioError("the studio's signing key is missing (HOME/keys/); restore it from a backup: "
                          "nothing that changes the ledger can be written without it")
    signature = key.sign(head_value.encode("ascii"))
    row = session.get(Meta, SIGNATURE_KEY)
    if row is None:
        session.add(Meta(key=SIGNATURE_KEY, value=signature))
    else:
        row.value = signature


@dataclass(frozen=True)
class Verification:
    ok: bool
    events: int
    broken_seq: int | None = None
    broken_id: str | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "events": self.events, "broken_seq": self.broken_seq,
                "broken_id": self.broken_id, "reason": self.reason}


def verify(session: Session, key=None) -> Verification:
    """Walk the chain from the first event; report the first event that does not hold, then check
    that the head is the chain's end and (given the home's ``key``) that its signature is valid."""
    prev, expected_seq, count = GENESIS, 1, 0
    for ev in session.scalars(select(LedgerEvent).order_by(LedgerEvent.seq)):
        count += 1
        if ev.seq != expected_seq:
            return Verification(False, count, ev.seq, ev.id, f"event {expected_seq} is missing before it")
        if ev.prev_hash != prev:
            return Verification(False, count, ev.seq, ev.id, "its link to the previous event does not match")
        if _event_hash(ev.prev_hash, ev.seq, ev.id, ev.kind, ev.subject, ev.payload, ev.created_at) != ev.hash:
            return Verification(False, count, ev.seq, ev.id, "its content does not match its hash (edited)")
        prev, expected_seq = ev.hash, expected_seq + 1
    head = session.get(Meta, HEAD_KEY)
    recorded = head.value if head else None
    actual = f"{expected_seq - 1}:{prev}" if count else None
    if recorded != actual:
        last = recorded.split(":")[0] if recorded else "none"
        return Verification(False, count, expected_seq, None,
                            f"the ledger head says the last event is {last}, but the chain ends at {expected_seq - 1} (events deleted)")
    if key is not None and recorded is not None:
        signature = session.get(Meta, SIGNATURE_KEY)
        if signature is None or not key.verify(recorded.encode("ascii"), signature.value):
            return Verification(False, count, count or None, None,
                                "the ledger head's signature is missing or does not match the studio's key "
                                "(the chain was rewritten or cut in the database)")
    return Verification(True, count)


def events(session: Session, subject: str | None = None, kind: str | None = None) -> list[LedgerEvent]:
    q = select(LedgerEvent).order_by(LedgerEvent.seq)
    if subject:
        q = q.where(LedgerEvent.subject == subject)
    if kind:
        q = q.where(LedgerEvent.kind == kind)
    return list(session.scalars(q))
