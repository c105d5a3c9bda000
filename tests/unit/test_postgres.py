"""The same store code on PostgreSQL (STUDIO_DB_URL), against a throwaway server (the `pg_url` fixture).

Starts Debian's PostgreSQL (`apt-get install postgresql`) in a temporary folder. Outside
CI a machine without it skips; in CI (CI=true) it must run.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

import studio
from studio.cli import main

pytestmark = pytest.mark.postgres


def test_the_studio_runs_on_postgresql(pg_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("STUDIO_DB_URL", pg_url)
    st = studio.open(tmp_path / "home")
    assert st.engine.dialect.name == "postgresql"
    st.add_creator("ada", "Ada Lovelace", "pro")
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), "teal").save(buf, format="PNG")
    (tmp_path / "a.png").write_bytes(buf.getvalue())
    item = st.add_to_portfolio("ada", [tmp_path / "a.png"], consent="client:order-9").added[0]["item"]
    st.revoke("ada", item)
    assert st.portfolio("ada")[0].consent == "client:order-9" and not st.portfolio("ada")[0].active
    assert st.verify_ledger().ok
    st.close()
    # The CLI honours STUDIO_DB_URL too, and catches tampering there as well.
    assert main(["rights", "verify", "--home", str(tmp_path / "home")]) == 0
    st = studio.open(tmp_path / "home")
    with st.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE ledger_events SET subject = 'someone-else' WHERE seq = 2")
    assert main(["rights", "verify", "--home", str(tmp_path / "home")]) == 1
    assert "event 2" in capsys.readouterr().err


def test_plans_purchases_and_concurrent_payouts_on_postgresql(pg_url, tmp_path, monkeypatch, random_base,
                                                              portfolio_dir):
    """Without SQLite's single writer, the ledger's lock is what keeps a check true until its commit."""
    import dataclasses

    from sqlalchemy import create_engine

    from studio.store.tables import ModelVersion
    from tests.unit.test_payouts import payouts_at_once
    from tests.unit.training_setup import FAST

    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("CREATE DATABASE sales")
    admin.dispose()
    monkeypatch.setenv("STUDIO_DB_URL", pg_url.replace("/postgres?", "/sales?"))
    st = studio.open(tmp_path / "home")
    st.add_creator("ada", "Ada Lovelace", "pro")
    st.subscribe_plan("ada")
    st.add_to_portfolio("ada", [portfolio_dir])
    v = st.train("ada", base=str(random_base), trigger="adastyle", **FAST)
    with st.transaction() as s:
        s.get(ModelVersion, v.id).scores = {"passed": True}
    st.publish("ada", price_cents=700)
    previews = st.generate("ada", "a red circle", n=2, seed=1, buyer="bob@example.com")
    bought = st.buy(previews[0].id, "bob@example.com", tmp_path / "out")
    assert (bought.fee_cents, bought.creator_cents) == (140, 560)
    policy = dataclasses.replace(st.policy, payout_minimum_cents=500)
    assert payouts_at_once(tmp_path / "home", policy) == [0, 0, 0, 560]
    assert st.verify_file(tmp_path / "out" / f"{previews[0].id}.png")["ok"]
    assert st.verify_ledger(deep=True).ok
    st.close()
