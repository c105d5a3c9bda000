"""The creator dashboard in a real browser: upload through the page, see the result."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.ui.conftest import screenshot, serve_voila

pytestmark = pytest.mark.ui

DASHBOARD = "notebooks/dashboards/creator.ipynb"


def _png(colour: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (48, 48), colour).save(buf, format="PNG")
    return buf.getvalue()


def choose_files(page, panel, name: str, data: bytes) -> None:
    """Click the FileUpload button and answer the browser's file chooser, as a person would."""
    with page.expect_file_chooser() as chooser:
        panel.get_by_role("button", name="Choose files").click()
    chooser.value.set_files([{"name": name, "mimeType": "image/png", "buffer": data}])
    panel.get_by_role("button", name="Choose files (1)").wait_for()


def test_upload_shows_thumbnail_and_consent_then_corrupt_file_shows_reason(page, seeded_home, tmp_path):
    with serve_voila(DASHBOARD, seeded_home, tmp_path / "voila.log") as url:
        page.goto(url)
        panel = page.locator(".studio-portfolio")
        panel.wait_for()
        cards = panel.locator(".studio-card")
        cards.first.wait_for()
        before = cards.count()
        assert before == 6  # the first sample creator's seeded portfolio

        # A commissioned piece, with the client's consent reference.
        panel.get_by_text("Commissioned (client consent)").click()
        panel.get_by_placeholder("client's consent reference").fill("order-77")
        choose_files(page, panel, "sunset.png", _png("orange"))
        panel.get_by_role("button", name="Add to portfolio").click()

        panel.locator(".studio-status").get_by_text("1 added").wait_for()
        new_card = cards.filter(has_text="sunset.png")
        new_card.wait_for()
        assert cards.count() == before + 1
        assert "client:order-77" in new_card.inner_text()
        assert new_card.locator("img").count() == 1  # the thumbnail is drawn
        screenshot(page, "creator-studio")

        # A corrupt file: the reason is shown and nothing is added.
        choose_files(page, panel, "broken.png", _png("blue")[:80])
        panel.get_by_role("button", name="Add to portfolio").click()
        rejection = panel.locator(".studio-rejection")
        rejection.wait_for()
        assert "broken.png" in rejection.inner_text()
        assert "truncated or corrupt" in rejection.inner_text()
        assert cards.count() == before + 1

    # What the page showed is what the studio recorded.
    import studio

    st = studio.open(seeded_home)
    # juno is first in the creator list, so the page opened on juno.
    items = {v.source: v for v in st.portfolio("juno")}
    assert items["sunset.png"].consent == "client:order-77"
    assert "broken.png" not in items
    assert st.verify_ledger().ok
