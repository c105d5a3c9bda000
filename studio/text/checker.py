"""Does a text follow its brief? A checker written against the copywriting world's own rules.

    result = check(brief, text)      # CheckResult(passed, failures)
    pass_rate(pairs)                 # share of (brief, text) pairs that pass

The rules (each failure is named in ``result.failures``):

- every kind names the business (case-insensitive) and shows the tone: at least one of the tone's
  markers, and no other tone with more markers than it;
- tagline: one line, at most ``TAGLINE_MAX_WORDS`` words;
- headline: one line, ``HEADLINE_WORDS`` words, names the audience, no full stop at the end;
- blurb: one paragraph of ``BLURB_SENTENCES`` sentences and ``BLURB_WORDS`` words, naming one of the
  business type's products;
- social post: one line of at most ``SOCIAL_MAX_WORDS`` words with 1-3 hashtags, all at the end;
- jingle: two lines of ``JINGLE_LINE_WORDS`` words each whose last words rhyme (:func:`rhymes`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from studio.text.lexicon import BUSINESS_TYPES, RHYME_SETS, TONES
from studio.text.world import Brief

TAGLINE_MAX_WORDS = 12
HEADLINE_WORDS = (5, 18)
BLURB_SENTENCES = (2, 3)
BLURB_WORDS = (12, 70)
SOCIAL_MAX_WORDS = 45
HASHTAGS = (1, 3)
JINGLE_LINE_WORDS = (3, 16)

WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
HASHTAG_RE = re.compile(r"#[A-Za-z0-9]+")
SENTENCE_END_RE = re.compile(r"[.!?]+(?=\s|$)")
VOWEL_GROUP_RE = re.compile(r"[aeiouy]+[^aeiouy]*$")

# the rhyme set of every couplet ending's last word, read from the world's endings
RHYME_SET_OF: dict[str, str] = {phrase.split()[-1]: key for key, phrases in RHYME_SETS.items() for phrase in phrases}


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    failures: tuple[str, ...]


def words(text: str) -> list[str]:
    """Lowercase words, hashtags and emoji left out."""
    return WORD_RE.findall(HASHTAG_RE.sub(" ", text.lower()))


def tone_counts(text: str) -> dict[str, int]:
    ws = words(text)
    return {name: sum(ws.count(m) for m in tone.markers) for name, tone in TONES.items()}


def rhyme_key(word: str) -> str:
    """The last vowel group and what follows it ("bright" -> "ight", "day" -> "ay")."""
    m = VOWEL_GROUP_RE.search(word.lower())
    return m.group(0) if m else word.lower()


def rhymes(a: str, b: str) -> bool:
    """Two different last words rhyme if they share a rhyme key or one of the world's rhyme sets."""
    a, b = a.lower().strip(".,!?;:"), b.lower().strip(".,!?;:")
    if not a or not b or a == b:
        return False
    same_set = a in RHYME_SET_OF and RHYME_SET_OF.get(a) == RHYME_SET_OF.get(b)
    return same_set or rhyme_key(a) == rhyme_key(b)


def sentences(text: str) -> list[str]:
    return [s for s in (p.strip() for p in SENTENCE_END_RE.split(text)) if s]


def _within(n: int, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= n <= bounds[1]


def check(brief: Brief, text: str) -> CheckResult:
    text = text.strip()
    fails = []
    if not text:
        return CheckResult(False, ("empty",))
    if brief.business.lower() not in text.lower():
        fails.append("business not named")
    counts = tone_counts(text)
    own = counts[brief.tone]
    if own == 0:
        fails.append("no tone marker")
    elif any(n > own for name, n in counts.items() if name != brief.tone):
        fails.append("another tone dominates")
    lines = text.splitlines()
    n_words = len(words(text))
    kind = brief.kind
    if kind == "tagline":
        if len(lines) != 1:
            fails.append("tagline is not one line")
        if n_words > TAGLINE_MAX_WORDS:
            fails.append(f"tagline over {TAGLINE_MAX_WORDS} words")
    elif kind == "headline":
        if len(lines) != 1:
            fails.append("headline is not one line")
        if not _within(n_words, HEADLINE_WORDS):
            fails.append(f"headline not {HEADLINE_WORDS[0]}-{HEADLINE_WORDS[1]} words")
        if brief.audience.lower() not in text.lower():
            fails.append("audience not named")
        if text.endswith("."):
            fails.append("headline ends with a full stop")
    elif kind == "blurb":
        if len(lines) != 1:
            fails.append("blurb is not one paragraph")
        if not _within(len(sentences(text)), BLURB_SENTENCES):
            fails.append(f"blurb not {BLURB_SENTENCES[0]}-{BLURB_SENTENCES[1]} sentences")
        if not _within(n_words, BLURB_WORDS):
            fails.append(f"blurb not {BLURB_WORDS[0]}-{BLURB_WORDS[1]} words")
        if not any(p.lower() in text.lower() for p in BUSINESS_TYPES[brief.business_type].products):
            fails.append("no product of the business")
    elif kind == "social":
        tags = HASHTAG_RE.findall(text)
        if len(lines) != 1:
            fails.append("social post is not one line")
        if not _within(len(tags), HASHTAGS):
            fails.append(f"not {HASHTAGS[0]}-{HASHTAGS[1]} hashtags")
        elif not re.search(r"(?:\s#[A-Za-z0-9]+)+$", text):
            fails.append("hashtags not at the end")
        if n_words > SOCIAL_MAX_WORDS:
            fails.append(f"social post over {SOCIAL_MAX_WORDS} words")
    elif kind == "jingle":
        if len(lines) != 2:
            fails.append("jingle is not two lines")
        else:
            if not all(_within(len(words(line)), JINGLE_LINE_WORDS) for line in lines):
                fails.append(f"jingle line not {JINGLE_LINE_WORDS[0]}-{JINGLE_LINE_WORDS[1]} words")
            last = [(words(line) or [""])[-1] for line in lines]
            if not rhymes(*last):
                fails.append("lines do not rhyme")
    return CheckResult(not fails, tuple(fails))


def pass_rate(pairs: Iterable[tuple[Brief, str]]) -> float:
    results = [check(b, t).passed for b, t in pairs]
    return sum(results) / len(results) if results else 0.0
