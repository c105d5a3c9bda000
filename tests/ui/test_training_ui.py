"""The Train tab in a real browser: start a short run, watch the progress bar move and previews appear."""

from __future__ import annotations

import re

import pytest

from tests.ui.conftest import serve_voila

pytestmark = [pytest.mark.ui, pytest.mark.filterwarnings("ignore")]

DASHBOARD = "notebooks/dashboards/creator.ipynb"


@pytest.fixture(scope="module")
def random_base(tmp_path_factory):
    """A randomly initialised tiny base: the test checks the panel, not image quality."""
    from tests.tiny_random import make_random_base

    return make_random_base(tmp_path_factory.mktemp("bases") / "tiny-random")


def test_training_from_the_page_moves_the_progress_bar_and_shows_previews(page, seeded_home, tmp_path, random_base):
    with serve_voila(DASHBOARD, seeded_home, tmp_path / "voila.log", env={"STUDIO_BASE": str(random_base)}) as url:
        page.goto(url)
        page.get_by_role("tab", name="Train").click()
        panel = page.locator(".studio-training")
        panel.wait_for()
        panel.locator(".studio-train-steps input").fill("60")
        panel.locator(".studio-train-sample-every input").fill("20")
        panel.get_by_role("button", name="Start training").click()

        status = panel.locator(".studio-train-status")
        status.get_by_text(re.compile(r"step \d+/60")).wait_for()
        bar = panel.locator(".studio-train-progress .progress-bar")
        panel.locator(".studio-train-previews img").first.wait_for()  # previews at step 20
        page.wait_for_function(
            "() => parseFloat(document.querySelector('.studio-train-progress .progress-bar').style.width) > 0")
        assert "steps/s" in status.inner_text() or "Done" in status.inner_text()
        panel.locator(".studio-train-result").get_by_text("Version 1").wait_for()
        assert bar.evaluate("el => el.style.width") == "100%"
        assert panel.locator(".studio-train-previews img").count() >= 1
        # the live loss curve drew a line through the steps
        drawn = """() => [...document.querySelectorAll('.studio-train-loss g.curve path.line')]
                         .filter(p => (p.getAttribute('d') || '').length > 100).length"""
        page.wait_for_function(f"({drawn})() >= 1")

    import studio

    st = studio.open(seeded_home)
    (v,) = st.models("juno")  # juno is first in the creator list
    assert v.metrics["steps"] == 60
    assert st.ledger_events(kind="model.trained")[0]["subject"] == v.id
