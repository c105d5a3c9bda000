"""The assistant panel in a real browser: a client question gets an answer, a discount request a handoff."""

from __future__ import annotations

import pytest

from tests.ui.conftest import serve_voila

pytestmark = pytest.mark.ui

DASHBOARD = "notebooks/dashboards/creator.ipynb"


def send(panel, text: str) -> None:
    box = panel.locator(".studio-assistant-message input")
    box.fill(text)
    panel.get_by_role("button", name="Send").click()


def test_client_message_is_answered_then_discount_request_is_handed_off(page, seeded_home, tmp_path):
    with serve_voila(DASHBOARD, seeded_home, tmp_path / "voila.log") as url:
        page.goto(url)
        page.locator(".studio-creator-dashboard").wait_for()
        page.get_by_role("tab", name="Assistant").click()
        panel = page.locator(".studio-assistant")
        panel.wait_for()
        creator = panel.locator("select").first
        creator.select_option("oskar")  # his gigs: a $40 basic logo, no discounts
        transcript = panel.locator(".studio-assistant-transcript")

        send(panel, "How much does a basic logo cost?")
        answered = transcript.locator(".studio-assistant-turn").first
        answered.wait_for()
        assert "$40" in answered.locator(".studio-assistant-reply").inner_text()
        assert "ANSWERED" in answered.inner_text()
        assert "gig:Logo design:price" in answered.inner_text()  # the source is shown
        assert "confidence" in answered.inner_text()

        send(panel, "Could you give me a 30% discount?")
        handed = transcript.locator(".studio-assistant-turn").nth(1)
        handed.wait_for()
        assert "HANDOFF" in handed.inner_text()
        assert "custom pricing" in handed.inner_text()
        assert "Oskar" in handed.locator(".studio-assistant-reply").inner_text()
        assert "30%" not in handed.locator(".studio-assistant-reply").inner_text()
