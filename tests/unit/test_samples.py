"""Sample creators: deterministic, distinct in style, and safe to seed twice."""

from __future__ import annotations

import numpy as np
from PIL import Image

from studio import samples


def test_seeding_is_deterministic_and_idempotent(st, tmp_path):
    first = samples.seed(st, seed=3, images=4, writing=6)
    # three image creators, then the sample copywriter with her writing samples
    assert [(c["handle"], c["kind"], c["added"]) for c in first["creators"]] == [
        ("mira", "image", 4), ("oskar", "image", 4), ("juno", "image", 4), ("tess", "text", 6)]
    again = samples.seed(st, seed=3, images=4, writing=6)
    assert [c["added"] for c in again["creators"]] == [0, 0, 0, 0]
    a = samples.write_portfolio(tmp_path / "a", samples.SAMPLE_CREATORS[0], seed=3, images=2)
    b = samples.write_portfolio(tmp_path / "b", samples.SAMPLE_CREATORS[0], seed=3, images=2)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    # Every creator is vetted, and one item each is a commission with the client's consent.
    assert all(c.vetted for c in st.creators())
    assert sum(v.consent.startswith("client:") for v in st.portfolio("mira")) == 1
    # ... and on one active creation plan (seeding again adds none), so they may publish.
    assert [[p.plan for p in st.plans(c.handle) if p.active] for c in st.creators()] == [["creation"]] * 4
    assert st.verify_ledger().ok


def test_the_sample_copywriter_is_seeded_with_her_writing_samples_and_nothing_trained(st):
    from studio.samples.writers import SAMPLE_COPYWRITER, brief_line, portfolio

    samples.seed(st, seed=3, images=2, writing=5)
    tess = st.creator(SAMPLE_COPYWRITER.handle)
    assert tess.vetted and tess.name == SAMPLE_COPYWRITER.name
    items = st.portfolio("tess")
    assert {(v.kind, v.consent, v.active) for v in items} == {("text", "own", True)}
    # the briefs are the captions, and the copy is hers, sample for sample
    pairs = portfolio(SAMPLE_COPYWRITER.writer, 5, seed=3)
    assert sorted(v.caption for v in items) == sorted(brief_line(b) for b, _ in pairs)
    assert sorted(st.blobs.get(v.sha256).decode() for v in items) == sorted(c for _, c in pairs)
    assert st.models("tess") == []  # seeding never trains
    assert all(v.kind == "image" for c in samples.SAMPLE_CREATORS for v in st.portfolio(c.handle))


def _stats(paths):
    arr = np.stack([np.asarray(Image.open(p).convert("RGB"), dtype=np.float32) for p in paths])
    saturation = (arr.max(-1) - arr.min(-1)).mean()
    grain = np.abs(np.diff(arr, axis=2)).mean()
    edges_dark = (arr.max(-1) < 50).mean()
    return saturation, grain, edges_dark


def test_the_three_styles_are_clearly_different(tmp_path):
    stats = {c.handle: _stats(samples.write_portfolio(tmp_path / c.handle, c, images=8)) for c in samples.SAMPLE_CREATORS}
    assert stats["mira"][0] < stats["oskar"][0] and stats["mira"][0] < stats["juno"][0]  # pastel: least saturated
    assert stats["juno"][1] > 2 * stats["mira"][1]  # textured: grainy
    assert stats["oskar"][2] > stats["mira"][2]  # ink: dark outlines



def test_the_demo_model_is_trained_once_gated_and_published_never_waved_through(st, random_base):
    import pytest

    from studio.errors import StudioError
    from studio.store.tables import ModelVersion
    from tests.unit.training_setup import FAST

    samples.seed(st, seed=3, images=4)
    with pytest.raises(StudioError, match="did not pass the quality gate"):  # a random base learns no style
        samples.ensure_published_model(st, "mira", base=str(random_base), **FAST)
    (v,) = st.models("mira")
    assert v.status != "published" and v.scores is not None  # trained and gated, not published
    with st.transaction() as s:  # as if the gate had passed
        s.get(ModelVersion, v.id).scores = {"passed": True, "style_distance_model": 0.1, "style_distance_base": 0.2}
    st.publish("mira", v.id, price_cents=250)
    again = samples.ensure_published_model(st, "mira", base=str(random_base), **FAST)
    assert again == {"handle": "mira", "version": 1, "trained": False, "price_cents": 250}
    assert len(st.models("mira")) == 1  # nothing trained a second time
    with pytest.raises(StudioError, match="not a sample creator"):
        samples.ensure_published_model(st, "ada")
