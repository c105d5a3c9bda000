"""Generic surface styles for pretraining the text base: restyled copy still follows its brief, keeps the
business's name exact, and only ever follows a prompt with a ``style:`` hint."""

from __future__ import annotations

import random

from studio.text import checker, surface, world
from studio.text.lexicon import TONES


def test_restyled_copy_follows_its_brief_and_keeps_the_name():
    styled = 0
    for i in range(400):
        prompt, brief, copy = surface.sample(i, namespace="test-surface")
        assert checker.check(brief, copy).passed, copy
        assert brief.business in copy  # exact spelling: delexicalise turns it into the name slot
        if surface.STYLE_MARK in prompt:
            styled += 1
            assert prompt.startswith(world.prompt(brief).split("\n")[0] + "\n" + surface.STYLE_MARK)
            assert prompt.endswith("\n" + world.COPY_MARK)
        else:  # the plain prompt is always followed by the world's own copy
            assert (prompt, copy) == (world.prompt(brief), world.sample(i, namespace="test-surface")[1])
    assert 120 < styled < 280  # about half, at the default share


def test_styles_combine_and_vary():
    rng = random.Random(0)
    seen = set()
    for i in range(300):
        brief, copy = world.sample(i, namespace="test-surface-mix")
        text, names = surface.restyle(brief, copy, rng)
        seen.update(names)
    # every dimension shows up across a few hundred copies
    for d, opts in surface.DIMENSIONS.items():
        assert any(o in seen for o in opts) or d in seen, d


def test_pools_hold_no_tone_marker():
    markers = {m for t in TONES.values() for m in t.markers}
    for phrase in surface.OPENERS + surface.CLOSERS:
        assert not set(checker.words(phrase)) & markers, phrase
    assert len(surface.OPENERS) > 30 and len(surface.CLOSERS) > 30 and len(surface.EMOJI) > 60


def test_sampling_is_deterministic_and_share_zero_is_the_world():
    assert surface.sample(5, "x") == surface.sample(5, "x")
    for i in range(50):
        prompt, brief, copy = surface.sample(i, "x", share=0.0)
        assert (prompt, (brief, copy)) == (world.prompt(brief), world.sample(i, "x"))
