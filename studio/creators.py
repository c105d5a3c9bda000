"""Creators: who they are, their seller level (which decides whether they may publish models),
their plan, and their own style word.

Invariant: a creator's handle never changes and is unique; every change is in the ledger.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from studio.config import LEVELS
from studio.context import StudioContext
from studio.errors import StudioError
from studio.events import EventKind
from studio.rights import ledger
from studio.store.tables import Creator

HANDLE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,62}$")
STYLE_WORD_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{1,62}$")


def check_style_word(word: str | None) -> str | None:
    if word is None:
        return None
    if not STYLE_WORD_RE.match(word):
        raise StudioError(f"a style word is one word of 2-63 letters, digits, '-' or '_' starting with a letter, "
                          f"not {word!r}")
    return word


class Creators:
    def __init__(self, ctx: StudioContext):
        self.ctx = ctx

    def add(self, handle: str, name: str, level: str = "new", plan: str = "free",
            style_word: str | None = None) -> Creator:
        policy = self.ctx.policy
        if not HANDLE_RE.match(handle or ""):
            raise StudioError(f"handle {handle!r} must be 2-63 lowercase letters, digits, '-' or '_'")
        if level not in LEVELS:
            raise StudioError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
        if plan not in policy.plans:
            raise StudioError(f"plan must be one of {', '.join(policy.plans)}, not {plan!r}")
        if not (name or "").strip():
            raise StudioError("a creator needs a name")
        check_style_word(style_word)
        with self.ctx.transaction() as s:
            if s.scalar(select(Creator).where(Creator.handle == handle)):
                raise StudioError(f"a creator with handle {handle!r} already exists")
            creator = Creator(handle=handle, name=name.strip(), level=level, vetted=policy.is_vetted(level),
                              plan=plan, plan_cents=policy.plans[plan], style_word=style_word)
            s.add(creator)
            s.flush()
            payload = {"handle": handle, "level": level, "vetted": creator.vetted}
            if style_word is not None:
                payload["style_word"] = style_word
            ledger.append(s, "creator.added", creator.id, payload)
        self.ctx.emit(EventKind.CREATOR_ADDED, handle)
        return creator

    def get(self, handle: str) -> Creator:
        with self.ctx.reading() as s:
            return self.ctx.creator_row(s, handle)

    def list(self) -> list[Creator]:
        with self.ctx.reading() as s:
            return list(s.scalars(select(Creator).order_by(Creator.handle)))

    def require_vetted(self, handle: str) -> Creator:
        """The creator, if policy lets them train and publish a model."""
        creator = self.get(handle)
        if not self.ctx.policy.is_vetted(creator.level):
            allowed = ", ".join(sorted(self.ctx.policy.vetted_levels))
            raise StudioError(f"creator {handle!r} is level {creator.level}; only {allowed} creators may create models")
        return creator

    def set_style_word(self, handle: str, word: str | None) -> Creator:
        """Set (or clear, with None) the word a creator's models learn their style under."""
        check_style_word(word)
        with self.ctx.transaction() as s:
            creator = self.ctx.creator_row(s, handle)
            old = creator.style_word
            creator.style_word = word
            ledger.append(s, "creator.changed", creator.id, {"handle": handle, "style_word": word,
                                                             "previous_style_word": old})
        self.ctx.emit(EventKind.CREATOR_CHANGED, handle, style_word=word)
        return self.get(handle)
