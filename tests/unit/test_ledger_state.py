"""`studio rights verify` proves the state, not just the chain: the reviewer's reproductions, each caught."""

from __future__ import annotations

import hashlib
import json
import os
import stat

import pytest
from sqlalchemy import text

import studio
from studio.cli import main
from studio.errors import StudioError
from studio.rights import ledger
from tests.unit.training_setup import FAST, png

pytestmark = pytest.mark.filterwarnings("ignore")


def _sql(st, sql: str, **params):
    with st.engine.begin() as conn:
        return conn.execute(text(sql), params)


def _rechain(st) -> None:
    """What an attacker with the database (but not the key) does after editing events: recompute every
    hash and the head, so the chain itself holds together again."""
    rows = _sql(st, "SELECT seq, id, kind, subject, payload, created_at FROM ledger_events ORDER BY seq").all()
    prev = ledger.GENESIS
    for seq, eid, kind, subject, payload, created in rows:
        digest = ledger._event_hash(prev, seq, eid, kind, subject, payload, created)
        _sql(st, "UPDATE ledger_events SET prev_hash = :p, hash = :h WHERE seq = :s", p=prev, h=digest, s=seq)
        prev = digest
    _sql(st, "UPDATE meta SET value = :v WHERE key = 'ledger_head'", v=f"{len(rows)}:{prev}")


def test_an_intact_home_verifies_with_its_state(filled, capsys):
    v = filled.verify_ledger(deep=True)
    assert v.ok and v.problems == [] and v.checked["consent record"] == 3 and v.checked["files re-hashed"] == 3
    assert main(["rights", "verify", "--deep", "--home", str(filled.home)]) == 0
    assert "ledger, database and files agree" in capsys.readouterr().out


def test_a_revoked_consent_set_back_to_active_in_the_database_is_caught_and_never_trained_on(filled, random_base,
                                                                                              capsys):
    _sql(filled, "UPDATE consent_records SET revoked_at = NULL")
    v = filled.verify_ledger()
    assert not v.ok and "active is True in the database but False in the ledger" in v.reason
    assert main(["rights", "verify", "--home", str(filled.home)]) == 1
    assert "consent record" in capsys.readouterr().err
    with pytest.raises(StudioError, match="does not match the rights ledger; nothing was trained"):
        filled.train("ada", base=str(random_base), **FAST)
    assert filled.runs() == [] and filled.models("ada") == []


def test_a_blob_overwritten_on_disk_is_found_by_a_deep_verify_and_never_trained_on(filled, random_base):
    item = filled.portfolio("ada")[1]
    path = filled.blobs.path(item.sha256)
    os.chmod(path, 0o600)
    path.write_bytes(png("black"))
    assert filled.verify_ledger().ok  # the tables still agree with the ledger...
    deep = filled.verify_ledger(deep=True)
    assert not deep.ok and f"blob {item.sha256} was changed on disk" in deep.reason
    with pytest.raises(StudioError, match="was changed on disk"):  # and it is never trained on as the original
        filled.train("ada", base=str(random_base), **FAST)


def test_deleting_the_newest_event_and_rewriting_the_head_is_caught(filled):
    _sql(filled, "DELETE FROM ledger_events WHERE seq = (SELECT max(seq) FROM ledger_events)")
    _rechain(filled)
    assert filled.verify_ledger().reason.startswith("the ledger head's signature is missing or does not match")


def test_rewriting_a_payload_and_recomputing_the_chain_is_caught(filled):
    row = _sql(filled, "SELECT seq, payload FROM ledger_events WHERE kind = 'consent.revoked'").one()
    payload = json.loads(row.payload)
    payload["reason"] = "never happened"
    _sql(filled, "UPDATE ledger_events SET payload = :p WHERE seq = :s", p=ledger.canonical_json(payload), s=row.seq)
    _rechain(filled)
    v = filled.verify_ledger()
    assert not v.ok and "signature" in v.reason


def test_an_emptied_ledger_is_caught_with_or_without_its_signature(filled):
    _sql(filled, "DELETE FROM ledger_events")
    _sql(filled, "DELETE FROM meta WHERE key = 'ledger_head'")
    v = filled.verify_ledger()
    assert not v.ok and "empty but its head was signed" in v.reason
    _sql(filled, "DELETE FROM meta WHERE key = 'ledger_head_signature'")
    v = filled.verify_ledger()
    assert not v.ok and "the ledger is empty but the database holds 1 creator rows, 3 consent record rows" in v.reason


