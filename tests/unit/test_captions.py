"""Captions for the embedded base: the captioner reads shapes-world images, the creator sees and edits every
caption (core, CLI, panel), and each edit is a ledger event the audit replays."""

from __future__ import annotations

import hashlib
import json

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import text

from studio.cli import main
from studio.errors import StudioError
from studio.models import captioner, world

STYLES = list(world.STYLES.values())


def _content(caption: str | None):
    """A caption's shapes (in any order) and background: what an image can tell."""
    if caption is None:
        return None
    objects, background = world.parse_caption(caption)
    return sorted(objects), background


# --- the captioner -------------------------------------------------------------------------


def test_describe_reads_rendered_single_and_two_shape_images_in_every_style():
    # seeds never used to tune the captioner; measured 29/30 and 25/30 when written
    single = [world.render(3 * 10**7 + k, STYLES[k % 4], n_shapes=1) for k in range(30)]
    double = [world.render(3 * 10**7 + k, STYLES[k % 4], n_shapes=2) for k in range(30)]
    exact = sum(captioner.describe(img) == cap for img, cap, _ in single) / 30
    same = sum(_content(captioner.describe(img)) == _content(cap) for img, cap, _ in double) / 30
    assert exact >= 0.85, exact
    assert same >= 0.65, same


def test_describe_names_shapes_left_to_right_on_any_size_and_palette():
    img = Image.new("RGB", (160, 120), (250, 240, 215))  # cream, not one of the world's colours
    draw = ImageDraw.Draw(img)
    draw.rectangle([95, 30, 145, 80], fill=(30, 70, 220), outline=(10, 20, 60), width=3)
    draw.ellipse([15, 35, 75, 95], fill=(220, 30, 30))
    assert captioner.describe(img) == "a red circle and a blue square on a white background"


def test_describe_returns_none_when_there_is_nothing_to_read():
    assert captioner.describe(Image.new("RGB", (64, 64), (245, 245, 245))) is None
    ramp = Image.linear_gradient("L").convert("RGB").resize((64, 64))
    assert captioner.describe(ramp) is None


def test_a_shape_never_gets_the_background_colour():
    torch = pytest.importorskip("torch")
    red, white = world.COLOR_NAMES.index("red"), world.COLOR_NAMES.index("white")

    class Net:  # says: a circle, white first and red second, on white
        def __call__(self, x):
            colour = torch.zeros(len(x), len(world.COLOR_NAMES))
            colour[:, white], colour[:, red] = 5.0, 4.0
            background = torch.zeros(len(x), len(world.COLOR_NAMES))
            background[:, white] = 5.0
            return torch.tensor([[3.0, 0.0, 0.0]] * len(x)), colour, background

    class FakeChecker:
        net = Net()

    img, _, _ = world.render(1, n_shapes=1)
    assert captioner.describe(img, checker=FakeChecker()) == "a red circle on a white background"


@pytest.mark.parametrize("caption, ok", [
    ("a red circle on a white background", True),
    ("two Circles, mirastyle", True),
    ("red triangles", True),
    ("squares", True),
    ("my best piece", False),
    ("a squared-off look", False),
    ("", False),
    (None, False),
])
def test_readable_means_it_names_a_shape_the_base_knows(caption, ok):
    assert captioner.readable(caption) is ok


# --- the portfolio: suggest, set, audit ---------------------------------------------------------


@pytest.fixture
def captioned(vetted, tmp_path, monkeypatch):
    """'ada' with four rendered images: one captioned in the grammar, one unreadably, one without a caption,
    one without a caption and revoked; and a text item."""
    monkeypatch.delenv("STUDIO_BASE", raising=False)
    folder = tmp_path / "work"
    folder.mkdir()
    truth = {}
    for name, seed, caption in (("good", 11, "grammar"), ("vague", 12, "my best piece"), ("bare", 13, None),
                                ("gone", 14, None)):
        img, true_caption, _ = world.render(seed, n_shapes=1)
        img.save(folder / f"{name}.png")
        truth[f"work/{name}.png"] = true_caption
        if caption is not None:
            (folder / f"{name}.txt").write_text(true_caption if caption == "grammar" else caption)
    (folder / "notes.md").write_text("how I draw")
    report = vetted.add_to_portfolio("ada", [folder])
    assert report.ok
    items = {v.source: v for v in vetted.portfolio("ada")}
    vetted.revoke("ada", items["work/gone.png"].id)
    return vetted, {v.source: v.id for v in vetted.portfolio("ada")}, truth


def test_suggestions_only_for_missing_and_unreadable_captions_and_only_on_the_embedded_base(captioned):
    st, ids, truth = captioned
    suggested = {v.source: suggestion for v, suggestion in st.suggest_captions("ada")}
    assert set(suggested) == {"work/vague.png", "work/bare.png"}
    for source, suggestion in suggested.items():
        assert _content(suggestion) == _content(truth[source])
    assert st.suggest_captions("ada", base="/models/stable-diffusion-v1-5") == []
    captions = {v.source: v.caption for v in st.portfolio("ada")}  # nothing was written
    assert captions["work/bare.png"] is None and captions["work/vague.png"] == "my best piece"
    assert [e["kind"] for e in st.ledger_events()].count("portfolio.captioned") == 0


