"""Plans, disabling with notice, and the buyer's daily previews: each rule read against the clock, no job."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest

from studio.cli import main
from studio.config import DEFAULT_POLICY, Policy
from studio.errors import StudioError
from studio.store.tables import ModelVersion, utcnow

pytestmark = pytest.mark.filterwarnings("ignore")
PROMPT = "a blue square on a white background"
BOB = "bob@example.com"


def publish(st, cents: int = 300) -> None:
    """Whatever the random base scored, let ada's version be published here."""
    with st.transaction() as s:
        row = s.get(ModelVersion, st.models("ada")[0].id)
        row.scores = {"passed": True, "style_distance_model": 0.1, "style_distance_base": 0.2}
    st.publish("ada", price_cents=cents)


def at(st, monkeypatch, when) -> None:
    """Move the studio's clock."""
    monkeypatch.setattr(st.context, "now", lambda: when)


def test_plans_are_policy_data():
    assert DEFAULT_POLICY.subscription_plans == {"creation": 2500, "assistant": 2900}
    assert (DEFAULT_POLICY.platform_fee_bps, DEFAULT_POLICY.payout_minimum_cents) == (2000, 1000)
    assert DEFAULT_POLICY.free_previews_per_day == 30 and DEFAULT_POLICY.publish_plan == "creation"


def test_publishing_needs_a_vetted_creator_on_an_active_creation_plan(trained, monkeypatch):
    trained.add_creator("neo", "Neo", level="level2")
    with pytest.raises(StudioError, match=r"neo has no creation plan; .*\$25.00/month.*studio plan subscribe neo"):
        trained.publish("neo")
    trained.subscribe_plan("neo", "assistant")  # the wrong plan
    with pytest.raises(StudioError, match="neo has no creation plan"):
        trained.publish("neo")
    with pytest.raises(StudioError, match="there is no 'gold' plan; plans: creation"):
        trained.subscribe_plan("neo", "gold")

    (plan,) = trained.plans("ada")
    assert plan.active and plan.plan == "creation" and plan.cents == 2500 and plan.ends_at is None
    with pytest.raises(StudioError, match="ada already has the creation plan"):
        trained.subscribe_plan("ada")
    cancelled = trained.cancel_plan("ada")
    assert cancelled.active and cancelled.ends_at == plan.started_at + timedelta(days=30)
    with pytest.raises(StudioError, match="already cancelled"):
        trained.cancel_plan("ada")
    at(trained, monkeypatch, cancelled.ends_at + timedelta(seconds=1))
    assert not trained.plans("ada")[0].active
    with pytest.raises(StudioError, match=r"ada's creation plan ended on .*publishing a model needs an active one"):
        publish(trained)
    assert trained.models("ada")[0].status == "trained"
    trained.subscribe_plan("ada")
    publish(trained)
    kinds = [e["kind"] for e in trained.ledger_events() if e["kind"].startswith("plan.")]
    assert kinds == ["plan.subscribed", "plan.subscribed", "plan.cancelled", "plan.subscribed"]
    assert trained.verify_ledger().ok


def test_a_cancelled_plan_runs_to_the_end_of_the_month_paid_for(st, monkeypatch):
    st.add_creator("ada", "Ada", level="level2")
    start = st.subscribe_plan("ada").started_at
    at(st, monkeypatch, start + timedelta(days=45))  # in the second month
    assert st.cancel_plan("ada").ends_at == start + timedelta(days=60)


