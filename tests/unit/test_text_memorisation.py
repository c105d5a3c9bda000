"""The memorisation guard flags outputs that repeat a training sample's long spans word for word."""

from __future__ import annotations

import time

import pytest

from studio.text.memorisation import SPAN_WORDS, MemorisationGuard

SAMPLES = [
    "Our sourdough is proofed for two whole days before it meets the oven, and you can taste it.",
    "Fresh flowers every Friday, wrapped in brown paper and tied with string.",
]


def test_a_long_shared_span_is_flagged_and_reported():
    guard = MemorisationGuard(SAMPLES)
    out = "Honestly? Our SOURDOUGH is proofed for two whole days before it meets the oven; try it."
    assert guard.flags(out)
    spans = guard.spans(out)
    assert len(spans) == 1 and spans[0].sample == 0
    assert spans[0].text == "our sourdough is proofed for two whole days before it meets the oven"


def test_short_overlaps_and_new_text_pass():
    guard = MemorisationGuard(SAMPLES)
    seven = " ".join("fresh flowers every friday wrapped in brown".split()[:SPAN_WORDS - 1])
    assert not guard.flags(f"{seven} boxes, delivered.")
    assert guard.flags("fresh flowers every friday wrapped in brown paper")  # exactly SPAN_WORDS words
    assert not guard.flags("A loaf that takes its time.") and guard.spans("") == []
    with pytest.raises(ValueError):
        MemorisationGuard(SAMPLES, n=1)


def test_two_separate_spans_are_reported_apart():
    guard = MemorisationGuard(SAMPLES, n=4)
    out = "fresh flowers every friday and also proofed for two whole days"
    assert [s.sample for s in guard.spans(out)] == [1, 0]


def test_it_is_fast_on_many_samples():
    samples = [f"sample {i} says the quick brown fox number {i} jumps over lazy dog {i % 7}" for i in range(20000)]
    guard = MemorisationGuard(samples)
    t = time.perf_counter()
    for i in range(200):
        guard.flags(f"a buyer's output number {i} where nothing matches the training text at all, really")
    assert time.perf_counter() - t < 0.5
    assert guard.flags("sample 123 says the quick brown fox number 123 jumps")


def test_a_short_sample_copied_whole_is_flagged_but_a_few_shared_words_are_not():
    from studio.text.memorisation import MemorisationGuard

    guard = MemorisationGuard(["Bloom Bakery: warm bread, kind hearts.", "Simple."])
    assert guard.flags("bloom bakery — Warm bread, kind hearts!")  # the whole six-word tagline, other punctuation
    assert guard.spans("Try it: Bloom Bakery: warm bread, kind hearts.")[0].text == "bloom bakery warm bread kind hearts"
    assert not guard.flags("Bloom Bakery: warm bread for everyone.")  # a part of it is not a copy
    assert not guard.flags("Simple. Honest. Good.")  # under four words, a sample is too short to count as copied
