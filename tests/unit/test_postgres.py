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