def test_rows_without_events_and_events_without_rows_are_both_named(filled):
    item = filled.portfolio("ada")[2]
    _sql(filled, "INSERT INTO blobs (sha256, size, media_type, created_at) VALUES (:s, 1, 'image/png', '2026-01-01')",
         s="0" * 64)
    _sql(filled, "UPDATE portfolio_items SET blob_sha256 = :s WHERE id = :i", s="0" * 64, i=item.id)
    _sql(filled, "INSERT INTO creators (id, handle, name, level, vetted, plan, plan_cents, created_at) "
                 "VALUES ('cr_forged', 'eve', 'Eve', 'pro', 1, 'free', 0, '2026-01-01')")
    problems = filled.verify_ledger().problems
    assert any(f"portfolio item {item.id}: sha256 is '{'0' * 64}'" in p for p in problems)
    assert "creator cr_forged is in the database but no ledger event created it" in problems


def test_a_changed_price_and_a_re_enabled_model_are_caught(trained):
    from studio.store.tables import ModelVersion

    with trained.transaction() as s:
        s.get(ModelVersion, trained.models("ada")[0].id).scores = {"passed": True, "style_distance_model": 0,
                                                                    "style_distance_base": 1}
    trained.publish("ada", price_cents=300)
    trained.disable_model("ada")
    assert trained.verify_ledger(deep=True).ok
    _sql(trained, "UPDATE prices SET cents = 1")
    _sql(trained, "UPDATE models SET status = 'published'")
    problems = trained.verify_ledger().problems
    assert any("cents is 1 in the database but 300 in the ledger" in p for p in problems)
    assert any("disabled is False in the database but True in the ledger" in p for p in problems)


def test_a_weights_file_changed_after_training_is_found(trained):
    weights = trained.models("ada")[0].path / "pytorch_lora_weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:-8] + b"\0" * 8)
    v = trained.verify_ledger(deep=True)
    assert not v.ok and "its weights file was changed after training" in v.reason


def test_the_home_and_its_secrets_are_readable_by_their_owner_only(st, home):
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "studio.db").stat().st_mode) == 0o600
    key = home / "keys" / "studio-signing-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and stat.S_IMODE(key.parent.stat().st_mode) == 0o700


def test_a_lost_key_is_reported_and_nothing_is_written_without_it(filled):
    (filled.home / "keys" / "studio-signing-key.pem").unlink()
    again = studio.open(filled.home)
    assert not (filled.home / "keys" / "studio-signing-key.pem").exists()  # not silently replaced
    v = again.verify_ledger()
    assert not v.ok and "signing key is missing" in v.reason
    with pytest.raises(StudioError, match="signing key is missing"):
        again.add_creator("bea", "Bea")
    assert [c.handle for c in again.creators()] == ["ada"]


def test_a_home_from_before_signing_adopts_a_key_on_first_open(filled):
    (filled.home / "keys" / "studio-signing-key.pem").unlink()
    _sql(filled, "DELETE FROM meta WHERE key = 'ledger_head_signature'")
    again = studio.open(filled.home)
    assert again.verify_ledger().ok and (filled.home / "keys" / "studio-signing-key.pem").is_file()
    digest = hashlib.sha256((filled.home / "keys" / "studio-signing-key.pem").read_bytes()).hexdigest()
    assert len(digest) == 64


def test_two_train_processes_for_one_creator_at_once_write_two_versions(vetted_with_portfolio, random_base):
    import subprocess
    import sys

    home = str(vetted_with_portfolio.home)
    cmd = [sys.executable, "-m", "studio.cli", "train", "ada", "--base", str(random_base), "--home", home, "--json",
           *[f"--{k.replace('_', '-')}={v}" for k, v in FAST.items()]]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-500:] for o in outs]
    numbers = sorted(json.loads(o[0])["number"] for o in outs)
    assert numbers == [1, 2]
    st = studio.open(home)
    paths = {v.path for v in st.models("ada")}
    assert len(paths) == 2 and all((p / "pytorch_lora_weights.safetensors").is_file() for p in paths)
    assert st.verify_ledger(deep=True).ok
