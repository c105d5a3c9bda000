"""Sample copywriters: deterministic, each following its briefs, each in a style of its own."""

from __future__ import annotations

import json
import random

import pytest

from studio.samples import writers
from studio.text import checker, style, world
from studio.text.lexicon import TONES
from studio.text.memorisation import MemorisationGuard


def _texts(pairs):
    """The copy, and the content to mask before comparing styles (the business and the audience)."""
    return [t for _, t in pairs], [c for b, _ in pairs for c in (b.business, b.audience)]


def _world_default(n, seed):
    rng = random.Random(f"world-default:{seed}")
    return [(b, world.write(b, rng)) for b in world.briefs(n, seed, namespace="writers-test")]


def test_the_split_is_disjoint_and_holds_out_at_least_three_writers():
    assert len(writers.WRITERS) >= 7
    assert not set(writers.TUNING) & set(writers.HELD_OUT)
    assert set(writers.TUNING) | set(writers.HELD_OUT) <= set(writers.WRITERS)
    assert len(writers.HELD_OUT) >= 3 and 3 <= len(writers.TUNING) <= 4
    with pytest.raises(ValueError, match="unknown writer"):
        writers.portfolio("nobody")


@pytest.mark.parametrize("name", list(writers.WRITERS))
def test_each_writer_is_deterministic_and_follows_its_briefs(name):
    a = writers.portfolio(name, 60, seed=3)
    assert a == writers.portfolio(name, 60, seed=3)
    assert [t for _, t in a] != [t for _, t in writers.portfolio(name, 60, seed=4)]
    assert {b.kind for b, _ in a} == set(world.KINDS)
    assert checker.pass_rate(a) >= 0.95
    assert all(world.NAME_SLOT in world.delexicalise(b, t) for b, t in a)  # the name as the brief spells it
    held = writers.held_out_samples(name, 60, seed=3)
    assert checker.pass_rate(held) >= 0.95
    assert not {b for b, _ in a} & {b for b, _ in held}  # held-out briefs are not the portfolio's
    # the writer's new copy is their own, not a copy of their portfolio: templates vary within eight words
    guard = MemorisationGuard([world.delexicalise(b, t) for b, t in a])
    assert sum(guard.flags(world.delexicalise(b, t)) for b, t in held) <= 0.1 * len(held)
    w = writers.WRITERS[name]
    assert w.summary and w.habits and w.phrases
    markers = {m for tone in TONES.values() for m in tone.markers}
    assert not {x for p in w.phrases for x in checker.words(p)} & markers  # a catch-phrase never shows a tone


def test_writers_differ_from_each_other_and_from_the_worlds_own_copy():
    sets = {n: (_texts(writers.portfolio(n, 40, 0)), _texts(writers.portfolio(n, 40, 1))) for n in writers.WRITERS}
    sets["world"] = (_texts(_world_default(40, 0)), _texts(_world_default(40, 1)))

    def dist(a, b):
        return style.style_distance(a[0], b[0], a[1], b[1]).total

    within = {n: dist(*pair) for n, pair in sets.items()}
    between = {(a, b): dist(sets[a][0], sets[b][0]) for a in sets for b in sets if a < b}
    assert max(within.values()) < min(between.values()), (within, min(between.items(), key=lambda kv: kv[1]))
    # every writer is far from the base's default copy: well beyond any writer's own spread
    for n in writers.WRITERS:
        far = between[tuple(sorted((n, "world")))]
        assert far > 1.4 * within[n] and far > 0.4, (n, far, within[n])


def test_briefs_as_lines_and_the_files_round_trip(tmp_path):
    pairs = writers.portfolio("emoji", 12, seed=2)
    for b, _ in pairs:
        line = writers.brief_line(b)
        assert "\n" not in line and line == world.prompt(b).split("\n")[0]
        assert writers.parse_brief_line(line) == b
    with pytest.raises(ValueError):
        writers.parse_brief_line("not a brief")

    path = writers.write_jsonl(pairs, tmp_path / "emoji.jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [set(r) for r in rows] == [{"brief", "copy"}] * len(pairs)
    assert writers.read_jsonl(path) == pairs

    files = writers.write_folder(pairs, tmp_path / "folder", prefix="kiki")
    assert [p.name for p in files] == [f"kiki-{i:03d}.txt" for i in range(len(pairs))]
    meta = [json.loads(line) for line in (tmp_path / "folder" / "metadata.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [m["file_name"] for m in meta] == [p.name for p in files]
    assert writers.read_folder(tmp_path / "folder") == pairs


def test_the_sample_copywriter_has_a_portfolio_folder(tmp_path):
    c = writers.SAMPLE_COPYWRITER
    assert c.writer in writers.WRITERS
    paths = writers.write_sample_portfolio(tmp_path / c.handle, seed=0, n=6)
    assert len(paths) == 6 and all(p.name.startswith(c.handle) for p in paths)
    assert writers.read_folder(tmp_path / c.handle) == writers.portfolio(c.writer, 6, 0)
