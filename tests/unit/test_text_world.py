"""The copywriting world and its checker: deterministic briefs and copy, rules that the world's
own copy passes and copy for another brief fails. Pure Python, runs in about a second."""

from __future__ import annotations

import random
import re

import pytest

from studio.text import checker, lexicon, world
from studio.text.world import Brief


def test_samples_are_deterministic_and_varied():
    assert world.sample(7) == world.sample(7)
    assert world.sample(7) != world.sample(8)
    assert world.briefs(20, seed=3) == world.briefs(20, seed=3)
    assert world.briefs(20, seed=3) != world.briefs(20, seed=4)
    pairs = [world.sample(i) for i in range(2000)]
    assert {b.kind for b, _ in pairs} == set(world.KINDS)
    assert {b.tone for b, _ in pairs} == set(lexicon.TONES)
    assert len({t for _, t in pairs}) == len(pairs)  # no two copies alike
    brief = world.briefs(1, seed=0)[0]
    copies = {world.write(brief, random.Random(i)) for i in range(50)}
    assert len(copies) > 25  # one brief, many ways to write it


def test_prompt_format_round_trips():
    brief = Brief("tagline", "Bloom Bakery", "bakery", "busy parents", "playful")
    text = world.prompt(brief)
    assert text == "brief: tagline | business: Bloom Bakery (bakery) | audience: busy parents | tone: playful\ncopy:"
    assert world.parse_prompt(text) == brief
    for b in world.briefs(200, seed=1):
        assert world.parse_prompt(world.prompt(b)) == b
    with pytest.raises(ValueError):
        Brief("sonnet", "Bloom Bakery", "bakery", "busy parents", "playful")
    with pytest.raises(ValueError):
        world.parse_prompt("write me a poem")


def test_tone_markers_belong_to_their_tone_only():
    """A marker is evidence of its tone: no other tone, business, product, audience or rhyme uses it."""
    owner = {}
    for name, tone in lexicon.TONES.items():
        assert set(tone.adjectives) <= set(tone.markers)
        for phrase in tone.openers + tone.closers:
            found = checker.tone_counts(phrase)
            assert found[name] >= 1 and all(n == 0 for t, n in found.items() if t != name), phrase
        for m in tone.markers:
            assert owner.setdefault(m, name) == name, m
    neutral = [*lexicon.AUDIENCES, *lexicon.NAME_WORDS, *lexicon.OWNER_NAMES, *lexicon.SHARED_HASHTAGS,
               *(p for t in lexicon.BUSINESS_TYPES.values() for p in t.products + t.suffixes),
               *(e.replace("{adj}", "") for ends in lexicon.RHYME_SETS.values() for e in ends)]
    assert not [w for text in neutral for w in checker.words(text) if w in owner]


def test_rhymes():
    assert checker.rhymes("day", "way") and checker.rhymes("bright", "night.")
    assert checker.rhymes("treat", "complete")  # by the world's rhyme set, not the spelling
    assert not checker.rhymes("day", "day") and not checker.rhymes("day", "treat")
    for key, ends in lexicon.RHYME_SETS.items():
        last = [e.split()[-1] for e in ends]
        assert len(set(last)) == len(last), key
        assert all(checker.rhymes(a, b) for a in last for b in last if a != b), key


def test_the_world_passes_its_own_checker_and_mismatched_copy_fails():
    pairs = [world.sample(i, namespace="checker-test") for i in range(3000)]
    assert checker.pass_rate(pairs) == 1.0
    shifted = [(b, pairs[(i + 1) % len(pairs)][1]) for i, (b, _) in enumerate(pairs)]
    assert checker.pass_rate(shifted) < 0.02
    # the same copy judged under another tone fails on its markers
    other_tone = [(Brief(b.kind, b.business, b.business_type, b.audience, sorted(lexicon.TONES)[
        (sorted(lexicon.TONES).index(b.tone) + 1) % len(lexicon.TONES)]), t) for b, t in pairs[:500]]
    assert checker.pass_rate(other_tone) < 0.02


def test_each_rule_names_its_failure():
    def fails(kind, text, tone="playful", audience="busy parents"):
        return checker.check(Brief(kind, "Bloom Bakery", "bakery", audience, tone), text).failures

    assert fails("tagline", "Bloom Bakery: fun croissants!") == ()
    assert "business not named" in fails("tagline", "Fun croissants!")
    assert "no tone marker" in fails("tagline", "Bloom Bakery: croissants.")
    assert "another tone dominates" in fails("tagline", "Bloom Bakery: fun, calm, gentle croissants.")
    assert any("over" in f for f in fails("tagline", "Bloom Bakery: " + "fun " * 12))
    assert "audience not named" in fails("headline", "Fun croissants for everyone at Bloom Bakery")
    assert "headline ends with a full stop" in fails("headline", "Fun croissants for busy parents at Bloom Bakery.")
    assert any("sentences" in f for f in fails("blurb", "Bloom Bakery makes fun croissants and rye bread for you all"))
    assert "no product of the business" in fails("blurb", "Bloom Bakery is fun. We sell many things for busy people here!")
    assert any("hashtags" in f for f in fails("social", "Yay! Bloom Bakery has fun croissants"))
    assert "hashtags not at the end" in fails("social", "Yay! #Bakery Bloom Bakery has fun croissants")
    assert fails("jingle", "At Bloom Bakery, fun croissants to brighten up your day,\nCheerful rye bread in every single way!") == ()
    assert "lines do not rhyme" in fails("jingle", "At Bloom Bakery, fun croissants to brighten up your day,\nCheerful rye bread for you!")
    assert "jingle is not two lines" in fails("jingle", "Bloom Bakery, fun all day!")
    assert checker.check(Brief("tagline", "Bloom Bakery", "bakery", "teens", "playful"), "  ").failures == ("empty",)


def test_world_copy_fits_the_declared_forms():
    for i in range(500):
        b, copy = world.sample(i, namespace="forms")
        assert "|" not in copy and not copy.startswith(" ")
        if b.kind == "social":
            assert 1 <= len(re.findall(r"#\w+", copy)) <= 3
        if b.kind == "jingle":
            assert copy.count("\n") == 1


def test_the_name_slot_round_trips():
    for i in range(300):
        b, copy = world.sample(i, namespace="slot")
        written = world.delexicalise(b, copy)
        assert b.business not in written and world.relexicalise(b, written) == copy
        assert world.document(b, copy).endswith(written)

