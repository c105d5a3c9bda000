"""The quality gate, publishing, prices and disabling: each change with its ledger event."""

from __future__ import annotations

import pytest

from studio.quality import gate, metrics
from studio.errors import StudioError

pytestmark = pytest.mark.filterwarnings("ignore")


def _fake_gate(monkeypatch, model: float, base: float):
    monkeypatch.setattr(gate, "compare_styles", lambda b, m, r, p=None: {
        "style_distance_base": base, "style_distance_model": model,
        "palette_distance_base": base, "palette_distance_model": model})


def test_the_gate_scores_model_and_base_outputs_against_the_portfolio_and_stores_them(trained):
    scores = trained.quality_gate("ada")
    assert scores["style_distance_model"] >= 0 and scores["style_distance_base"] >= 0
    assert scores["passed"] == ((scores["style_difference_upper"] < 0 or scores["palette_difference_upper"] < 0)
                                and scores["style_difference_lower"] <= 0 and scores["palette_difference_lower"] <= 0)
    assert scores["palette_difference_lower"] <= scores["palette_difference_upper"]
    # one of the six items was held out: its caption prompts both models, its image is the reference
    assert scores["prompt_source"] == "held-out captions" and scores["prompts"] == 1 and scores["images"] == 4
    assert scores["reference_images"] == 1
    assert trained.models("ada")[0].scores == scores


def test_style_distance_prefers_images_in_the_portfolio_style(portfolio_dir):
    from PIL import Image

    from studio import samples
    from studio.models import world

    mira = [Image.open(p) for p in sorted(portfolio_dir.glob("*.png"))]
    same_style = [world.render(500 + i, world.STYLES["flat-pastel"])[0] for i in range(6)]
    other_style = [world.render(500 + i, world.STYLES["textured"])[0] for i in range(6)]
    d = metrics.compare_styles(other_style, same_style, mira)
    assert d["style_distance_model"] < d["style_distance_base"]
    assert samples.SAMPLE_CREATORS[0].style == "flat-pastel"


def test_publishing_is_refused_until_the_model_beats_the_base(trained, monkeypatch):
    events = len(trained.ledger_events())
    with pytest.raises(StudioError, match="no quality scores yet"):
        trained.publish("ada")
    _fake_gate(monkeypatch, model=0.9, base=0.8)
    assert trained.quality_gate("ada")["passed"] is False
    with pytest.raises(StudioError, match="did not pass the quality gate.*style distance.*0.9 / 0.8"):
        trained.publish("ada", price_cents=500)
    (v,) = trained.models("ada")
    assert v.status == "trained" and v.model_status == "draft" and trained.price("ada") is None
    assert len(trained.ledger_events()) == events  # nothing written

    _fake_gate(monkeypatch, model=0.5, base=0.8)
    trained.quality_gate("ada")
    v = trained.publish("ada", price_cents=500)
    assert v.status == "published" and v.model_status == "published" and v.published_at is not None
    assert trained.price("ada") == 500
    (pub,) = trained.ledger_events(kind="model.published")
    (price,) = trained.ledger_events(kind="price.changed")
    assert pub["subject"] == v.id and pub["payload"]["scores"]["passed"] is True
    assert price["payload"]["cents"] == 500 and price["payload"]["previous_cents"] is None
    assert trained.verify_ledger().ok


def test_prices_are_whole_cents_with_history(trained):
    with pytest.raises(StudioError, match="whole number of cents"):
        trained.set_price("ada", 4.99)
    with pytest.raises(StudioError, match="negative"):
        trained.set_price("ada", -1)
    trained.set_price("ada", 499)
    trained.set_price("ada", 650)
    assert trained.price("ada") == 650
    changes = [e["payload"] for e in trained.ledger_events(kind="price.changed")]
    assert [(c["previous_cents"], c["cents"]) for c in changes] == [(None, 499), (499, 650)]


def test_a_non_vetted_creator_cannot_publish(trained, monkeypatch):
    from studio.store.tables import Creator

    _fake_gate(monkeypatch, model=0.5, base=0.8)
    trained.quality_gate("ada")
    with trained.transaction() as s:
        s.query(Creator).filter_by(handle="ada").one().level = "level1"
    with pytest.raises(StudioError, match="only .* creators may create models"):
        trained.publish("ada")


def test_a_disabled_model_cannot_be_published(trained, monkeypatch):
    _fake_gate(monkeypatch, model=0.5, base=0.8)
    trained.quality_gate("ada")
    trained.disable_model("ada")
    with pytest.raises(StudioError, match="disabled"):
        trained.publish("ada")
    with pytest.raises(StudioError, match="already disabled"):
        trained.disable_model("ada")


@pytest.mark.parametrize("typed, reason", [
    ("0", "must be more than zero"),
    ("-1", "cannot be negative"),
    ("abc", "an amount in dollars such as 0.50, not 'abc'"),
    ("nan", "an amount in dollars such as 0.50"),
    ("0.505", "at most two decimals"),
    ("100.01", "at most $100.00 per generation, not $100.01"),
])
def test_prices_are_typed_in_dollars_and_a_bad_one_writes_nothing(trained, typed, reason, capsys):
    from studio.cli import main

    home = str(trained.home)
    events = len(trained.ledger_events())
    assert main(["model", "price", "ada", typed, "--home", home]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("studio: error: ") and reason in err and "\n" not in err
    assert trained.price("ada") is None and len(trained.ledger_events()) == events


def test_a_price_in_dollars_is_whole_cents_inside(trained, capsys):
    from studio.cli import main

    assert main(["model", "price", "ada", "0.65", "--home", str(trained.home)]) == 0
    assert "price set to $0.65 per generation" in capsys.readouterr().out
    assert main(["model", "price", "ada", "$1.5", "--home", str(trained.home), "--json"]) == 0
    assert trained.price("ada") == 150
    changes = [e["payload"] for e in trained.ledger_events(kind="price.changed")]
    assert [(c["previous_cents"], c["cents"]) for c in changes] == [(None, 65), (65, 150)]
