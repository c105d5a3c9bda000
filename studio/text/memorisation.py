"""The memorisation guard: does an output repeat a training sample word for word?

    guard = MemorisationGuard(training_texts)
    guard.spans(output)     # [Span(text, sample), ...]; empty when nothing was copied
    guard.flags(output)     # True: never offer this output

Words are compared lowercased, without punctuation, so copying with different commas or
capitals still counts. A sample shorter than the span (a four-word tagline) counts when the output
holds all of it word for word. Every ``SPAN_WORDS``-word window of every training sample is kept in a
set (a dict to the first sample holding it), so a check costs one lookup per word of the output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

SPAN_WORDS = 8  # an output sharing this many consecutive words with a training sample is flagged
WHOLE_MIN_WORDS = 4  # a sample shorter than SPAN_WORDS (a tagline) is flagged when copied whole, from this length
WORD_RE = re.compile(r"[\w']+")


def words(text: str) -> list[str]:
    return WORD_RE.findall(text.lower())


@dataclass(frozen=True)
class Span:
    text: str  # the shared words, as they appear normalised (lowercase, single spaces)
    sample: int  # index of the first training sample that holds them


class MemorisationGuard:
    def __init__(self, samples: Iterable[str], n: int = SPAN_WORDS):
        if n < 2:
            raise ValueError("a memorised span is at least 2 words")
        self.n = n
        self.windows: dict[tuple[str, ...], int] = {}
        self.whole: dict[int, dict[tuple[str, ...], int]] = {}  # short samples by their length in words
        for i, text in enumerate(samples):
            ws = words(text)
            for j in range(len(ws) - n + 1):
                self.windows.setdefault(tuple(ws[j:j + n]), i)
            if WHOLE_MIN_WORDS <= len(ws) < n:
                self.whole.setdefault(len(ws), {}).setdefault(tuple(ws), i)

    def _whole_copies(self, ws: list[str]) -> list[Span]:
        return [Span(" ".join(ws[j:j + k]), table[tuple(ws[j:j + k])]) for k, table in self.whole.items()
                for j in range(len(ws) - k + 1) if tuple(ws[j:j + k]) in table]

    def spans(self, output: str) -> list[Span]:
        """The longest shared runs: overlapping matching windows are merged into one span."""
        ws = words(output)
        found, start, end, sample = [], None, -1, -1
        for j in range(len(ws) - self.n + 1):
            hit = self.windows.get(tuple(ws[j:j + self.n]))
            if hit is not None and start is not None and j <= end:
                end = j + self.n
            elif hit is not None:
                if start is not None:
                    found.append(Span(" ".join(ws[start:end]), sample))
                start, end, sample = j, j + self.n, hit
        if start is not None:
            found.append(Span(" ".join(ws[start:end]), sample))
        return found + [w for w in self._whole_copies(ws) if not any(w.text in f.text for f in found)]

    def flags(self, output: str) -> bool:
        ws = words(output)
        return (any(tuple(ws[j:j + self.n]) in self.windows for j in range(len(ws) - self.n + 1))
                or bool(self._whole_copies(ws)))
