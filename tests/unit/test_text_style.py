"""Style metrics for text: the same writer is closer to themself than to another writer,
whatever the texts are about."""

from __future__ import annotations

import random

import pytest

from studio.text import style, world


def punchy(brief, rng):
    """A writer of short exclamations, emoji and a catch-phrase."""
    product = rng.choice(["croissants", "bouquets", "haircuts", "bikes", "candles"])
    return rng.choice([
        f"{brief.business}! {product.upper()} that slap. No fuss, just good stuff 🔥",
        f"New {product} at {brief.business}! Go go go! No fuss, just joy ✨",
        f"{brief.business}. {product.capitalize()}. Done! 🙌",
    ])


def measured(brief, rng):
    """A writer of long sentences with commas, semicolons and a habit of 'in our experience'."""
    product = rng.choice(["croissants", "bouquets", "haircuts", "bikes", "candles"])
    return rng.choice([
        f"In our experience, the {product} at {brief.business} are worth the short walk; {brief.audience}, in "
        f"particular, tend to come back for them, which is, we think, the best compliment of all.",
        f"At {brief.business} we take our time with the {product}, and, in our experience, that patience "
        f"shows; it is the quiet difference that {brief.audience} notice first.",
    ])


def writer_texts(write, seed, n=40):
    rng = random.Random(seed)
    briefs = world.briefs(n, seed, namespace="style-test")
    return [write(b, rng) for b in briefs], [[b.business, b.audience] for b in briefs]


def test_same_writer_is_closer_than_another_writer():
    a1, _ = writer_texts(punchy, 1)
    a2, _ = writer_texts(punchy, 2)
    b1, _ = writer_texts(measured, 3)
    same, other = style.style_distance(a1, a2), style.style_distance(a1, b1)
    assert same.total < 0.5 * other.total
    assert all(same.parts[k] <= other.parts[k] for k in style.WEIGHTS)
    assert other.parts["phrases"] > 0.9  # neither writer uses the other's catch-phrases
    assert 0 <= same.total <= 1 and 0 <= other.total <= 1


def test_identical_sets_are_at_distance_zero():
    a, _ = writer_texts(measured, 5)
    assert style.style_distance(a, a).total == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError):
        style.style_distance([], a)


def test_content_is_masked_before_comparing():
    text = "Bloom Bakery has croissants for busy parents at Bloom Bakery."
    assert style.mask_content(text, ["bloom bakery", "busy parents"]) == "X has croissants for X at X."
    names = [f"{w} Bakery" for w in ("Maple", "Harbor", "Copper", "Juniper", "Nova", "Willow")]
    a = [f"Visit {n} today, friends!" for n in names[:3]]
    b = [f"Visit {n} today, friends!" for n in names[3:]]
    unmasked = style.style_distance(a, b)
    masked = style.style_distance(a, b, names[:3], names[3:])
    assert masked.total < unmasked.total and masked.parts["char3"] == 0.0


def test_surface_features_read_the_writing():
    f = style.surface_features("WOW. Fresh bread! Is it good? Yes 🎉 #Bread")
    assert f["exclamations"] > 0 and f["questions"] > 0 and f["emoji"] > 0 and f["hashtags"] > 0
    assert f["all_caps_words"] > 0 and f["capitalised_words"] > 0.5
    assert style.surface_features("one line\nand another")["line_breaks"] > 0
    assert set(f) == set(style.SURFACE)
