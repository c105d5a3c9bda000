"""A procedural copywriting world: briefs, and copy that satisfies them.

A :class:`Brief` says what to write (a kind), for what business (a name and its type), for whom
(an audience) and in which tone. :func:`write` writes copy for a brief from the lexicon
(:mod:`studio.text.lexicon`) and many templates, so the same brief gets many different copies and
a model has to read the brief to write well: the kind sets the form, the products come from the
business type, the audience is named in headlines, the tone picks the words and punctuation.

The model sees a brief as :func:`prompt` text and continues it with the copy::

    brief: tagline | business: Bloom Bakery (bakery) | audience: busy parents | tone: playful
    copy: [business]: fun croissants!

The model writes the business's name as a slot that generation fills in (:data:`NAME_SLOT`).

Everything is deterministic from a seed. Only the standard library is needed here.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from studio.text.lexicon import AUDIENCES, BUSINESS_TYPES, NAME_WORDS, OWNER_NAMES, RHYME_SETS, SHARED_HASHTAGS, TONES

KINDS: tuple[str, ...] = ("tagline", "headline", "blurb", "social", "jingle")
COPY_MARK = "copy:"  # the prompt ends here; the copy follows after one space
PROMPT_RE = re.compile(r"^brief: (?P<kind>[a-z]+) \| business: (?P<business>.+) \((?P<type>[a-z ]+)\) \| "
                       r"audience: (?P<audience>[a-z' -]+) \| tone: (?P<tone>[a-z]+)\ncopy:$")


@dataclass(frozen=True)
class Brief:
    kind: str
    business: str  # the business's name, e.g. "Bloom Bakery"
    business_type: str  # a key of BUSINESS_TYPES, e.g. "bakery"
    audience: str
    tone: str

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}; one of {KINDS}")
        if self.business_type not in BUSINESS_TYPES:
            raise ValueError(f"unknown business type {self.business_type!r}")
        if self.tone not in TONES:
            raise ValueError(f"unknown tone {self.tone!r}; one of {tuple(TONES)}")
        if not self.business.strip() or "|" in self.business or "\n" in self.business:
            raise ValueError("a business name is one line without '|'")


def prompt(brief: Brief) -> str:
    """The brief as the model reads it; the copy follows after one space."""
    return (f"brief: {brief.kind} | business: {brief.business} ({brief.business_type}) | "
            f"audience: {brief.audience} | tone: {brief.tone}\n{COPY_MARK}")


def parse_prompt(text: str) -> Brief:
    m = PROMPT_RE.match(text.strip())
    if not m:
        raise ValueError("not a brief prompt")
    return Brief(m["kind"], m["business"], m["type"], m["audience"], m["tone"])


def sample_brief(rng: random.Random, kind: str | None = None) -> Brief:
    business_type = rng.choice(sorted(BUSINESS_TYPES))
    suffix = rng.choice(BUSINESS_TYPES[business_type].suffixes)
    first = rng.choice(NAME_WORDS) if rng.random() < 0.8 else rng.choice(OWNER_NAMES) + "'s"
    return Brief(kind or rng.choice(KINDS), f"{first} {suffix}", business_type, rng.choice(AUDIENCES), rng.choice(sorted(TONES)))


def briefs(n: int, seed: int, namespace: str = "briefs") -> list[Brief]:
    """``n`` briefs from their own random stream; pretraining draws from ``namespace="train"``."""
    rng = random.Random(f"{namespace}:{seed}")
    return [sample_brief(rng) for _ in range(n)]


def sample(seed: int, namespace: str = "train") -> tuple[Brief, str]:
    """One (brief, copy) pair, deterministic from ``seed``."""
    rng = random.Random(f"{namespace}:{seed}")
    brief = sample_brief(rng)
    return brief, write(brief, rng)


# --- writing ------------------------------------------------------------------------------------

def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def camel(text: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in re.findall(r"[A-Za-z0-9]+", text))


def _slots(brief: Brief, rng: random.Random) -> dict[str, str]:
    tone, btype = TONES[brief.tone], BUSINESS_TYPES[brief.business_type]
    product, product2 = rng.sample(btype.products, 2)
    adj, adj2 = rng.sample(tone.adjectives, 2)
    return dict(name=brief.business, type=brief.business_type, audience=brief.audience, product=product,
                product2=product2, adj=adj, adj2=adj2, opener=rng.choice(tone.openers), closer=rng.choice(tone.closers),
                emoji=rng.choice(tone.emoji), p=tone.end)


TAGLINES = (
    "{name}: {adj} {product}{p}",
    "{Adj} {product}, only at {name}{p}",
    "{opener}! It's {name}{p}",
    "{name}, {adj} every time{p}",
    "Your {adj} {type}: {name}{p}",
    "Think {adj} {product}. Think {name}{p}",
    "{name}. {Adj} by nature{p}",
    "{Adj} {product}? That's {name}{p}",
)
HEADLINES = (
    "{Adj} {product} for {audience} at {name}",
    "{Audience}, meet {name}: {adj} {product} for you",
    "{name} brings {adj} {product} to {audience}",
    "Why {audience} choose {name} for {adj} {product}",
    "{opener}: {name} opens its doors to {audience}",
    "New at {name}: {adj} {product} made for {audience}",
    "{name} and {audience}: a {adj} match",
    "{Audience} deserve {adj} {product}, and {name} delivers",
)
BLURB_FIRST = (
    "{name} is a {adj} {type} for {audience}.",
    "At {name}, we make {adj} {product} for {audience}.",
    "{name} has {product} and {product2}, all of them {adj}.",
    "Meet {name}, the {adj} {type} {audience} keep coming back to.",
    "{Audience} know {name} for its {adj} {product}.",
)
BLURB_SECOND = (
    "Try our {product2}, {adj2} from start to finish{p}",
    "Every visit is {adj2}, from the {product} to the {product2}{p}",
    "Expect {adj2} service and {product2} worth the trip{p}",
    "Our {product2} are {adj2} and made with care{p}",
    "Ask about our {product2} on your next visit{p}",
)
SOCIALS = (
    "{opener}! {name} has {adj} {product} for {audience} {emoji} {tags}",
    "{Audience}, this one's for you: {adj} {product} at {name}. {closer} {tags}",
    "New this week at {name}: {product}. {closer} {emoji} {tags}",
    "{opener}! {Adj} {product} just landed at {name}. {closer} {tags}",
    "Calling all {audience}: {name} has {adj} {product} waiting {emoji} {tags}",
)
JINGLE_FIRST = (
    "At {name}, {adj} {product}",
    "For {audience}, {name}",
    "{opener}, {name}",
    "{name}",
    "Here at {name}, {adj} {product}",
)
JINGLE_SECOND = (  # the first line names the business; the second carries the tone
    "{Adj} {product}",
    "{opener}! {Adj} {product2}",
    "{Adj} {product2} for {audience}",
)


def _fill(template: str, slots: dict[str, str]) -> str:
    capped = {k.capitalize(): cap(v) for k, v in slots.items()}
    return template.format(**slots, **capped)


def hashtags(brief: Brief, slots: dict[str, str], rng: random.Random) -> str:
    pool = [camel(brief.business), camel(brief.business_type), TONES[brief.tone].hashtag, camel(slots["product"]),
            rng.choice(SHARED_HASHTAGS)]
    return " ".join("#" + t for t in rng.sample(pool, rng.randint(1, 3)))


def jingle(brief: Brief, slots: dict[str, str], rng: random.Random) -> str:
    ends = RHYME_SETS[rng.choice(sorted(RHYME_SETS))]
    end1, end2 = (e.format(adj=rng.choice(TONES[brief.tone].adjectives)) for e in rng.sample(ends, 2))
    first = _fill(rng.choice(JINGLE_FIRST), slots)
    second = _fill(rng.choice(JINGLE_SECOND), slots)
    return f"{first} {end1},\n{second} {end2}{slots['p']}"


def write(brief: Brief, rng: random.Random) -> str:
    """Copy that satisfies ``brief`` (the checker passes it), drawn with ``rng``."""
    s = _slots(brief, rng)
    if brief.kind == "tagline":
        return _fill(rng.choice(TAGLINES), s)
    if brief.kind == "headline":
        return _fill(rng.choice(HEADLINES), s)
    if brief.kind == "blurb":
        parts = [_fill(rng.choice(BLURB_FIRST), s), _fill(rng.choice(BLURB_SECOND), s)]
        if rng.random() < 0.6:
            parts.append(s["closer"])
        return " ".join(parts)
    if brief.kind == "social":
        return _fill(rng.choice(SOCIALS), dict(s, tags=hashtags(brief, s, rng)))
    return jingle(brief, s, rng)


# The model writes this where the business's name goes, and generation fills the name in from the
# brief (slot filling, as data-to-text systems do). Why: the tiny base learned every other rule of
# the world within a thousand CPU steps, but copying an arbitrary name word from the brief had not
# emerged after two thousand; a slot makes the name exact by construction.
NAME_SLOT = "[business]"


def delexicalise(brief: Brief, copy: str) -> str:
    """Copy as a model learns to write it: the business's name replaced by :data:`NAME_SLOT`."""
    return copy.replace(brief.business, NAME_SLOT)


def relexicalise(brief: Brief, text: str) -> str:
    """A model's text with :data:`NAME_SLOT` filled in with the business's name."""
    return text.replace(NAME_SLOT, brief.business)


def document(brief: Brief, copy: str) -> str:
    """A brief and its copy as one training text, as the model sees it (the tokenizer is trained on these)."""
    return f"{prompt(brief)} {delexicalise(brief, copy)}"
