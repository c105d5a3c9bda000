"""The same store code on PostgreSQL (STUDIO_DB_URL), against a throwaway server.

Starts Debian's PostgreSQL (`apt-get install postgresql`) in a temporary folder. Outside
CI a machine without it skips; in CI (CI=true) it must run.
"""

from __future__ import annotations

import glob
import io
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image

import studio
from studio.cli import main

pytestmark = pytest.mark.postgres


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name)]
    return found[-1]


@pytest.fixture(scope="module")
def pg_url():
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    missing = not initdb or not pg_ctl
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing = True
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("PostgreSQL or psycopg is not installed, and CI must run this test")
        pytest.skip("PostgreSQL server binaries or psycopg not installed")
    # PostgreSQL refuses to run as root: run it as the 'postgres' user when we are root.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    root = Path(tempfile.mkdtemp(prefix="studio-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if as_user:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run([*as_user, initdb, "-D", str(data), "-U", "studio", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    subprocess.run([*as_user, pg_ctl, "-D", str(data), "-w", "-l", str(root / "log"), "-o",
                    f"-p {port} -k {sock} -c listen_addresses=''", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://studio@/postgres?host={sock}&port={port}"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


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
