"""How the creator's inbox works: when the assistant answers, and what a client gets when it does not.

`InboxSettings` declares each setting once (`studio.options.option`): the `Assistant`
validates and stores them, `studio assistant inbox` builds its flags from them and the
panel its controls. The rules, in order, for a message the assistant could answer:

1. paused: nobody is answered by the assistant;
2. the creator took the conversation over: the assistant stays silent in it;
3. "only when away" and the creator is here: the creator answers;
4. "only new clients" and the client is returning (has bought from the creator, or wrote
   before in another conversation): the creator answers.

A message the assistant does not answer is *held*: logged for the creator, and the client
is told plainly that it is queued for the creator (except in a taken-over conversation,
where the creator is already talking with them). The creator is away when the away switch
is on, when the message comes in an out-of-office period, or when the caller says so
(`reply(..., offline=True)`); then handoffs and held messages carry the offline message.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timezone

from studio.errors import StudioError
from studio.options import option


@dataclass(frozen=True)
class InboxSettings:
    paused: bool = option(False, "pause the assistant: every message waits for you", panel="main")
    only_when_away: bool = option(False, "answer only while you are away (switch or out-of-office)", panel="main")
    only_new_clients: bool = option(False, "answer only new clients (no purchase and no earlier conversation)",
                                    panel="main")
    away: bool = option(False, "you are away now: handoffs carry your offline message", panel="main")
    out_of_office_start: str | None = option(None, "out-of-office from (ISO date-time; UTC without an offset)",
                                             panel="main")
    out_of_office_end: str | None = option(None, "out-of-office until (ISO date-time; UTC without an offset)",
                                           panel="main")


FIELDS = {f.name: f for f in dataclasses.fields(InboxSettings)}


def when(value: str | datetime | None, name: str) -> str | None:
    """An ISO date-time (a naive one is UTC) as stored, or None; a StudioError names the setting."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise StudioError(f"{name} must be a date-time such as 2025-08-01T09:00, not {value!r}") from None
    if not isinstance(value, datetime):
        raise StudioError(f"{name} must be a date-time, not {value!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="minutes")


def stored(data: dict | None) -> InboxSettings:
    """The settings as stored (None: the defaults); keys this version does not know are ignored."""
    return InboxSettings(**{k: v for k, v in (data or {}).items() if k in FIELDS})


def changed(current: InboxSettings, changes: dict) -> InboxSettings:
    """`current` with `changes` applied and checked; a StudioError names the first bad setting."""
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise StudioError(f"unknown inbox setting(s) {', '.join(unknown)} (known: {', '.join(FIELDS)})")
    clean = {}
    for name, value in changes.items():
        if name.startswith("out_of_office"):
            clean[name] = when(value, name)
        elif not isinstance(value, bool):
            raise StudioError(f"{name} must be true or false, not {value!r}")
        else:
            clean[name] = value
    new = dataclasses.replace(current, **clean)
    start, end = new.out_of_office_start, new.out_of_office_end
    if (start is None) != (end is None):
        raise StudioError("an out-of-office period needs both a start and an end")
    if start is not None and datetime.fromisoformat(end) <= datetime.fromisoformat(start):
        raise StudioError(f"the out-of-office end ({end}) must come after its start ({start})")
    return new


def out_of_office(s: InboxSettings, now: datetime) -> bool:
    if s.out_of_office_start is None or s.out_of_office_end is None:
        return False
    return datetime.fromisoformat(s.out_of_office_start) <= now < datetime.fromisoformat(s.out_of_office_end)


def is_away(s: InboxSettings, now: datetime, offline: bool = False) -> bool:
    return offline or s.away or out_of_office(s, now)


def hold_reason(s: InboxSettings, away: bool, taken_over: bool, returning: bool) -> str | None:
    """Why the assistant must not answer (see the module docstring), or None when it may."""
    if s.paused:
        return "held: the assistant is paused"
    if taken_over:
        return "held: you took over this conversation"
    if s.only_when_away and not away:
        return "held: you answer while you are here"
    if s.only_new_clients and returning:
        return "held: you answer returning clients yourself"
    return None


def held_text(name: str, offline_message: str, away: bool, taken_over: bool) -> str:
    """What the client reads when the assistant does not answer: nothing in a taken-over conversation."""
    if taken_over:
        return ""
    if away and offline_message:
        return f"{offline_message} Your message is queued for {name}, who will reply to you personally."
    if away:
        return f"{name} is away right now. Your message is queued for {name}, who will reply to you personally."
    return f"Thanks for your message! It is queued for {name}, who will reply to you personally."
