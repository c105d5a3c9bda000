"""Answers about packages, written from the knowledge file's own figures.

`package_answer(reading, knowledge)` turns a `Reading` into a reply: the attributes asked
for, of the packages named (or of every package of the gigs in question when none is
named); a comparison or a recommendation gives each package's full terms. Every figure
is the file's own: prices as `Package.price_text`, days, revision counts and the
included things word for word.
"""

from __future__ import annotations

from typing import NamedTuple

from studio.assistant.knowledge import Gig, Knowledge, Package
from studio.assistant.reading import Reading, item_counts
from studio.assistant.views import join_words

ORDER = ("price", "delivery", "revisions", "includes")


class Answer(NamedTuple):
    text: str
    source: str  # "gig:<title>:<what>" for one gig, "gigs:<what>" for several
    topic: str


def days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def _part(p: Package, attribute: str) -> str:
    if attribute == "price":
        return p.price_text
    if attribute == "delivery":
        return f"delivered in {days(p.delivery_days)}"
    if attribute == "revisions":
        return p.revisions_text
    return "includes " + join_words(list(p.includes)) if p.includes else "lists nothing more"


def terms(p: Package) -> str:
    """A package's full terms in one clause."""
    return f"{p.name} ({p.price_text}): " + ", ".join(_part(p, a) for a in ORDER[1:])


def _phrase(p: Package, attributes: list[str]) -> str:
    if attributes == ["price"]:
        return f"{p.name} is {p.price_text}"
    if attributes == ["delivery"]:
        return f"{p.name} is delivered in {days(p.delivery_days)}"
    if attributes in (["revisions"], ["includes"]):
        return f"{p.name} includes {p.revisions_text}" if attributes == ["revisions"] else f"{p.name} {_part(p, 'includes')}"
    return f"{p.name}: " + ", ".join(_part(p, a) for a in ORDER if a in attributes)


def quantity_fit(r: Reading, k: Knowledge, pairs: list[tuple[Gig, Package]]) -> list[tuple[Gig, Package]] | None:
    """The cheapest package that includes the quantity asked for; [] if none does; None if nothing counts that unit."""
    if r.quantity is None:
        return None
    n, unit = r.quantity
    counted = [(g, p, c) for g, p in pairs for item in p.includes for c, u, _ in item_counts(item) if u == unit]
    if not counted:
        return None
    fits = sorted((c, p.price_cents, i) for i, (g, p, c) in enumerate(counted) if n <= c)
    return [counted[fits[0][2]][:2]] if fits else []  # the tightest fit, then the cheapest


def _scope(r: Reading, k: Knowledge) -> list[tuple[Gig, Package]]:
    if r.packages:
        return r.packages
    return [(g, p) for g in (r.gigs or k.gigs) for p in g.packages]


def _grouped(pairs: list[tuple[Gig, Package]], k: Knowledge, phrase) -> str:
    """One sentence per gig, titled when the creator has more than one gig."""
    out = []
    for g in k.gigs:
        mine = [p for gg, p in pairs if gg is g]
        if not mine:
            continue
        body = "; ".join(phrase(p) for p in mine)
        out.append(f"{g.title} — {body}." if len(k.gigs) > 1 else f"{body[0].upper()}{body[1:]}.")
    return " ".join(out)


def _source(pairs: list[tuple[Gig, Package]], what: str) -> str:
    titles = sorted({g.title for g, _ in pairs})
    return f"gig:{titles[0]}:{what}" if len(titles) == 1 else f"gigs:{what}"


def package_answer(r: Reading, k: Knowledge) -> Answer | None:
    """The reply to a question about packages, or None when the reading asks nothing about them."""
    if not r.about_packages and not r.items:
        return None
    pairs = _scope(r, k)
    fit = quantity_fit(r, k, pairs)
    if fit:
        g, p = fit[0]
        text = f"For that, {p.name} fits: {p.price_text}, " + terms(p).split(": ", 1)[1] + "."
        prefix = f"{g.title} — " if len(k.gigs) > 1 else ""
        return Answer(prefix + text, _source([(g, p)], "recommend"), f"{g.title} {p.name}")
    if r.compare or r.recommend or (r.packages and not r.attributes and not r.items):
        what = "compare" if r.compare else "recommend" if r.recommend else "package"
        if r.compare and len(r.packages) < 2:
            pairs = [(g, p) for g in (r.gigs or list({id(g): g for g, _ in pairs}.values()) or k.gigs)
                     for p in g.packages]
        intro = "Here are the packages side by side: " if what != "package" else ""
        return Answer(intro + _grouped(pairs, k, terms), _source(pairs, what),
                      what if what != "package" else join_words([p.name for _, p in pairs]))
    attributes = [a for a in ORDER if a in r.attributes] or ["includes"]
    if attributes == ["includes"] and r.items and not r.packages:
        having = [(g, p) for g, p in pairs if any(i in p.includes for i in r.items)]
        pairs = having or pairs
    text = _grouped(pairs, k, lambda p: _phrase(p, attributes))
    if r.items and r.packages and attributes == ["includes"]:
        missing = [i for i in r.items if not any(i in p.includes for _, p in r.packages)]
        elsewhere = [(i, [p.name for g in k.gigs for p in g.packages if i in p.includes]) for i in missing]
        text += "".join(f" {i[0].upper()}{i[1:]} comes with {join_words(names)}." for i, names in elsewhere if names)
    topic = " ".join([join_words([p.name for _, p in pairs]) if r.packages else "all packages", *attributes])
    return Answer(text, _source(pairs, "+".join(attributes)), topic)
