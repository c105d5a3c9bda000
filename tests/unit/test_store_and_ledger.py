"""The store and the rights ledger: durable, upgradable, and tamper-evident."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

import studio
from studio import StudioError
from studio.cli import main
from studio.rights import ledger
from studio.store import SCHEMA_VERSION
from tests.unit.training_setup import png

DATA = Path(__file__).parent / "data"


def test_open_creates_sqlite_in_wal_mode_and_a_blob_store(st, home):
    assert (home / "studio.db").exists() and (home / "blobs").is_dir()
    with sqlite3.connect(home / "studio.db") as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_blob_store_names_files_by_sha256(st):
    import hashlib

    data = b"hello"
    digest = st.blobs.put(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert st.blobs.path(digest).read_bytes() == data
    assert st.blobs.put(data) == digest and len(st.blobs.files()) == 1


def test_intact_ledger_verifies(filled):
    result = filled.verify_ledger()
    assert result.ok and result.events == 5  # creator, three consents, one revocation


def _exec(st, sql: str) -> None:
    with st.engine.begin() as conn:
        conn.execute(text(sql))


def test_edited_row_is_caught_and_named(filled, capsys):
    _exec(filled, "UPDATE ledger_events SET payload = replace(payload, '\"own\"', '\"client\"') WHERE seq = 3")
    result = filled.verify_ledger()
    assert not result.ok and result.broken_seq == 3 and "edited" in result.reason
    assert main(["rights", "verify", "--home", str(filled.home)]) == 1
    assert "ledger broken at event 3" in capsys.readouterr().err


def test_deleted_row_is_caught(filled):
    _exec(filled, "DELETE FROM ledger_events WHERE seq = 2")
    result = filled.verify_ledger()
    assert not result.ok and result.broken_seq == 3 and "missing" in result.reason


def test_deleting_the_newest_event_is_caught(filled):
    _exec(filled, "DELETE FROM ledger_events WHERE seq = 5")
    result = filled.verify_ledger()
    assert not result.ok and "deleted" in result.reason


def test_reordered_history_is_caught(filled):
    _exec(filled, "UPDATE ledger_events SET created_at = '2020-01-01T00:00:00.000000Z' WHERE seq = 4")
    assert filled.verify_ledger().broken_seq == 4


def test_verify_command_exits_zero_on_an_intact_ledger(filled, capsys):
    assert main(["rights", "verify", "--home", str(filled.home), "--json"]) == 0
    assert '"ok": true' in capsys.readouterr().out


def test_a_change_and_its_event_commit_together_or_not_at_all(vetted, tmp_path, monkeypatch):
    (tmp_path / "a.png").write_bytes(png("red"))

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(ledger, "append", crash)
    with pytest.raises(RuntimeError):
        vetted.add_to_portfolio("ada", [tmp_path / "a.png"])
    with pytest.raises(RuntimeError):
        vetted.add_creator("bob", "Bob", "level2")
    monkeypatch.undo()
    assert vetted.portfolio("ada") == []
    assert [c.handle for c in vetted.creators()] == ["ada"]
    assert vetted.verify_ledger().ok


def test_an_older_home_is_upgraded_without_losing_data(tmp_path):
    home = tmp_path / "old-home"
    home.mkdir()
    with sqlite3.connect(home / "studio.db") as con:  # a home written by schema version 1
        con.executescript((DATA / "home-v1.sql").read_text())
    st = studio.open(home)
    assert (st.schema_found, st.schema_version) == (1, SCHEMA_VERSION)
    assert st.creator("ada").name == "Ada Lovelace"
    assert [v.consent for v in st.portfolio("ada")] == ["client:order-1"]
    assert st.verify_ledger().ok
    # The new version's features work on the upgraded home.
    with st.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM assistant_qa")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM payout_lines")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM purchases WHERE mark_id IS NOT NULL")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM edit_requests WHERE creator_id IS NOT NULL OR quoted_at IS NOT "
                                 "NULL OR delivered_sha256 IS NOT NULL")).scalar() == 0  # schema 5's columns
    assert st.plans("ada") == []  # ada's plan label was "free": no subscription
    assert st.subscribe_plan("ada").active and st.verify_ledger().ok
    st.close()
    assert studio.open(home).schema_found == SCHEMA_VERSION  # nothing left to do the second time


def test_an_older_home_s_creators_on_a_paid_plan_get_an_active_creation_plan_once(tmp_path):
    home = tmp_path / "old-home"
    home.mkdir()
    with sqlite3.connect(home / "studio.db") as con:  # a schema 1 home whose creator paid for the "creator" plan
        con.executescript((DATA / "home-v1.sql").read_text())
        con.execute("UPDATE creators SET plan = 'creator', plan_cents = 2500")
    st = studio.open(home)
    (plan,) = st.plans("ada")
    assert plan.active and plan.plan == "creation" and plan.cents == 2500
    (event,) = st.ledger_events(kind="plan.subscribed")
    assert event["payload"]["adopted_from"] == "creator"
    assert st.verify_ledger().ok
    st.close()
    again = studio.open(home)
    assert len(again.plans("ada")) == 1 and again.verify_ledger().ok


def test_a_home_from_a_newer_version_is_refused_clearly(st, home):
    _exec(st, "UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    st.close()
    with pytest.raises(StudioError, match="schema version 99, newer than this code"):
        studio.open(home)


def test_import_studio_does_not_import_heavy_libraries():
    import subprocess
    import sys

    code = "import sys, studio; print(sorted(m for m in ('torch', 'diffusers', 'gradio', 'transformers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
