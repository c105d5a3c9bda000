"""The creator dashboard: every panel in its tab, built when first opened; a failing panel does not take the
others down."""

from __future__ import annotations

from studio import samples


class Broken:
    def __init__(self, st, handle):
        raise RuntimeError("no such column: assistant_profiles.min_confidence")


def test_a_failing_panel_shows_its_error_and_leaves_the_other_tabs_working(st, monkeypatch):
    from widgets import creator

    samples.seed(st, images=2)
    monkeypatch.setattr(creator, "PANELS", [creator.PANELS[0], ("Broken", __name__, "Broken")])
    dash = creator.CreatorDashboard(st)
    assert dash.titles == ("Portfolio & consent", "Broken")
    assert len(dash.panel(0).grid.children) == 2  # the first creator's portfolio shows
    assert dash.children[1].children == ()  # not built until its tab is opened
    dash.selected_index = 1
    assert "could not open: RuntimeError: no such column" in dash.children[1].children[0].value
    assert len(dash.panel(0).grid.children) == 2  # the first tab still works


def test_every_panel_opens_in_its_tab(st):
    from widgets import creator

    samples.seed(st, images=2)
    dash = creator.CreatorDashboard(st, "mira")
    for i, (title, _module, cls) in enumerate(creator.PANELS):
        dash.selected_index = i
        assert type(dash.children[i].children[0]).__name__ == cls, title
