"""Platform analytics: aggregated, and no figure about fewer than five buyers, even by subtraction."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
from sqlalchemy import text

from studio.cli import main
from studio.marketplace.analytics import suppressed_groups
from studio.store.tables import utcnow
from tests.unit.test_plans import PROMPT, at, publish

pytestmark = pytest.mark.filterwarnings("ignore")


def test_groups_under_five_buyers_are_left_out_and_so_are_those_that_would_give_them_away():
    five = {f"b{i}" for i in range(5)}
    assert suppressed_groups({"mon": five, "tue": five | {"x"}}, 5) == set()
    # one buyer on Wednesday: left out, and Monday with it (else all minus Mon and Tue = Wednesday's buyer)
    assert suppressed_groups({"mon": five, "tue": five | {"x"}, "wed": {"w"}}, 5) == {"wed", "mon"}
    # two small groups that together hold five buyers give nothing away
    assert suppressed_groups({"mon": five, "tue": {"a", "b", "c"}, "wed": {"d", "e"}}, 5) == {"tue", "wed"}
    assert suppressed_groups({"mon": {"a"}}, 5) == {"mon"}
    assert suppressed_groups({}, 5) == set()


def test_sales_revenue_and_conversion_per_day_and_level_show_only_groups_of_five_buyers_or_more(
        trained, monkeypatch, capsys):
    st = trained
    publish(st, cents=300)
    st.context.policy = dataclasses.replace(st.policy, near_duplicate_bits=-1)  # every random image is for sale
    buyers = [f"buyer{i}@example.com" for i in range(12)]
    day1 = utcnow().replace(hour=10, minute=0) - timedelta(days=3)
    for i, buyer in enumerate(buyers):
        # five buyers on day 1, five on day 2, one on day 3; the last one only looks
        at(st, monkeypatch, day1 + timedelta(days=min(i // 5, 2), minutes=i))
        (g,) = st.generate("ada", PROMPT, seed=100 + i, buyer=buyer)
        if i < 11:
            st.buy(g.id, buyer, st.home / "out")
    monkeypatch.undo()

    a = st.analytics()
    assert a.min_buyers == 5
    assert a.overall["buyers"] == 11 and a.overall["sales"] == 11 and a.overall["revenue_cents"] == 3300
    assert a.overall["fee_cents"] == 11 * 60 and a.overall["previews"] == 12
    assert a.overall["conversion"] == pytest.approx(11 / 12)
    # day 3 (one buyer) is left out, and day 1 with it: day 3 = all - day 1 - day 2 otherwise
    assert list(a.by_day.index) == [(day1 + timedelta(days=1)).date().isoformat()]
    assert a.by_day.iloc[0].to_dict() == {"buyers": 5, "sales": 5, "revenue_cents": 1500, "fee_cents": 300}
    assert a.left_out["day"] == 2
    assert a.by_level.loc["level2", "buyers"] == 11 and a.conversion.loc["level2", "previews"] == 12

    # a second creator level with one buyer: left out, and level2 with it (all minus level2 would name it)
    with st.engine.begin() as conn:
        conn.execute(text("INSERT INTO creators (id, handle, name, level, vetted, plan, plan_cents, created_at) "
                          "VALUES ('cr_pro', 'neo', 'Neo', 'pro', 1, 'free', 0, '2026-01-01 00:00:00')"))
        conn.execute(text("UPDATE generations SET creator_id = 'cr_pro' WHERE buyer = :b"), {"b": buyers[10]})
    a = st.analytics()
    assert len(a.by_level) == 0 and a.left_out["creator level"] == 2
    assert a.overall["buyers"] == 11  # eleven buyers in all may still be told

    assert main(["analytics", "--home", str(st.home)]) == 0
    said = capsys.readouterr().out
    assert "no group of fewer than 5 buyers is shown" in said
    assert "2 day group(s) left out: each describes fewer than 5 buyers, or could be worked out" in said
    assert "buyer0@example.com" not in said
    assert main(["analytics", "--json", "--home", str(st.home)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["overall"]["sales"] == 11 and len(data["by_day"]) == 1 and data["notes"]


def test_with_fewer_than_five_buyers_in_all_nothing_is_shown(trained, tmp_path):
    publish(trained, cents=300)
    (g,) = trained.generate("ada", PROMPT, seed=1, buyer="solo@example.com")
    trained.buy(g.id, "solo@example.com", tmp_path)
    a = trained.analytics()
    assert a.overall is None and len(a.by_day) == len(a.by_level) == len(a.conversion) == 0
    assert "overall figures left out: fewer than 5 buyers in all" in a.text()
