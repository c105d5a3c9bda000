"""The `studio` command: --json everywhere, errors on stderr with a non-zero exit."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from PIL import Image

from studio.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_init_creator_add_and_portfolio_flow_in_json(tmp_path, capsys):
    home = str(tmp_path / "h")
    code, out, _ = run(capsys, "init", "--home", home, "--json")
    assert code == 0 and json.loads(out)["schema_version"] >= 1
    code, out, _ = run(capsys, "creator", "add", "ada", "--name", "Ada L", "--level", "top_rated", "--home", home, "--json")
    assert code == 0 and json.loads(out)["vetted"] is True
    code, out, _ = run(capsys, "creator", "add", "neo", "--name", "Neo", "--level", "new", "--home", home, "--json")
    assert json.loads(out)["vetted"] is False

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, format="PNG")
    (tmp_path / "ok.png").write_bytes(buf.getvalue())
    (tmp_path / "bad.png").write_bytes(b"")
    code, out, err = run(capsys, "portfolio", "add", "ada", str(tmp_path / "ok.png"), str(tmp_path / "bad.png"),
                         "--consent", "client:ref-1", "--home", home, "--json")
    report = json.loads(out)
    assert code == 1  # something was rejected...
    assert [a["file"] for a in report["added"]] == ["ok.png"]  # ...but the good file is kept
    assert report["rejected"] == [{"file": "bad.png", "reason": "empty file (0 bytes)"}]
    assert "rejected bad.png: empty file (0 bytes)" in err

    code, out, _ = run(capsys, "portfolio", "list", "ada", "--home", home, "--json")
    [item] = json.loads(out)
    code, out, _ = run(capsys, "portfolio", "revoke", "ada", item["id"], "--home", home, "--json")
    assert code == 0 and json.loads(out)["active"] is False
    code, out, _ = run(capsys, "rights", "log", "--home", home, "--json")
    assert [e["kind"] for e in json.loads(out)][-2:] == ["consent.given", "consent.revoked"]


def test_errors_go_to_stderr_with_exit_one(tmp_path, capsys):
    home = str(tmp_path / "h")
    code, out, err = run(capsys, "portfolio", "add", "ghost", str(tmp_path), "--home", home)
    assert code == 1 and out == "" and err.strip() == "studio: error: no creator with handle 'ghost' (add one with `studio creator add`)"
    code, out, err = run(capsys, "creator", "add", "BAD HANDLE", "--name", "x", "--home", home, "--json")
    assert code == 1 and "handle" in json.loads(err)["error"]


def test_the_console_script_is_installed(tmp_path):
    exe = subprocess.run([sys.executable, "-c", "import shutil,sys,os; print(os.path.join(os.path.dirname(sys.executable), 'studio'))"],
                         capture_output=True, text=True).stdout.strip()
    result = subprocess.run([exe, "init", "--home", str(tmp_path / "h"), "--json"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["home"].endswith("/h")


def test_database_urls_are_shown_with_the_password_masked():
    from studio.config import masked_db_url

    assert masked_db_url("postgresql+psycopg://studio:s3cr%40t@db.example:5432/studio") == \
        "postgresql+psycopg://studio:***@db.example:5432/studio"
    assert masked_db_url("postgresql://studio@/postgres?host=/run/pg") == "postgresql://studio@/postgres?host=%2Frun%2Fpg"
    assert masked_db_url("postgresql://studio@/postgres?host=/run/pg&password=pw1&sslmode=require") == \
        "postgresql://studio@/postgres?host=%2Frun%2Fpg&password=***&sslmode=require"
    assert masked_db_url("sqlite:////srv/home/studio.db") == "sqlite:////srv/home/studio.db"
    assert "hunter2" not in masked_db_url("weird://me:hunter2@host/db?x=[")


def test_init_never_prints_the_database_password(tmp_path, capsys, monkeypatch):
    import types

    import studio.cli

    url = "postgresql+psycopg://studio:s3cret-pw@db.example:5432/studio"
    fake = types.SimpleNamespace(home=tmp_path, db_url=url, schema_version=3)
    monkeypatch.setattr(studio.cli, "open_studio", lambda args: fake)
    code, out, err = run(capsys, "init", "--json")
    assert code == 0 and "s3cret" not in out + err
    assert json.loads(out)["db"] == "postgresql+psycopg://studio:***@db.example:5432/studio"
    code, out, err = run(capsys, "init")
    assert code == 0 and "s3cret" not in out + err


@pytest.mark.postgres
def test_init_on_postgresql_with_a_password_prints_it_masked(pg_url, tmp_path, monkeypatch, capsys):
    # The throwaway server trusts local connections, so any password is accepted: a real run.
    with_password = pg_url.replace("studio@", "studio:s3cret-pw@")
    monkeypatch.setenv("STUDIO_DB_URL", with_password)
    code, out, err = run(capsys, "init", "--home", str(tmp_path / "h"), "--json")
    assert code == 0, err
    assert "s3cret" not in out + err and json.loads(out)["db"].startswith("postgresql+psycopg://studio:***@/postgres")


@pytest.mark.parametrize("argv", [["init"], ["creator", "list"], ["serve"], ["gc"]])
def test_an_empty_studio_home_is_a_one_line_error_and_creates_nothing(tmp_path, capsys, monkeypatch, argv):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("STUDIO_HOME", "")
    code, out, err = run(capsys, *argv)
    assert code == 1 and out == ""
    assert err == "studio: error: STUDIO_HOME is set but empty; set it to a folder, or unset it to use ./.studio\n"
    assert list(cwd.iterdir()) == []
