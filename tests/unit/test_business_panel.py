"""The Sell & earn panel: the creator's listing, plans, edit jobs and earnings, each button one studio call."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.unit.test_edits import _finished
from tests.unit.test_plans import BOB, PROMPT, publish

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture
def panel(trained):
    from widgets.business import BusinessPanel

    publish(trained, cents=300)
    p = BusinessPanel(trained, "ada")
    yield p
    p.close()


def test_the_panel_shows_the_offer_and_changes_price_and_availability(panel):
    st = panel.st
    assert "offered" in panel.listing.value and "$3.00" in panel.listing.value
    panel.price.value = "4.50"
    panel.set_price_button.click()
    assert st.price("ada") == 450 and "$4.50" in panel.listing.value  # the studio changed, and the panel shows it
    panel.notice.value = 7
    panel.disable_button.click()
    assert st.listing("ada")["state"] == "closing" and "notice given" in panel.listing.value
    panel.disable_button.click()  # twice: the studio's reason, on the page
    assert "already disabled" in panel.status.value and "#b00020" in panel.status.value
    panel.enable_button.click()
    assert st.listing("ada")["state"] == "offered"
    panel.price.value = "lots"
    panel.set_price_button.click()
    assert st.price("ada") == 450 and "#b00020" in panel.status.value  # bad input: a message, nothing changed


def test_an_edit_job_is_quoted_and_delivered_and_earnings_follow_sales(panel, tmp_path):
    st = panel.st
    assert "No edit requests yet" in panel.job_detail.value
    (g,) = st.generate("ada", PROMPT, seed=3, buyer=BOB)
    job = st.request_edit(g.id, BOB, "thicker outline, please")
    assert panel.jobs.value == job.id and "thicker outline" in panel.job_detail.value  # arrived by event
    panel.quote_price.value = "40"
    panel.quote_button.click()
    assert st.edit_job(job.id).quote_cents == 4000
    st.accept_edit(job.id, BOB)
    panel.deliver_button.click()
    assert "choose the finished file first" in panel.status.value
    panel.upload.value = ({"name": "done.png", "type": "image/png", "size": 1, "last_modified": datetime.now(timezone.utc),
                           "content": memoryview(_finished(st, g.id))},)
    panel.deliver_button.click()
    assert st.edit_job(job.id).status == "delivered", panel.status.value

    (g2,) = st.generate("ada", PROMPT, seed=4, buyer=BOB)
    st.buy(g2.id, BOB, tmp_path)
    earned = st.statement("ada").totals["earned_cents"]
    assert earned > 0 and f"${earned / 100:.2f}" in panel.earnings.value


def test_plans_are_subscribed_and_cancelled_from_the_panel(panel):
    panel.plan_choice.value = "assistant"
    panel.subscribe_button.click()
    assert any(p.plan == "assistant" and p.active for p in panel.st.plans("ada"))
    assert "assistant plan" in panel.plans.value
    panel.cancel_plan_button.click()
    assert "cancelled" in panel.plans.value
