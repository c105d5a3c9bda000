"""The pricing lab as a Voila app: run a study from the page, see the chart and the recommendation."""

from __future__ import annotations

import re

import pytest

from tests.ui.conftest import screenshot, serve_voila

pytestmark = pytest.mark.ui


def test_run_a_study_from_the_page(page, tmp_path):
    with serve_voila("notebooks/dashboards/pricing-lab.ipynb", tmp_path / "home", tmp_path / "voila.log") as url:
        page.goto(url)
        page.wait_for_selector(".studio-pricing")
        assert page.locator(".studio-pricing-recommendation").inner_text().strip() == ""
        # The page paints before any study: the charts' place says what will appear there.
        assert "No study yet" in page.locator(".studio-pricing-charts").inner_text()

        page.get_by_role("button", name="Run study").click()
        rec = page.locator(".studio-pricing-recommendation")
        rec.get_by_text("Recommended price").wait_for()
        text = rec.inner_text()
        price = float(re.search(r"Recommended price: \$(\d+\.\d\d)", text).group(1))
        assert 0.1 <= price <= 3.0
        assert "of the oracle's revenue" in text
        assert "done" in page.locator(".studio-pricing-status").inner_text()

        # The revenue chart drew its curves, and the results table lists every grid price.
        drawn = """() => [...document.querySelectorAll('.studio-pricing-revenue g.curve path.line')]
                         .filter(p => (p.getAttribute('d') || '').length > 100).length"""
        page.wait_for_function(f"({drawn})() >= 3")  # band, true curve, estimated curve
        assert page.locator(".studio-pricing-table table tbody tr").count() == 10
        screenshot(page, "pricing-lab")