def test_plan_commands(st, capsys):
    st.add_creator("ada", "Ada", level="level2")
    home = str(st.home)
    assert main(["plan", "subscribe", "ada", "--plan", "assistant", "--home", home]) == 0
    assert "assistant plan ($29.00/month): active since" in capsys.readouterr().out
    assert main(["plan", "cancel", "ada", "--plan", "assistant", "--home", home, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ends_at"] is not None
    assert main(["plan", "show", "ada", "--home", home]) == 0
    assert "cancelled, active until" in capsys.readouterr().out
    assert main(["plan", "cancel", "ada", "--home", home]) == 1
    assert capsys.readouterr().err.strip() == "studio: error: ada has no active creation plan to cancel"


def test_a_disable_with_notice_lets_buyers_generate_until_the_date_then_hides_their_previews(trained, monkeypatch,
                                                                                            tmp_path):
    publish(trained)
    (early,) = trained.generate("ada", PROMPT, seed=1, buyer=BOB)
    (draft,) = trained.generate("ada", PROMPT, seed=2)
    info = trained.disable_model("ada", reason="moving on", notice_days=7)
    assert info["notice_days"] == 7 and info["drafts_hidden"] == 0
    listing = trained.listing("ada")
    assert listing["state"] == "closing" and listing["available_until"] == info["effective_at"]
    assert listing["price_cents"] == 300
    (during,) = trained.generate("ada", PROMPT, seed=3, buyer=BOB)  # buyers may still generate
    assert [g.status for g in trained.generations(buyer=BOB)] == ["draft", "draft"]
    with pytest.raises(StudioError, match="already disabled .*model enable ada"):
        trained.disable_model("ada")

    at(trained, monkeypatch, info["effective_at"] + timedelta(seconds=1))  # the date has come: no job ran
    assert trained.listing("ada")["state"] == "disabled"
    with pytest.raises(StudioError, match="disabled: it makes no new generations"):
        trained.generate("ada", PROMPT, seed=4, buyer=BOB)
    with pytest.raises(StudioError, match="disabled: it makes no new generations"):
        trained.generate("ada", PROMPT, seed=4)
    assert trained.generations(buyer=BOB) == []  # unpurchased previews: the creator's only
    assert {g.id: g.status for g in trained.generations("ada")} == {early.id: "hidden", draft.id: "hidden",
                                                                    during.id: "hidden"}
    with pytest.raises(StudioError, match="no longer for sale: the creator disabled the model on"):
        trained.buy(early.id, BOB, tmp_path / "out")

    enabled = trained.enable_model("ada")
    assert enabled == {"model": info["model"], "status": "published", "drafts_hidden": 3}
    assert trained.listing("ada")["state"] == "offered"
    assert trained.generations(buyer=BOB) == []  # what was hidden stays hidden
    (g,) = trained.generate("ada", PROMPT, seed=5, buyer=BOB)
    assert g.status == "draft"
    (disabled,) = trained.ledger_events(kind="model.disabled")
    assert disabled["payload"]["notice_days"] == 7 and disabled["payload"]["reason"] == "moving on"
    assert [e["payload"]["drafts_hidden"] for e in trained.ledger_events(kind="model.enabled")] == [3]
    assert trained.verify_ledger().ok


def test_disable_and_enable_commands(trained, capsys):
    publish(trained)
    home = str(trained.home)
    assert main(["model", "disable", "ada", "--notice", "-1", "--home", home]) == 1
    assert "--notice is a whole number of days from 0 to 365" in capsys.readouterr().err
    assert main(["model", "disable", "ada", "--notice", "14", "--home", home]) == 0
    assert "buyers may generate and buy until then" in capsys.readouterr().out
    assert main(["model", "listing", "ada", "--home", home]) == 0
    assert "ada: closing, $3.00 per generation; available until" in capsys.readouterr().out
    assert main(["model", "enable", "ada", "--home", home]) == 0
    assert main(["model", "disable", "ada", "--home", home]) == 0
    assert "model disabled; 0 unpurchased drafts hidden" in capsys.readouterr().out
    assert trained.listing("ada")["state"] == "disabled"
    assert trained.verify_ledger().ok


def test_a_buyer_gets_a_daily_quota_of_previews(trained, monkeypatch):
    publish(trained)
    trained.context.policy = dataclasses.replace(trained.policy, free_previews_per_day=3)
    trained.generate("ada", PROMPT, n=2, seed=1, buyer=BOB)
    before = len(trained.ledger_events())
    with pytest.raises(StudioError, match=r"bob@example.com has made 2 of 3 free previews today; 2 more would go "
                                          r"over; more from \d{4}-\d\d-\d\d 00:00 UTC"):
        trained.generate("ada", PROMPT, n=2, seed=3, buyer=BOB)
    assert len(trained.ledger_events()) == before  # nothing rendered or recorded
    trained.generate("ada", PROMPT, seed=3, buyer=BOB)
    with pytest.raises(StudioError, match="has made 3 of 3 free previews today; more from"):
        trained.generate("ada", PROMPT, seed=4, buyer=BOB)
    trained.generate("ada", PROMPT, seed=4, buyer="carol@example.com")  # another buyer has her own
    trained.generate("ada", PROMPT, n=4, seed=4)  # the creator's drafts are not previews
    tomorrow = utcnow() + timedelta(days=1)
    at(trained, monkeypatch, tomorrow)
    trained.generate("ada", PROMPT, seed=4, buyer=BOB)


def test_every_preview_is_logged_with_the_price_in_force_and_a_purchase_points_back(trained, tmp_path):
    publish(trained, cents=300)
    first = trained.generate("ada", PROMPT, n=2, seed=1, buyer=BOB)
    trained.set_price("ada", 450)
    (later,) = trained.generate("ada", PROMPT, seed=9, buyer="carol@example.com")
    trained.generate("ada", PROMPT, seed=9)  # a creator's draft: not an exposure
    bought = trained.buy(first[0].id, BOB, tmp_path / "out")
    rows = {r["generation"]: r for r in trained.exposures("ada")}
    assert set(rows) == {first[0].id, first[1].id, later.id}
    assert [rows[g.id]["price_cents"] for g in (*first, later)] == [300, 300, 450]
    assert rows[later.id]["price"] != rows[first[0].id]["price"]  # the price rows themselves
    assert rows[first[0].id]["bought"] and rows[first[0].id]["purchase"] == bought.id
    assert not rows[first[1].id]["bought"] and rows[first[1].id]["buyer"] == BOB
    assert bought.price_cents == 300  # the price in force when it was shown, not the price now
    assert trained.verify_ledger().ok


def test_a_policy_is_data(tmp_path):
    policy = Policy(subscription_plans={"creation": 900}, free_previews_per_day=5)
    assert policy.subscription_plans == {"creation": 900} and policy.free_previews_per_day == 5
