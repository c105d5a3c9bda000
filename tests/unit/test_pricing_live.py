"""The pricing lab on the studio's own data: the exposure log, refusing a price history, and a live price test run
through the marketplace (assignment by a stable hash, exposure recorded on the preview and in the ledger)."""

from __future__ import annotations

import json

import pytest

from studio.cli import main
from studio.errors import StudioError
from studio.pricing import live
from tests.unit.test_plans import PROMPT, publish

pytestmark = pytest.mark.filterwarnings("ignore")
BUYERS = [f"buyer{i}@example.com" for i in range(20)]


def test_a_live_price_test_runs_through_the_marketplace(trained, tmp_path, capsys):
    st = trained
    publish(st, cents=300)
    (before,) = st.generate("ada", PROMPT, seed=1, buyer="early@example.com")
    assert before.price_cents == 300
    with pytest.raises(StudioError, match="not randomised"):  # a price history is refused...
        live.estimate_from_studio(st, "ada")
    with pytest.raises(StudioError, match="too few"):         # ...and DML needs more than one preview
        live.estimate_from_studio(st, "ada", dml=True)

    home = ["--home", str(st.home)]
    assert main(["pricing", "experiment", "start", "ada", "--prices", "4.50", "--json", *home]) == 0
    info = json.loads(capsys.readouterr().out)
    assert [a["cents"] for a in info["arms"]] == [300, 450] and info["state"] == "running"
    exp = {"experiment": info["experiment"], "arms": [300, 450], "unit": "buyer"}
    with pytest.raises(StudioError, match="already running"):
        live.start(st, "ada", [400])

    shown = {}
    for i, buyer in enumerate(BUYERS):
        (g,) = st.generate("ada", PROMPT, seed=10 + i, buyer=buyer)
        arm = live.arm_of(exp, buyer, st.context.now())
        assert g.price_cents == exp["arms"][arm] and g.price_id == f"{exp['experiment']}:{arm}"
        shown[buyer] = g
        if len(shown) >= 6 and len({x.price_cents for x in shown.values()}) == 2:
            break
    assert len({g.price_cents for g in shown.values()}) == 2  # both arms were shown
    n = len(shown)
    (again,) = st.generate("ada", PROMPT, seed=40, buyer=BUYERS[0])  # a buyer keeps their arm
    assert again.price_cents == shown[BUYERS[0]].price_cents
    bought = st.buy(shown[BUYERS[1]].id, BUYERS[1], tmp_path / "out")
    assert bought.price_cents == shown[BUYERS[1]].price_cents  # sold at the price the arm showed

    events = [e for e in st.ledger_events(kind="generation.created") if e["payload"]["buyer"] in shown]
    assert all(e["payload"]["price"].startswith(exp["experiment"]) for e in events)  # exposure in the ledger
    log = live.exposure_log(st, "ada")
    assert log.attrs["randomised"] is False and log["experiment"].notna().sum() == n + 1
    status = live.status(st, "ada")
    assert sum(a["exposures"] for a in status["arms"]) == n + 1 and sum(a["units"] for a in status["arms"]) == n
    assert sum(a["purchases"] for a in status["arms"]) == 1 and status["srm"] is not None

    assert main(["pricing", "experiment", "stop", "ada", "--json", *home]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "stopped"
    (after,) = st.generate("ada", PROMPT, seed=50, buyer=BUYERS[2])
    assert after.price_cents == 300 and not after.price_id.startswith("pxp_")  # the listing price again
    assert st.price("ada") == 300
    assert st.verify_ledger().ok
    # the randomised rows are read (not refused as a price history), but one purchase cannot fit a curve
    assert main(["pricing", "estimate", "--studio", "--creator", "ada", *home]) == 1
    assert "too few sessions or purchases" in capsys.readouterr().err
    assert main(["pricing", "experiment", "stop", "ada", *home]) == 1
    assert "no price test is running" in capsys.readouterr().err
