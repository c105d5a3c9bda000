"""Fact templates: what the gig data and the profile answer, with example client questions for each.

Every package price, delivery time, revision count and inclusion becomes a `Fact`: a
source label ("gig:Logo design:price", "profile:languages"...), a topic, questions a
client might ask, and the answer, written only from the creator's own data.
"""

from __future__ import annotations

from typing import NamedTuple

from studio.assistant.knowledge import Knowledge
from studio.assistant.views import join_words


class Fact(NamedTuple):
    label: str  # the reply's source, e.g. "gig:Logo design:delivery"
    topic: str
    examples: list[str]  # client questions this fact answers
    answer: str


def facts(k: Knowledge) -> list[Fact]:
    """Everything the gig data and profile answer."""
    out = [f for g in k.gigs for f in gig_facts(g)]
    gig_list = join_words([f"{g.title} (from {min(g.packages, key=lambda p: p.price_cents).price_text})" for g in k.gigs])
    out.append(Fact("gigs:services", "services", [
        "what services do you offer", "what do you do", "what can you make for me", "what kind of work do you do",
        "which gigs do you have"], f"{k.name} offers {gig_list}."))
    if len(k.gigs) > 1:
        out += overview_facts(k)
    return out + profile_facts(k)


def gig_facts(g) -> list[Fact]:
    """Price, delivery, revisions and (if listed) inclusions of one gig's packages."""
    t, tl = g.title, g.title.lower()
    pk = g.packages
    prices = join_words([f"{p.name} {p.price_text}" for p in pk])
    days = join_words([f"{p.name} in {p.delivery_days} day{'s' if p.delivery_days != 1 else ''}" for p in pk])
    revs = join_words([f"{p.name} includes {p.revisions_text}" for p in pk])
    out = [
        Fact(f"gig:{t}:price", f"{t} prices", [
            f"how much is {tl}", f"what does {tl} cost", f"price of {tl}", f"how much do you charge for {tl}",
            f"what are your rates for {tl}", f"{tl} price", f"how much for a {tl}"]
            + [f"how much is the {p.name.lower()} {tl} package" for p in pk],
            f"{t}: {prices}."),
        Fact(f"gig:{t}:delivery", f"{t} delivery", [
            f"how long does {tl} take", f"delivery time for {tl}", f"when will my {tl} be ready",
            f"how many days for {tl}", f"turnaround for {tl}"], f"Delivery for {t}: {days}."),
        Fact(f"gig:{t}:revisions", f"{t} revisions", [
            f"how many revisions for {tl}", f"can I ask for changes to my {tl}", f"revisions included in {tl}"],
            f"Revisions for {t}: {revs}."),
    ]
    inc = "; ".join(f"{p.name} ({p.price_text}): {', '.join(p.includes)}" for p in pk if p.includes)
    if inc:
        out.append(Fact(f"gig:{t}:includes", f"{t} packages", [
            f"what is included in {tl}", f"what do I get with {tl}", f"what's in the {tl} packages",
            f"difference between the {tl} packages"], f"{t} packages — {inc}."))
    return out


def overview_facts(k: Knowledge) -> list[Fact]:
    """Prices, delivery and revisions across all gigs, for questions that name none."""
    return [
        Fact("gigs:price", "prices", [
            "how much do you charge", "what are your prices", "what are your rates", "how much does it cost"],
            " ".join(f"{g.title}: {join_words([f'{p.name} {p.price_text}' for p in g.packages])}." for g in k.gigs)),
        Fact("gigs:delivery", "delivery", [
            "how long does it take", "what is your turnaround time", "how fast do you deliver",
            "when will I get my order"],
            " ".join(f"{g.title}: {join_words([f'{p.name} in {p.delivery_days} days' for p in g.packages])}."
                     for g in k.gigs)),
        Fact("gigs:revisions", "revisions", [
            "how many revisions do I get", "can I ask for changes", "do you do revisions"],
            " ".join(f"{g.title}: {join_words([f'{p.name} {p.revisions_text}' for p in g.packages])}."
                     for g in k.gigs)),
    ]


def profile_facts(k: Knowledge) -> list[Fact]:
    """Languages, time zone and bio, where the profile gives them."""
    out = []
    langs = k.profile.get("languages") or []
    if langs:
        out.append(Fact("profile:languages", "languages", [
            "what languages do you speak", "do you speak my language", "can we talk in another language"],
            f"{k.name} works in {join_words(list(langs))}."))
    if k.profile.get("timezone"):
        out.append(Fact("profile:timezone", "timezone", [
            "what time zone are you in", "where are you based", "when are you available"],
            f"{k.name} works on {k.profile['timezone']} time."))
    if k.profile.get("bio"):
        out.append(Fact("profile:bio", "about", ["tell me about yourself", "who are you", "what is your style"],
                        f"{k.profile['bio']}"))
    return out
