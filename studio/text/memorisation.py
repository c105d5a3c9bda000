"""The memorisation guard: does an output repeat a training sample word for word?

    guard = MemorisationGuard(training_texts)
    guard.spans(output)     # [Span(text, sample), ...]; empty when nothing was copied
    guard.flags(output)     # True: never offer this output

Words are compared lowercased, without punctuation, so copying with different commas or
capitals still counts. Every ``SPAN_WORDS``-word window of every training sample is kept in a
set (a dict to the first sample holding it), so a check costs one lookup per word of the output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

SPAN_WORDS = 8  # an output sharing this many consecutive words with a training sample is flagged
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
        for i, text in enumerate(samples):
            ws = words(text)
            for j in range(len(ws) - n + 1):
                self.windows.setdefault(tuple(ws[j:j + n]), i)

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
        return found

    def flags(self, output: str) -> bool:
        ws = words(output)
        return any(tuple(ws[j:j + self.n]) in self.windows for j in range(len(ws) - self.n + 1))
