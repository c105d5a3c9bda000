"""Statements and payouts: the split in whole cents, each line paid once, however often or concurrently run."""

from __future__ import annotations

import dataclasses
import threading

import pytest

import studio
from studio.cli import main
from studio.marketplace.purchases import split
from tests.unit.test_plans import BOB, PROMPT, publish

pytestmark = pytest.mark.filterwarnings("ignore")


def test_the_fee_rounds_down_to_a_whole_cent_and_the_rest_is_the_creators():
    assert split(300, 2000) == (60, 240)
    assert split(299, 2000) == (59, 240)  # 59.8 cents of fee: the fraction goes to the creator
    assert split(1, 2000) == (0, 1)
    assert all(sum(split(c, 2000)) == c for c in range(1, 10_001))


@pytest.fixture
def sold(trained, tmp_path):
    """ada's model at $2.99; Bob bought three previews, a fourth is only previewed."""
    publish(trained, cents=299)
    previews = trained.generate("ada", PROMPT, n=4, seed=1, buyer=BOB)
    for g in previews[:3]:
        trained.buy(g.id, BOB, tmp_path / "out")
    return trained


def test_the_statement_shows_generations_sales_fees_and_earnings(sold):
    s = sold.statement("ada")
    assert s.totals == {"generations": 4, "previews": 4, "sales": 3, "gross_cents": 897, "fee_cents": 177,
                        "earned_cents": 720}
    assert list(s.by_version.index) == [1] and int(s.by_version.loc[1, "earned_cents"]) == 720
    assert len(s.by_day) == 1 and int(s.by_day.iloc[0]["sales"]) == 3
    assert (s.paid_cents, s.owed_cents) == (0, 720)
    assert "3 sales, $8.97 gross, $1.77 platform fee, $7.20 earned" in s.text()


def test_a_payout_run_pays_what_is_owed_above_the_minimum_once(sold, capsys):
    assert sold.run_payouts() == {"paid": [], "carried": [{"creator": "ada", "cents": 720, "lines": 3}],
                                  "minimum_cents": 1000, "total_cents": 0}  # $7.20 is under $10.00
    sold.context.policy = dataclasses.replace(sold.policy, payout_minimum_cents=500)
    first = sold.run_payouts()
    assert [(p["creator"], p["cents"], p["lines"]) for p in first["paid"]] == [("ada", 720, 3)]
    assert sold.run_payouts()["paid"] == []  # never a cent twice
    (settled,) = sold.ledger_events(kind="payout.settled")
    assert settled["payload"]["cents"] == 720 and len(settled["payload"]["lines"]) == 3
    s = sold.statement("ada")
    assert (s.paid_cents, s.owed_cents) == (720, 0)
    assert sold.verify_ledger().ok
    assert main(["payouts", "run", "--home", str(sold.home)]) == 0
    assert "paid $0.00 to 0 creator(s)" in capsys.readouterr().out


def payouts_at_once(home, policy, runs: int = 4) -> list[int]:
    """`runs` payout runs started together, each on its own open studio; the totals each paid, sorted."""
    results, go = [], threading.Barrier(runs)

    def run():
        own = studio.open(home, policy=policy)
        go.wait()
        results.append(own.run_payouts()["total_cents"])
        own.close()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return sorted(results)


def test_payout_runs_at_once_pay_each_line_once(sold):
    sold.context.policy = dataclasses.replace(sold.policy, payout_minimum_cents=1)
    assert payouts_at_once(sold.home, sold.policy) == [0, 0, 0, 720]
    assert len(sold.ledger_events(kind="payout.settled")) == 1 and sold.verify_ledger().ok


def test_money_rows_changed_behind_the_ledgers_back_are_caught(sold):
    from sqlalchemy import text

    sold.context.policy = dataclasses.replace(sold.policy, payout_minimum_cents=1)
    sold.run_payouts()
    assert sold.verify_ledger(deep=True).ok
    with sold.engine.begin() as conn:
        conn.execute(text("UPDATE payout_lines SET payout_id = NULL"))  # to be paid a second time
        conn.execute(text("UPDATE purchases SET creator_cents = creator_cents + 100"))
        conn.execute(text("INSERT INTO subscriptions (id, creator_id, plan, cents, started_at) "
                          "SELECT 'sub_forged', id, 'creation', 0, '2026-01-01' FROM creators"))
    problems = sold.verify_ledger().problems
    assert any(p.startswith("payout line pl_") and "payout is None in the database but 'po_" in p for p in problems)
    assert any(p.startswith("purchase pur_") and "creator_cents is 340 in the database but 240" in p
               for p in problems)
    assert "subscription sub_forged is in the database but no ledger event created it" in problems
