"""The creator dashboard: every panel in its tab; a failing panel does not take the others down."""

from __future__ import annotations

from studio import samples


def test_a_failing_panel_shows_its_error_and_leaves_the_other_tabs_working(st, monkeypatch):
    from widgets import creator

    class Broken:
        def __init__(self, st, handle):
            raise RuntimeError("no such column: assistant_profiles.min_confidence")

    samples.seed(st, images=2)
    panels = creator.available_panels()
    monkeypatch.setattr(creator, "available_panels", lambda: [panels[0], ("Broken", Broken)])
    dash = creator.CreatorDashboard(st)
    assert dash.titles == ("Portfolio & consent", "Broken")
    assert len(dash.children[0].grid.children) == 2  # the first creator's portfolio still shows
    assert "could not open: RuntimeError: no such column" in dash.children[1].value
