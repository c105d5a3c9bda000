"""Guardrails: a reply may state only what the creator's gigs offer.

`check(text, knowledge)` reads a draft reply and lists every claim it cannot back
with the gig data:

- a price that is not a package price (a made-up or discounted price);
- a delivery time that no package offers (a rush deadline, say "in 1 day" when the
  fastest package takes 3);
- a revision count that no package offers;
- a discount, coupon, free work or other reduction of any kind;
- a service the creator does not list ("I can also do video editing");
- any other number the knowledge file does not state (a figure from nowhere).

Negated statements ("I don't offer discounts") are not claims. An empty list means
the reply may be sent; otherwise the assistant hands off instead.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from studio.assistant.knowledge import UNLIMITED, Knowledge, money

NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "twenty": 20,
                "thirty": 30, "single": 1, "couple of": 2}
_NUM = r"(\d+(?:\.\d+)?|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
NEGATION_RE = re.compile(r"\b(?:not|no|never|don't|dont|do not|doesn't|does not|can't|cannot|can not|won't|"
                         r"will not|unable|isn't|aren't|without)\b[^.!?;]{0,30}$")

PRICE_RE = re.compile(r"(?:[$€£]\s?(\d+(?:[.,]\d{1,2})?))|(?:\b(\d+(?:\.\d{1,2})?)\s?(?:usd|eur|gbp|dollars?|euros?|bucks)\b)", re.I)
TIME_RE = re.compile(rf"\b{_NUM}[\s-]*(business\s+|working\s+)?(hours?|days?|weeks?)\b", re.I)
TIME_WORDS_RE = re.compile(r"\b(today|tonight|tomorrow|same[\s-]day|overnight|within the hour|asap|right away|"
                           r"express delivery|rush delivery)\b", re.I)
REVISION_RE = re.compile(rf"\b({_NUM}|unlimited|infinite|endless)\s+(?:rounds?\s+of\s+)?(?:free\s+)?revisions?\b", re.I)
DISCOUNT_RE = re.compile(r"\b(discounts?|discounted|\d+\s?%\s?off|percent off|coupons?|promo(?:tion)? codes?|"
                         r"half[\s-]price|for free|free of charge|at no (?:extra )?cost|on the house|"
                         r"cheaper|reduced (?:price|rate)|special (?:price|deal|offer)|lower (?:the )?price)\b", re.I)
SERVICE_RE = re.compile(r"\b(?:i|we)\s+(?:can\s+|could\s+|also\s+|do\s+|will\s+|would\s+|happily\s+|gladly\s+)*"
                        r"(?:offer|provide|do|make|create|design|draw|build|edit|produce|handle|film|write|animate)\s+"
                        r"((?:[a-z][a-z-]*\s?){1,4})", re.I)
STOP = {"a", "an", "the", "your", "you", "it", "this", "that", "that's", "them", "those", "these", "my", "our",
        "for", "and", "or", "of", "to", "with", "in", "on", "any", "all", "some", "one", "custom", "also",
        "so", "too", "as", "well", "is", "are", "be", "can", "will", "more", "just", "really", "happy",
        "work", "job", "jobs", "projects", "project", "things", "thing", "what", "whatever", "stuff", "best",
        "sure", "yes", "of", "course", "them", "each", "every", "by", "from", "please", "if", "needed", "need",
        "revisions", "revision", "delivery", "files", "file", "changes", "change", "order", "orders", "package",
        "packages", "gig", "gigs", "service", "services", "request", "requests", "my", "best", "not", "at"}


@dataclass(frozen=True)
class Issue:
    kind: str  # price | delivery | revisions | discount | service | figure
    claim: str  # the words in the reply
    why: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.why}"


def _num(token: str) -> float:
    token = token.lower().strip()
    return float(NUMBER_WORDS[token]) if token in NUMBER_WORDS else float(token.replace(",", "."))


def _negated(text: str, start: int) -> bool:
    sentence_start = max(text.rfind(c, 0, start) for c in ".!?;\n") + 1
    return bool(NEGATION_RE.search(text[sentence_start:start].lower()))


def asks_for_discount(message: str) -> bool:
    """Whether a client message asks for a reduction ("20% off", "a discount"), not merely mentions one."""
    return any(not _negated(message, m.start()) for m in DISCOUNT_RE.finditer(message))


def service_vocabulary(k: Knowledge) -> set[str]:
    words: set[str] = set()
    texts = [g.title for g in k.gigs] + [g.description for g in k.gigs]
    texts += [p.name for g in k.gigs for p in g.packages] + [i for g in k.gigs for p in g.packages for i in p.includes]
    texts.append(k.profile.get("bio") or "")
    for t in texts:
        for w in re.findall(r"[a-z]+", t.lower()):
            words.add(w)
            if w.endswith("s"):
                words.add(w[:-1])
            else:
                words.add(w + "s")
    return words


def check(text: str, k: Knowledge) -> list[Issue]:
    """Every claim in `text` the gig data does not back; empty if the reply may be sent."""
    issues: list[Issue] = []
    packages = [p for g in k.gigs for p in g.packages]
    prices = {p.price_cents for p in packages}
    days = {p.delivery_days for p in packages}
    revisions = {p.revisions for p in packages}

    for m in PRICE_RE.finditer(text):
        if _negated(text, m.start()):
            continue
        amount = round(_num(m.group(1) or m.group(2)) * 100)
        if amount not in prices:
            offered = ", ".join(money(c) for c in sorted(prices))
            issues.append(Issue("price", m.group(0), f"states {money(amount)}, but the packages cost {offered}"))

    for m in TIME_RE.finditer(text):
        if _negated(text, m.start()):
            continue
        n, unit = _num(m.group(1)), m.group(3).lower()
        in_days = n / 24 if unit.startswith("hour") else n * 7 if unit.startswith("week") else n
        if in_days not in days:
            offered = ", ".join(f"{d} day{'s' if d != 1 else ''}" for d in sorted(days))
            issues.append(Issue("delivery", m.group(0), f"promises delivery in {m.group(0)}, but the packages deliver in {offered}"))
    for m in TIME_WORDS_RE.finditer(text):
        if not _negated(text, m.start()):
            issues.append(Issue("delivery", m.group(0), f"promises delivery '{m.group(0)}', which no package offers"))

    for m in REVISION_RE.finditer(text):
        if _negated(text, m.start()):
            continue
        word = m.group(1).lower()
        value = UNLIMITED if word in ("unlimited", "infinite", "endless") else int(_num(word))
        if value not in revisions:
            offered = ", ".join(str(r) for r in sorted(revisions, key=lambda r: (isinstance(r, str), str(r))))
            issues.append(Issue("revisions", m.group(0), f"offers {m.group(0)}, but the packages include {offered}"))

    for m in DISCOUNT_RE.finditer(text):
        if not _negated(text, m.start()):
            issues.append(Issue("discount", m.group(0), f"offers a reduction ('{m.group(0)}'), which only the creator can agree to"))

    issues += _unknown_figures(text, k)
    vocab = service_vocabulary(k)
    for m in SERVICE_RE.finditer(text):
        if _negated(text, m.start()):
            continue
        words = [w for w in re.findall(r"[a-z]+", m.group(1).lower()) if w not in STOP]
        if words and not any(w in vocab for w in words):
            issues.append(Issue("service", m.group(0).strip(), f"offers '{' '.join(words)}', which is not among the gigs"))
    return issues


FIGURE_RE = re.compile(r"\d+(?:[.,]\d+)*")


def _unknown_figures(text: str, k: Knowledge) -> list[Issue]:
    """Numbers the file does not state anywhere (prices are checked above, in any notation)."""
    known = set(FIGURE_RE.findall(json.dumps(k.to_dict(), ensure_ascii=False)))
    known |= {str(c // 100) for g in k.gigs for p in g.packages for c in [p.price_cents]}
    rest = REVISION_RE.sub(" ", TIME_RE.sub(" ", PRICE_RE.sub(" ", text)))  # checked above, in their own terms
    return [Issue("figure", n, f"states {n}, which the knowledge file does not")
            for n in dict.fromkeys(FIGURE_RE.findall(rest)) if n not in known and n.replace(",", "") not in known]
