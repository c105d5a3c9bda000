"""The `studio` command: --json everywhere, errors on stderr with a non-zero exit."""

from __future__ import annotations

import io
import json
import subprocess
import sys

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
