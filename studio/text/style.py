"""Style metrics for writing: how close one set of texts is to another in *how* it is written.

    profile = style_profile(texts, content=["Bloom Bakery", "busy parents"])
    style_distance(outputs, held_out)        # StyleDistance(total, parts)

A brief decides *what* a text says (the business, the audience, the products); a writer's
style is *how*: sentence length, punctuation, capitals, emoji, which function words they lean
on, their spelling and letter habits (character 3-grams) and the phrases they come back to.
Pass the brief's content strings as ``content`` and they are replaced by a placeholder first,
so two writers are not judged alike for naming the same bakery.

The distance has four parts, each in [0, 1], averaged with :data:`WEIGHTS`:

- ``surface``: for every per-text feature in :data:`SURFACE`, the standardised mean difference
  (Cohen's d: difference of means over the pooled standard deviation) mapped to [0, 1) by
  d / (1 + d), then averaged; a floor on the deviation keeps constant features from dividing by 0;
- ``function_words``: Jensen-Shannon distance (base 2) between the two sets' function-word
  distributions;
- ``char3``: Jensen-Shannon distance between their character 3-gram distributions, over the
  ``CHAR3_TOP`` most frequent 3-grams of the two sets together (rare ones are noise in small sets);
- ``phrases``: each set's recurring phrases (word 2- and 3-grams used in at least
  ``PHRASE_MIN_TEXTS`` of its texts, function-word-only phrases left out); 1 minus the share of
  them that the other set uses at all, averaged both ways; 0 when neither has any.

0 means the same style by every measure; texts of the same writer sit well below texts of
different writers (``tests/unit/test_text_style.py``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

FUNCTION_WORDS: tuple[str, ...] = (
    "a", "an", "the", "and", "but", "or", "so", "for", "nor", "yet", "of", "in", "on", "at", "to", "from", "with",
    "by", "about", "into", "over", "after", "before", "under", "is", "are", "was", "were", "be", "been", "it", "its",
    "this", "that", "these", "those", "you", "your", "we", "our", "us", "they", "their", "i", "my", "me", "all",
    "every", "just", "not", "no", "very", "more", "most", "here", "there", "what", "who", "how", "when", "why",
)
SURFACE: tuple[str, ...] = (
    "words_per_sentence", "words_per_text", "chars_per_word", "exclamations", "questions", "commas", "colons",
    "dashes", "ellipses", "capitalised_words", "all_caps_words", "emoji", "hashtags", "line_breaks",
)
WEIGHTS = {"surface": 0.4, "function_words": 0.2, "char3": 0.2, "phrases": 0.2}
PHRASE_MIN_TEXTS = 2
PLACEHOLDER = "X"
CHAR3_TOP = 300
SD_FLOOR = 0.05  # per-feature floor on the pooled standard deviation (features are rates or small counts)

WORD_RE = re.compile(r"[A-Za-z][A-Za-z']*")
SENTENCE_RE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)")


@dataclass(frozen=True)
class StyleDistance:
    total: float
    parts: dict[str, float]


def is_emoji(ch: str) -> bool:
    return unicodedata.category(ch) == "So" or 0x1F000 <= ord(ch) <= 0x1FAFF


def mask_content(text: str, content: Iterable[str] = ()) -> str:
    """Replace each content string (case-insensitive, longest first) with :data:`PLACEHOLDER`."""
    for c in sorted({c for c in content if c and c.strip()}, key=len, reverse=True):
        text = re.sub(re.escape(c), PLACEHOLDER, text, flags=re.IGNORECASE)
    return text


def surface_features(text: str) -> dict[str, float]:
    """Per-text features: rates per word (punctuation, capitals, emoji) and lengths."""
    ws = WORD_RE.findall(text)
    n = max(1, len(ws))
    sents = [s for s in SENTENCE_RE.findall(text) if WORD_RE.search(s)]
    return dict(
        words_per_sentence=len(ws) / max(1, len(sents)) / 10,  # in tens of words, like the other features' scale
        words_per_text=len(ws) / 50,
        chars_per_word=sum(map(len, ws)) / n / 5,
        exclamations=text.count("!") / n,
        questions=text.count("?") / n,
        commas=text.count(",") / n,
        colons=(text.count(":") + text.count(";")) / n,
        dashes=(text.count(" - ") + text.count("—") + text.count("–")) / n,
        ellipses=(text.count("...") + text.count("…")) / n,
        capitalised_words=sum(w[0].isupper() for w in ws) / n,
        all_caps_words=sum(len(w) > 1 and w.isupper() for w in ws) / n,
        emoji=sum(map(is_emoji, text)) / n,
        hashtags=text.count("#") / n,
        line_breaks=text.strip().count("\n") / n,
    )


def function_word_counts(texts: Sequence[str]) -> Counter:
    fw = set(FUNCTION_WORDS)
    return Counter(w for t in texts for w in (x.lower() for x in WORD_RE.findall(t)) if w in fw)


def char3_counts(texts: Sequence[str]) -> Counter:
    out: Counter = Counter()
    for t in texts:
        s = " ".join(t.lower().split())
        out.update(s[i:i + 3] for i in range(len(s) - 2))
    return out


def phrase_grams(text: str) -> set[str]:
    """The word 2- and 3-grams of a text, without function-word-only ones or the content placeholder."""
    fw, ws = set(FUNCTION_WORDS), [w.lower() for w in WORD_RE.findall(text)]
    grams = {" ".join(ws[i:i + k]) for k in (2, 3) for i in range(len(ws) - k + 1)}
    return {g for g in grams if PLACEHOLDER.lower() not in g.split() and not set(g.split()) <= fw}


def recurring_phrases(texts: Sequence[str], min_texts: int = PHRASE_MIN_TEXTS) -> set[str]:
    """The writer's recurring phrases: word 2- and 3-grams found in at least ``min_texts`` texts."""
    seen = Counter(g for t in texts for g in phrase_grams(t))
    return {g for g, c in seen.items() if c >= min_texts}


