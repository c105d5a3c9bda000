"""Buyer accounts: passwords kept only as salted scrypt hashes, logins checked, clear refusals, the schema step."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

import studio
from studio import StudioError
from studio.cli import main
from studio.marketplace import accounts
from studio.store import make_engine
from studio.store.schema import SCHEMA_VERSION, UPGRADES
from studio.store.tables import TABLES_BY_VERSION

PASSWORD = "correct horse battery"
DATA = Path(__file__).parent / "data"


@pytest.fixture
def st(tmp_path):
    s = studio.open(tmp_path / "home")
    yield s
    s.close()


def _stored(st) -> list[tuple[str, str]]:
    with st.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT email, password_hash FROM buyer_accounts"))]


def test_a_buyer_registers_and_logs_in_and_only_a_salted_hash_is_kept(st):
    assert st.register_buyer("  Ana@Example.com ", PASSWORD) == "ana@example.com"
    st.register_buyer("ben@example.com", PASSWORD)
    assert st.authenticate_buyer("ana@example.com", PASSWORD)
    assert st.authenticate_buyer("ANA@example.com", PASSWORD)  # the email is one identity, whatever its case
    assert st.buyers() == ["ana@example.com", "ben@example.com"]
    (ana, ana_hash), (_ben, ben_hash) = _stored(st)
    assert PASSWORD not in ana_hash and PASSWORD.encode().hex() not in ana_hash
    assert ana_hash.startswith("scrypt$") and ana_hash != ben_hash  # same password, different salts
    raw = (st.home / "studio.db").read_bytes()
    assert PASSWORD.encode() not in raw


@pytest.mark.parametrize("email, password", [
    ("ana@example.com", "correct horse batterY"), ("ana@example.com", ""), ("ana@example.com", "x" * 5000),
    ("nobody@example.com", PASSWORD), ("not an email", PASSWORD), ("", "")])
def test_a_wrong_password_or_an_unknown_email_is_refused(st, email, password):
    st.register_buyer("ana@example.com", PASSWORD)
    assert st.authenticate_buyer(email, password) is False


def test_refusals_say_what_is_wrong_and_store_nothing(st):
    for email, password, why in [("ana", PASSWORD, "email address"), ("ana@example.com", "", "empty"),
                                 ("ana@example.com", "   ", "empty"), ("ana@example.com", "short", "too short"),
                                 ("ana@example.com", "aaaaaaaaaaaa", "too weak"),
                                 ("ana@example.com", "y" * 2000, "too long")]:
        with pytest.raises(StudioError, match=why):
            st.register_buyer(email, password)
    assert st.buyers() == []
    st.register_buyer("ana@example.com", PASSWORD)
    with pytest.raises(StudioError, match="already a buyer account for ana@example.com"):
        st.register_buyer("ANA@example.com", "another good one")
    assert st.authenticate_buyer("ana@example.com", PASSWORD)  # the first password still stands


def test_the_hash_is_compared_in_constant_time_and_is_self_describing(monkeypatch):
    stored = accounts.hash_password(PASSWORD)
    kind, n, r, p, salt, key = stored.split("$")
    assert (kind, int(n), int(r), int(p)) == ("scrypt", accounts.SCRYPT_N, accounts.SCRYPT_R, accounts.SCRYPT_P)
    assert len(bytes.fromhex(salt)) == accounts.SALT_BYTES and len(bytes.fromhex(key)) == accounts.KEY_BYTES
    compared = []
    real = accounts.hmac.compare_digest
    monkeypatch.setattr(accounts.hmac, "compare_digest", lambda a, b: compared.append(1) or real(a, b))
    assert accounts.password_matches(PASSWORD, stored) and not accounts.password_matches("nope", stored)
    assert len(compared) == 2


def test_the_cli_adds_a_buyer_from_stdin_and_never_prints_the_password(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["buyer", "add", "ana@example.com", "--password-stdin", "--home", str(home)]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["buyer", "add", "ben@example.com", "--password-stdin", "--home", str(home)]) == 1
    assert main(["buyer", "list", "--home", str(home)]) == 0
    out = capsys.readouterr()
    assert "too short" in out.err and "ana@example.com" in out.out and "ben@" not in out.out
    assert PASSWORD not in out.out + out.err and "short\n" not in out.err
    st = studio.open(home)
    assert st.authenticate_buyer("ana@example.com", PASSWORD)
    st.close()


def test_a_home_from_the_version_before_accounts_is_upgraded(tmp_path):
    """A real home of the version before: the schema 1 home of the store tests, upgraded step by step to it."""
    version = next(v for v, names in TABLES_BY_VERSION.items() if "buyer_accounts" in names)
    home = tmp_path / "home"
    home.mkdir()
    with sqlite3.connect(home / "studio.db") as con:
        con.executescript((DATA / "home-v1.sql").read_text())
    engine = make_engine(f"sqlite:///{home / 'studio.db'}")
    for step in range(2, version):
        with engine.begin() as conn:
            UPGRADES[step](conn)
            conn.execute(text(f"UPDATE meta SET value = '{step}' WHERE key = 'schema_version'"))
    engine.dispose()
    st = studio.open(home)
    assert (st.schema_found, st.schema_version) == (version - 1, SCHEMA_VERSION)
    assert st.creator("ada").name == "Ada Lovelace" and st.buyers() == []
    st.register_buyer("ana@example.com", PASSWORD)
    assert st.authenticate_buyer("ana@example.com", PASSWORD) and st.verify_ledger().ok
    st.close()
