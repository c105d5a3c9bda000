"""The text quality gate: a text version passes iff its outputs are closer in style to the creator's held-out
writing than its base's, and its brief following is at most 5 points below the base's; memorised outputs are
counted. Scores are stored on the version like the image gate's, with "kind": "text"."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import pytest

import studio
from studio.errors import StudioError
from studio.events import EventKind
from studio.quality import gate, text_gate
from studio.samples import writers
from studio.text import memorisation, world
from studio.text.inference import brief_line

# A few steps of a small run: enough for the formulaic writer below, cheap on one CPU thread.
QUICK = dict(steps=30, lr=5e-3, batch_size=4, rank=8, holdout=0.3, checkpoint_every=0, sample_every=0, threads=1)


def formulaic_copy(brief: world.Brief) -> str:
    """A writer with one formula per kind: the world's copy, always from the same template and word choices.

    Their style (recurring phrases, the same rhythm every time) is far from the base's varied copy, yet written
    in the words the embedded base was trained on, so a few steps learn it without losing the brief. (The
    sample writers' styles use characters and capitals studio-tiny-text saw only in its short restyled
    phase of pretraining; a few steps do not learn those.)"""
    return world.write(brief, random.Random(f"formula:{brief.kind}"))


def text_scores(**over) -> dict:
    s = {"kind": "text", "style_distance_model": 0.3, "style_distance_base": 0.5,
         "brief_following_model": {"n": 24, "pass_rate": 0.9}, "brief_following_base": {"n": 24, "pass_rate": 0.95},
         "memorised_model": 1, "memorised_base": 0, "outputs": 24}
    return {**s, **over}


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """A home where 'ada' (20 formulaic samples) has a trained text version, scored once by the gate."""
    tmp = tmp_path_factory.mktemp("text-gate")
    rows = [json.dumps({"brief": brief_line(b), "copy": formulaic_copy(b)}) for b in world.briefs(20, 7, "gate-test")]
    (tmp / "ada.jsonl").write_text("\n".join(rows) + "\n")
    st = studio.open(tmp / "home")
    try:
        st.add_creator("ada", "Ada Lovelace", level="level2")
        st.add_to_portfolio("ada", [tmp / "ada.jsonl"])
        v = st.train("ada", kind="text", **QUICK)
        events = []
        st.subscribe(events.append)
        scores = st.quality_gate("ada", v.id)
        stored = st.models("ada")[-1]
        yield dict(st=st, version=v, scores=scores, events=events, stored=stored, tmp=tmp)
    finally:
        st.close()


def test_the_rule_needs_closer_style_and_brief_following_within_five_points():
    assert text_gate.passes(text_scores())
    assert gate.passes(text_scores())  # the gate's own passes() follows the text rule for text scores
    assert not gate.passes(text_scores(style_distance_model=0.6))  # farther from the writer than the base
    assert not gate.passes(text_scores(style_distance_model=0.5))  # no closer is not enough
    assert gate.passes(text_scores(brief_following_model={"n": 24, "pass_rate": 0.9},
                                   brief_following_base={"n": 24, "pass_rate": 0.95}))  # exactly 5 points down
    assert not gate.passes(text_scores(brief_following_model={"n": 24, "pass_rate": 0.88}))  # 7 points down
    assert gate.passes(text_scores(brief_following_model={"n": 24, "pass_rate": 1.0}))
    unmeasurable = text_scores(brief_following_model=None, brief_following_base=None)
    assert gate.passes(unmeasurable) and not gate.passes({**unmeasurable, "style_distance_model": 0.7})


def test_compare_measures_style_brief_following_and_memorisation_on_given_texts():
    pairs = writers.held_out_samples("hush", 6, seed=0)
    lines = [brief_line(b) for b, _ in pairs]
    rng = random.Random(1)
    hush = writers.writer("hush")
    ours = [hush.write(b, rng) for b, _ in pairs]  # the same writer on the same briefs, other words
    plain = [world.write(b, rng) for b, _ in pairs]  # the world's own copy
    training = [c for _, c in writers.portfolio("hush", 20, seed=0)]
    s = text_gate.compare(ours, plain, lines, [c for _, c in pairs], lines, training)
    assert s["kind"] == "text" and s["outputs"] == 6 and s["reference_texts"] == 6
    assert s["style_distance_model"] < s["style_distance_base"] and s["passed"]
    assert set(s["style_parts_model"]) == {"surface", "function_words", "char3", "phrases"}
    assert s["brief_following_model"]["n"] == 6 and s["brief_following_base"]["pass_rate"] == 1.0
    swapped = text_gate.compare(plain, ours, lines, [c for _, c in pairs], lines, training)
    assert swapped["style_distance_model"] > swapped["style_distance_base"] and not swapped["passed"]
    # copying the training samples is caught, counted and shown (copy of 8 words or more: shorter cannot be told)
    long = [t for t in training if len(memorisation.words(t)) >= memorisation.SPAN_WORDS][:6]
    assert len(long) == 6
    copied = text_gate.compare(long, plain, lines, [c for _, c in pairs], lines, training)
    assert copied["memorised_model"] == 6 and copied["memorised_spans"]
    assert all(isinstance(x, str) for x in copied["memorised_spans"])
    # the briefs' business names and audiences are masked: naming them is not style
    assert set(text_gate.content_of(lines)) == {x for b, _ in pairs for x in (b.business, b.audience)}
    # free-form briefs: brief following is not measurable, the rule is style alone
    free = text_gate.compare(ours, plain, ["spring sale flyer"] * 6, [c for _, c in pairs], [None] * 6, training)
    assert free["brief_following_model"] is None and free["passed"] == (
        free["style_distance_model"] < free["style_distance_base"] and free["style_difference_upper"] < 0)


def test_a_model_no_closer_than_chance_does_not_pass():
    pairs = writers.held_out_samples("hush", 12, seed=0)
    lines = [brief_line(b) for b, _ in pairs for _ in range(3)]
    jobs = [b for b, _ in pairs for _ in range(3)]
    plain = [world.write(b, random.Random(f"base:{k}")) for k, b in enumerate(jobs)]
    same = [world.write(b, random.Random(f"other:{k}")) for k, b in enumerate(jobs)]  # the base again, other seeds
    reference = [c for _, c in pairs]
    s = text_gate.compare(same, plain, lines, reference, lines[::3], [])
    assert s["style_difference_lower"] < 0 < s["style_difference_upper"]  # the interval spans no difference
    assert not s["passed"] and not text_gate.passes({**s, "style_distance_model": s["style_distance_base"] - 0.001})
    hush = writers.writer("hush")
    ours = [hush.write(b, random.Random(f"ours:{k}")) for k, b in enumerate(jobs)]
    closer = text_gate.compare(ours, plain, lines, reference, lines[::3], [])
    assert closer["style_difference_upper"] < 0 and closer["passed"]
    rows = dict(text_gate.score_rows(closer))
    assert rows["style difference, model - base (95% interval over briefs)"].startswith("-")
    legacy = {k: v for k, v in closer.items() if not k.startswith("style_difference")}
    assert text_gate.passes(legacy)  # scores stored before the interval was measured: judged without it


def test_text_scores_read_as_rows_for_people():
    rows = dict(gate.score_rows(text_scores()))
    assert rows["style distance to the creator's writing (model / base)"] == "0.3 / 0.5"
    assert rows["brief following, model / base (checker, n=24)"] == "90% / 95%"
    assert rows["outputs repeating a training sample (model / base, of 24 each)"] == "1 / 0"
    free = dict(gate.score_rows(text_scores(brief_following_model=None, brief_following_base=None)))
    assert free["brief following"].startswith("not measurable")


def test_a_model_trained_on_a_distinct_writer_passes_and_its_scores_are_stored(scored):
    s, v = scored["scores"], scored["version"]
    assert v.manifest["kind"] == "text"
    assert s["kind"] == "text" and s["prompt_source"] == "held-out briefs"
    held = [i for i in v.manifest["items"] if i["role"] == "holdout"]
    assert s["prompts"] == s["reference_texts"] == len(held) > 0
    assert s["outputs"] == s["prompts"] * s["seeds"] and s["seeds"] == 4
    for who in ("model", "base"):
        assert 0 <= s[f"style_distance_{who}"] <= 1
        assert s[f"brief_following_{who}"]["n"] == s["outputs"]
        assert 0 <= s[f"brief_following_{who}"]["pass_rate"] <= 1
        assert 0 <= s[f"memorised_{who}"] <= s["outputs"]
    assert s["measured_at"]
    # the writer repeats one formula, so the model's copy shares 8-word runs with the training samples: flagged
    assert s["memorised_model"] > s["memorised_base"] and s["memorised_spans"]
    assert len(set(s["memorised_spans"])) == len(s["memorised_spans"]) <= text_gate.SPANS_KEPT
    # trained enough on a writer unlike the base: closer to their writing, and still to the brief
    assert s["style_distance_model"] < s["style_distance_base"]
    assert s["brief_following_model"]["pass_rate"] >= s["brief_following_base"]["pass_rate"] - 0.05
    assert s["passed"] is True and scored["stored"].gate_passed
    assert scored["stored"].scores == s  # stored on the version, as the image gate does
    assert [(e.kind, e.info.get("version")) for e in scored["events"]] == [(EventKind.MODEL_SCORED, v.id)]
    # the same scores with the model farther from the writer than its base fail the rule
    farther = {**s, "style_distance_model": s["style_distance_base"] + 0.01}
    assert not gate.passes(farther)
    worse = {**s, "brief_following_model": {**s["brief_following_model"],
                                            "pass_rate": s["brief_following_base"]["pass_rate"] - 0.06}}
    assert not gate.passes(worse)


def test_without_held_out_samples_the_training_briefs_are_scored_against_the_whole_portfolio(scored):
    v = scored["version"]
    every = replace(v, manifest={**v.manifest, "items": [{**i, "role": "train"} for i in v.manifest["items"]]})
    s = text_gate.score(scored["st"].context.blobs, every, seeds_per_prompt=2, max_prompts=3)
    assert s["prompt_source"].startswith("training briefs")
    assert s["prompts"] == 3 and s["outputs"] == 6 and s["reference_texts"] == len(v.manifest["items"])
    assert s["passed"] == text_gate.passes(s)


def test_a_text_version_whose_samples_are_gone_cannot_be_scored(scored):
    v = scored["version"]
    gone = replace(v, manifest={**v.manifest, "items": [{**i, "sha256": "0" * 64} for i in v.manifest["items"]]})
    with pytest.raises(StudioError, match="no longer in the blob store"):
        text_gate.score(scored["st"].context.blobs, gone)
