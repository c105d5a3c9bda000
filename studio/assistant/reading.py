"""Reading a client message against the creator's gigs: which packages, which attributes, which limits.

`read(message, knowledge) -> Reading` finds, by the words of the message and the
structure of the knowledge file (never by examples written for one creator):

- the gigs it names (by the words of their titles, "voiceover" for "Voice-over recording");
- the packages it names: by their own names (typos forgiven), by a distinctive word of a
  multi-word name ("builder"), by position ("the second one", "the middle option"), by price
  ("the cheapest", "the top package") and by the marketplace's usual tier words
  ("basic", "standard", "premium") when the creator named their packages differently;
- the attributes it asks for: price, delivery, revisions, what is included (also when it
  names something a package includes, "do you provide vector files"), a comparison or a
  recommendation;
- what it asks beyond the packages: an amount of money, a budget, a deadline, a quantity
  ("12 illustrations") checked against what the packages include.

Pure text processing: nothing here embeds or touches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from studio.assistant.knowledge import Gig, Knowledge, Package

WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
NUMBER_WORDS = {"one": 1, "a single": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
                "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100}
STOP = frozenset(
    "a an the i you we it me my your our us do does did can could would will should is are was be been am have "
    "has had what which who how when where why this that these those to of in on at for with about from by and or "
    "but if so too also please hi hello hey thanks just any some get got up over per your one all".split())

# Attribute cues: phrases searched in the lower-cased message (word-bounded), then single words matched
# with typos forgiven. A weak cue only counts when no strong cue of another attribute is present.
CUES = {
    "price": (["how much", "set me back", "what do you charge", "price gap"],
              ["price", "prices", "pricing", "priced", "cost", "costs", "charge", "charges", "rate", "rates", "fee",
               "fees"]),
    "delivery": (["how long", "how fast", "how quick", "how quickly", "how soon", "when will", "when would",
                  "when can i", "turn around"],
                 ["turnaround", "delivery", "timeline", "eta", "days", "timeframe"]),
    "revisions": (["rounds of", "change requests"],
                  ["revision", "revisions", "changes", "retakes", "retake", "rounds", "tweaks", "corrections",
                   "edits", "redos"]),
    "includes": (["what do i get", "what do you get", "what comes", "comes with", "come with", "what's in",
                  "whats in", "what is in", "word limit", "how many words", "file formats", "file types"],
                 ["include", "includes", "included", "including", "contain", "contains", "deliverables"]),
}
WEAK = {"delivery": ["deliver", "delivered", "ready", "take", "takes"], "includes": ["get", "receive", "provide"]}
CUE_WORDS = frozenset({w for phrases, single in CUES.values() for text in [*phrases, *single] for w in text.split()}
                      | {w for cues in WEAK.values() for w in cues} | {"files", "file", "full", "package", "packages"})
COMPARE_RE = re.compile(r"\b(difference|differences|differ|vs\.?|versus|compare|comparison|compared)\b")
RECOMMEND_RE = re.compile(r"\b(which|what)\b[^.?!]{0,40}\b(package|option|tier|plan|one)\b[^.?!]{0,40}"
                          r"\b(recommend|best|suit|suits|fit|fits|right|choose|pick|go for|should)\b"
                          r"|\b(recommend|suggest)\b[^.?!]{0,30}\b(package|option|tier|plan)\b"
                          r"|\bnot sure which\b")
CHEAP_RE = re.compile(r"\b(cheapest|lowest|least expensive|most affordable|smallest|entry[- ]level)\b")
DEAR_RE = re.compile(r"\b(priciest|most expensive|highest|top|biggest|largest|most complete|best value)\b")
MIDDLE_RE = re.compile(r"\b(middle|mid|medium|mid-tier)\b")
ORDINALS = {0: r"first|1st", 1: r"second|2nd", 2: r"third|3rd", 3: r"fourth|4th"}
ORDINAL_RE = re.compile(r"\b(" + "|".join(ORDINALS.values()) + r"|last)\b(?:\s+(?:one|package|option|tier|plan))?")
LANGUAGES = frozenset(
    "english spanish french german italian portuguese dutch swedish norwegian danish finnish polish czech russian "
    "ukrainian greek turkish arabic hebrew hindi urdu bengali chinese mandarin cantonese japanese korean "
    "vietnamese thai indonesian malay tagalog filipino swahili romanian hungarian catalan".split())
PROFILE_CUES = {"languages": re.compile(r"\b(languages?|langauges?|speak|speaks|fluent|bilingual|native)\b"),
                "timezone": re.compile(r"\b(time ?zone|timezones?|based|located|where are you|what time|hours do you|"
                                       r"your hours|working hours|office hours|local time)\b")}
TIER_WORDS = {"basic": 0, "standard": 1, "premium": -1}  # the marketplace's usual names, by position

MONEY_RE = re.compile(r"(?:[$€£]\s?(\d[\d,]*(?:\.\d{1,2})?))|(?:\b(\d[\d,]*(?:\.\d{1,2})?)\s?(?:usd|eur|gbp|dollars?|"
                      r"euros?|bucks)\b)|(?:\bfor (?:only |just )?(\d[\d,]*)\s?(?:[?!.]|$))")
BUDGET_RE = re.compile(r"\b(budget|afford|only have|can only pay|all i have)\b")
_N = r"(\d[\d,]*|" + "|".join(NUMBER_WORDS) + r")"
DEADLINE_RE = re.compile(rf"\b(?:in|within|under|less than|by|back in|done in|ready in)\s+(?:the next\s+)?{_N}\s*"
                         r"(hours?|hrs?|h|days?|weeks?|business days?|working days?)\b")
HOURS_RE = re.compile(rf"\b{_N}\s*(?:hours?|hrs?)\b")
URGENT_RE = re.compile(r"\b(tomorrow|tonight|asap|urgent|urgently|rush|rushed|express|same[- ]day|overnight|"
                       r"right away|immediately)\b|\b(?:by|for|before|until|need it|done|ready) today\b")
DATE_RE = re.compile(r"\b(?:by|before|until|for)\s+(?:this\s+|next\s+|the\s+)?(monday|tuesday|wednesday|thursday|"
                     r"friday|saturday|sunday|weekend|end of (?:the )?(?:week|month)|next week|\d{1,2}(?:st|nd|rd|th)|"
                     r"january|february|march|april|may|june|july|august|september|october|november|december)\b")


@dataclass
class Reading:
    """What a message asks, in terms of the knowledge file."""

    gigs: list[Gig] = field(default_factory=list)  # gigs it names (empty: none named)
    packages: list[tuple[Gig, Package]] = field(default_factory=list)  # packages it names or points at
    attributes: list[str] = field(default_factory=list)  # price | delivery | revisions | includes
    items: list[str] = field(default_factory=list)  # included things it names ("vector source files")
    compare: bool = False
    recommend: bool = False
    amounts: list[int] = field(default_factory=list)  # money it names, in cents
    budget: bool = False
    deadline_days: float | None = None  # the deadline it asks for, in days
    dated: bool = False  # a calendar deadline ("by Friday"): only the creator can promise it
    quantity: tuple[int, str] | None = None  # ("12", "illustration") when it asks for a number of something
    profile: list[str] = field(default_factory=list)  # languages | timezone
    strong: bool = False  # an attribute was named outright (not only by a weak verb such as "get")

    @property
    def about_packages(self) -> bool:
        return bool(self.attributes or self.packages or self.compare or self.recommend)


# --- words --------------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    return WORD_RE.findall(text.lower().replace("-", " ").replace("/", " "))


def singular(w: str) -> str:
    return w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w


def _distance(a: str, b: str, limit: int) -> int:
    """Edit distance with adjacent transpositions, stopping early once over `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2, prev = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
            if prev2 is not None and i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def similar(a: str, b: str) -> bool:
    """The same word, a plural, or a typo of it (one edit from 5 letters, two from 9)."""
    a, b = singular(a), singular(b)
    if a == b:
        return True
    limit = 2 if min(len(a), len(b)) >= 9 else 1 if min(len(a), len(b)) >= 5 else 0
    return limit > 0 and _distance(a, b, limit) <= limit


def _has_phrase(text: str, phrase: str) -> bool:
    return re.search(r"\b" + re.escape(phrase) + r"\b", text) is not None


def number(token: str) -> int | None:
    token = token.replace(",", "")
    return int(token) if token.isdigit() else NUMBER_WORDS.get(token)


# --- gigs and packages --------------------------------------------------------------------------


def _title_words(g: Gig) -> list[str]:
    return [w for w in words(g.title) if w not in STOP and len(w) >= 3]


def _names_gig(tokens: list[str], g: Gig) -> bool:
    for t in tokens:
        if t in STOP or len(t) < 4:
            continue
        for g_word in _title_words(g):
            if similar(t, g_word) or (len(t) >= 4 and t in g_word) or (len(g_word) >= 4 and g_word in t) \
                    or (len(t) >= 6 and len(g_word) >= 6 and t[:5] == g_word[:5]):
                return True
    return False


def _name_matches(tokens: list[str], name: str, distinctive: set[str], partial: bool = True) -> bool:
    """The whole name in order (typos forgiven), or (if `partial`) a distinctive word of a longer name."""
    parts = words(name)
    n = len(parts)
    for i in range(len(tokens) - n + 1):
        if all(similar(tokens[i + j], parts[j]) for j in range(n)):
            return True
    return partial and any(similar(t, p) or (len(t) >= 5 and p.startswith(t))
                           for t in tokens for p in parts if p in distinctive)


def _distinctive(k: Knowledge) -> dict[str, set[str]]:
    """Per package name, its words that name it alone: long, not a common word, in no other name or title."""
    names = [p.name for g in k.gigs for p in g.packages]
    others = {w for g in k.gigs for w in _title_words(g)}
    out = {}
    for name in names:
        mine = [w for w in words(name) if w not in STOP and len(w) >= 6 and w not in others]
        out[name] = {w for w in mine if sum(w in words(n) for n in names) == 1} if len(words(name)) > 1 else set()
    return out


def _by_price(gigs: list[Gig], cheapest: bool) -> list[tuple[Gig, Package]]:
    pairs = [(g, p) for g in gigs for p in g.packages]
    key = min if cheapest else max
    best = key(p.price_cents for _, p in pairs)
    return [(g, p) for g, p in pairs if p.price_cents == best]


def _packages(text: str, tokens: list[str], k: Knowledge, gigs: list[Gig],
              partial: bool = True) -> list[tuple[Gig, Package]]:
    scope = gigs or k.gigs
    distinctive = _distinctive(k)
    named = [(g, p) for g in scope for p in g.packages if _name_matches(tokens, p.name, distinctive[p.name], partial)]
    own = {w for g in k.gigs for p in g.packages for w in words(p.name)}
    for word, position in TIER_WORDS.items():
        if word in own or not any(similar(t, word) for t in tokens):
            continue
        named += [(g, g.packages[position]) for g in scope if len(g.packages) >= 2 and (position != 1 or len(g.packages) >= 3)]
    if CHEAP_RE.search(text):
        named += _by_price(scope, cheapest=True)
    if DEAR_RE.search(text):
        named += _by_price(scope, cheapest=False)
    if MIDDLE_RE.search(text):
        named += [(g, sorted(g.packages, key=lambda p: p.price_cents)[1]) for g in scope if len(g.packages) == 3]
    for m in ORDINAL_RE.finditer(text):
        word = m.group(1)
        index = -1 if word == "last" else next(i for i, pattern in ORDINALS.items() if re.fullmatch(pattern, word))
        named += [(g, g.packages[index]) for g in scope if index < len(g.packages)]
    seen, out = set(), []
    for g, p in named:
        if (g.title, p.name) not in seen:
            seen.add((g.title, p.name))
            out.append((g, p))
    return out


# --- attributes and included things -----------------------------------------------------------


def _attributes(text: str, tokens: list[str]) -> list[str]:
    strong = [a for a, (phrases, single) in CUES.items()
              if any(_has_phrase(text, ph) for ph in phrases) or any(similar(t, s) for t in tokens for s in single)]
    weak = [a for a, cues in WEAK.items() if a not in strong and any(t in cues for t in tokens)]
    return strong + ([] if strong else weak[:1])


def _items(tokens: list[str], k: Knowledge) -> list[str]:
    """Included things the message names by a word of their own (not a number, a title or a common word)."""
    common = STOP | {w for g in k.gigs for w in _title_words(g)} | set(NUMBER_WORDS) | CUE_WORDS
    found = []
    for g in k.gigs:
        for p in g.packages:
            for item in p.includes:
                own = {singular(w) for w in words(item) if w not in common and len(w) >= 3 and not w.isdigit()}
                if any(singular(t) in own for t in tokens if t not in common) and item not in found:
                    found.append(item)
    return found


def item_counts(item: str) -> list[tuple[int, str, bool]]:
    """(count, unit, is a maximum) for each number an included thing states: "up to 600 words" -> (600, word, True)."""
    ws = words(item)
    out = []
    for i, w in enumerate(ws):
        n = number(w)
        if n is None:
            continue
        run = []
        for nxt in ws[i + 1:i + 4]:
            if nxt in STOP or nxt in ("for", "in") or number(nxt) is not None:
                break
            run.append(nxt)
        if run:
            out.append((n, singular(run[-1]), i >= 2 and ws[i - 2:i] == ["up", "to"]))
    return out


def _quantity(text: str, k: Knowledge) -> tuple[int, str] | None:
    units = {u for g in k.gigs for p in g.packages for item in p.includes for _, u, _ in item_counts(item)}
    ws = words(text)
    for i, w in enumerate(ws):
        n = number(w)
        if n is None or (i > 0 and ws[i - 1] in ("in", "within", "by")):
            continue
        for nxt in ws[i + 1:i + 4]:
            if singular(nxt) in units:
                return n, singular(nxt)
    return None


# --- money and time -----------------------------------------------------------------------------


def _amounts(text: str) -> list[int]:
    out = []
    for m in MONEY_RE.finditer(text):
        raw = (m.group(1) or m.group(2) or m.group(3)).replace(",", "")
        out.append(round(float(raw) * 100))
    return out


def _deadline(text: str) -> float | None:
    days = []
    for m in DEADLINE_RE.finditer(text):
        n, unit = number(m.group(1)), m.group(2)
        if n is not None:
            days.append(n / 24 if unit.startswith("h") else n * 7 if unit.startswith("week") else float(n))
    for m in HOURS_RE.finditer(text):
        if number(m.group(1)) is not None:
            days.append(number(m.group(1)) / 24)
    if URGENT_RE.search(text):
        days.append(1.0)
    return min(days) if days else None


def read(message: str, k: Knowledge) -> Reading:
    """What `message` asks about the creator's gigs (see the module docstring)."""
    text = " ".join(message.lower().split())
    tokens = words(text)
    distinctive = _distinctive(k)
    attributes = _attributes(text, tokens)
    partial = bool(attributes) or bool(COMPARE_RE.search(text))  # "your studio" alone does not name "Studio Session"
    named = [(g, p) for g in k.gigs for p in g.packages
             if _name_matches(tokens, p.name, distinctive[p.name], partial)]
    gigs = [g for g in k.gigs if _names_gig(tokens, g)] if len(k.gigs) > 1 else []
    if named and len(k.gigs) > 1:  # a package's own name says which gig is meant, unless the words say which of them
        named = [(g, p) for g, p in named if any(g is x for x in gigs)] or named
        gigs = list({id(g): g for g, _ in named}.values())
    packages = _packages(text, tokens, k, gigs, partial)
    items = _items(tokens, k)
    if items and "includes" not in attributes and set(attributes) <= {"delivery"} and not _strong(text, tokens, "delivery"):
        attributes = ["includes"]  # "do you deliver png files?" asks what is included
    profile = [name for name, cue in PROFILE_CUES.items() if cue.search(text)]
    if any(t in LANGUAGES for t in tokens) and "languages" not in profile:
        profile.append("languages")
    return Reading(gigs=gigs, packages=packages, attributes=attributes, items=items, profile=profile,
                   strong=any(_strong(text, tokens, a) for a in CUES),
                   compare=bool(COMPARE_RE.search(text)) or (len(packages) >= 2 and not attributes and " or " in text),
                   recommend=bool(RECOMMEND_RE.search(text)), amounts=_amounts(text),
                   budget=bool(BUDGET_RE.search(text)), deadline_days=_deadline(text),
                   dated=bool(DATE_RE.search(text)), quantity=_quantity(text, k))


def _strong(text: str, tokens: list[str], attribute: str) -> bool:
    phrases, single = CUES[attribute]
    return any(_has_phrase(text, ph) for ph in phrases) or any(similar(t, s) for t in tokens for s in single)