def style_profile(texts: Sequence[str], content: Iterable[str] = ()) -> dict:
    """Everything the distance compares, for a set of texts (content masked first)."""
    content = list(content)
    texts = [mask_content(t, content) for t in texts]
    return dict(surface=[surface_features(t) for t in texts], function_words=function_word_counts(texts),
                char3=char3_counts(texts), phrases=recurring_phrases(texts),
                grams=set().union(*(phrase_grams(t) for t in texts)))


def js_distance(p: Counter, q: Counter) -> float:
    """Jensen-Shannon distance (base 2, in [0, 1]) between two count tables."""
    sp, sq = sum(p.values()), sum(q.values())
    if not sp or not sq:
        return 0.0 if sp == sq else 1.0
    div = 0.0
    for k in set(p) | set(q):
        a, b = p.get(k, 0) / sp, q.get(k, 0) / sq
        m = (a + b) / 2
        div += (a * math.log2(a / m) if a else 0.0) + (b * math.log2(b / m) if b else 0.0)
    return math.sqrt(max(0.0, div / 2))


def surface_distance(a: list[dict], b: list[dict]) -> float:
    def stats(rows, f):
        xs = [r[f] for r in rows]
        mu = sum(xs) / len(xs)
        return mu, sum((x - mu) ** 2 for x in xs) / max(1, len(xs) - 1)

    ds = []
    for f in SURFACE:
        (ma, va), (mb, vb) = stats(a, f), stats(b, f)
        d = abs(ma - mb) / max(SD_FLOOR, math.sqrt((va + vb) / 2))
        ds.append(d / (1 + d))
    return sum(ds) / len(ds)


def phrase_distance(pa: dict, pb: dict) -> float:
    missing = [1 - len(own & other) / len(own) for own, other in ((pa["phrases"], pb["grams"]), (pb["phrases"], pa["grams"]))
               if own]
    return sum(missing) / len(missing) if missing else 0.0


def top(counts: Counter, keys: set) -> Counter:
    return Counter({k: counts[k] for k in keys if k in counts})


def profile_distance(pa: dict, pb: dict) -> StyleDistance:
    common = {k for k, _ in (pa["char3"] + pb["char3"]).most_common(CHAR3_TOP)}
    parts = dict(surface=surface_distance(pa["surface"], pb["surface"]),
                 function_words=js_distance(pa["function_words"], pb["function_words"]),
                 char3=js_distance(top(pa["char3"], common), top(pb["char3"], common)),
                 phrases=phrase_distance(pa, pb))
    parts = {k: round(v, 4) for k, v in parts.items()}
    return StyleDistance(round(sum(WEIGHTS[k] * v for k, v in parts.items()), 4), parts)


def style_distance(a: Sequence[str], b: Sequence[str], content_a: Iterable[str] = (),
                   content_b: Iterable[str] = ()) -> StyleDistance:
    """The style distance between two sets of texts (see the module docstring)."""
    if not a or not b:
        raise ValueError("style distance needs at least one text on each side")
    return profile_distance(style_profile(a, content_a), style_profile(b, content_b))