def test_set_caption_writes_the_caption_with_its_event_and_the_audit_replays_it(captioned):
    st, ids, _ = captioned
    item = ids["work/bare.png"]
    view = st.set_caption("ada", item, "  a red circle\non a white background  ")
    assert view.caption == "a red circle on a white background"
    [event] = st.ledger_events(kind="portfolio.captioned")
    assert event["subject"] == item
    assert event["payload"] == {"creator": "ada", "item": item, "caption_sha256": hashlib.sha256(
        b"a red circle on a white background").hexdigest()}
    st.set_caption("ada", item, "a red circle on a white background")  # the same text: no second event
    st.set_caption("ada", ids["work/vague.png"], "")  # cleared
    assert {v.id: v.caption for v in st.portfolio("ada")}[ids["work/vague.png"]] is None
    st.set_consent("ada", item, "client:order-9")  # a later consent event keeps the caption checked
    audit = st.verify_ledger(deep=True)
    assert audit.ok, audit.problems
    assert len(st.ledger_events(kind="portfolio.captioned")) == 2

    with st.engine.begin() as conn:  # a caption rewritten in the database, behind the ledger's back
        conn.execute(text("UPDATE portfolio_items SET caption = 'a blue square' WHERE id = :i"), {"i": item})
    audit = st.verify_ledger()
    assert not audit.ok
    assert any(item in p and "caption_sha256" in p for p in audit.problems), audit.problems


def test_an_over_long_caption_is_refused_in_one_line_and_nothing_is_written(captioned):
    st, ids, _ = captioned
    before = st.ledger_events()
    limit = st.policy.max_caption_chars
    with pytest.raises(StudioError) as err:
        st.set_caption("ada", ids["work/bare.png"], "a red circle " * limit)
    assert "\n" not in str(err.value) and f"over the limit of {limit}" in str(err.value)
    assert {v.id: v.caption for v in st.portfolio("ada")}[ids["work/bare.png"]] is None
    assert st.ledger_events() == before
    with pytest.raises(StudioError, match="only images have captions"):
        st.set_caption("ada", ids["work/notes.md"], "a circle")


# --- the command ------------------------------------------------------------------------------


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_captions_command_lists_suggests_and_applies(captioned, capsys):
    st, ids, _ = captioned
    home = str(st.home)
    code, out, _ = _run(capsys, "portfolio", "captions", "ada", "--home", home)
    assert code == 0
    assert "[no caption]" in out and "names no shape" in out and "suggested: a " in out
    assert "notes.md" not in out  # images only
    code, out, _ = _run(capsys, "portfolio", "captions", "ada", "--base", "/models/sd15", "--home", home)
    assert code == 0 and "suggested" not in out and "2 active image(s) without a caption" in out
    code, out, _ = _run(capsys, "portfolio", "captions", "ada", "--home", home, "--json")
    rows = {r["source"]: r for r in json.loads(out)}
    assert {s for s, r in rows.items() if r["suggestion"]} == {"work/vague.png", "work/bare.png"}
    assert rows["work/good.png"]["readable"] and not rows["work/vague.png"]["readable"]

    code, out, _ = _run(capsys, "portfolio", "captions", "ada", "--apply-suggestions", "--home", home)
    assert code == 0 and "2 caption(s) written" in out
    captions = {v.source: v.caption for v in st.portfolio("ada")}
    assert captions["work/bare.png"] == rows["work/bare.png"]["suggestion"]
    assert captions["work/gone.png"] is None  # revoked: never trained on, so not captioned
    assert st.verify_ledger().ok


def test_the_caption_command_sets_one_and_refuses_an_over_long_one(captioned, capsys):
    st, ids, _ = captioned
    home = str(st.home)
    code, out, _ = _run(capsys, "portfolio", "caption", "ada", ids["work/bare.png"], "a pink square", "--home", home)
    assert code == 0 and "a pink square" in out
    code, out, err = _run(capsys, "portfolio", "caption", "ada", ids["work/bare.png"], "x" * 10_000, "--home", home)
    assert code == 1 and out == "" and err.count("\n") == 1 and "over the limit" in err
    assert {v.source: v.caption for v in st.portfolio("ada")}["work/bare.png"] == "a pink square"


# --- the panel ----------------------------------------------------------------------------------


def _card_button(panel, item_id: str, description: str):
    for card in panel.grid.children:
        if f"data-item='{item_id}'" in card.children[1].value:
            return next(b for b in card.children if getattr(b, "description", None) == description)
    raise AssertionError(f"no card for {item_id}")


def test_the_panel_saves_captions_through_the_core_and_suggests_without_saving(captioned):
    from widgets.portfolio import PortfolioPanel

    st, ids, _ = captioned
    panel = PortfolioPanel(st, "ada")
    assert set(panel.caption_fields) == {i for s, i in ids.items() if s.endswith(".png")}

    panel.suggest_button.click()
    assert panel.caption_fields[ids["work/bare.png"]].value.startswith("a ")
    assert "2 caption(s) suggested" in panel.status.value
    assert {v.source: v.caption for v in st.portfolio("ada")}["work/bare.png"] is None  # not saved yet

    panel.caption_fields[ids["work/bare.png"]].value = "a yellow triangle on a gray background"
    _card_button(panel, ids["work/bare.png"], "Save caption").click()
    assert {v.source: v.caption for v in st.portfolio("ada")}["work/bare.png"] == "a yellow triangle on a gray background"
    assert panel.caption_fields[ids["work/bare.png"]].value == "a yellow triangle on a gray background"  # re-read

    panel.caption_fields[ids["work/vague.png"]].value = "x" * 10_000
    _card_button(panel, ids["work/vague.png"], "Save caption").click()
    assert "over the limit" in panel.status.value
    assert {v.source: v.caption for v in st.portfolio("ada")}["work/vague.png"] == "my best piece"
    panel.close()
