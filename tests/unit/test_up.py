"""`studio up`: the dashboards (Voila) and the storefront from one command; a stop signal stops both.

The real command in a subprocess on two free ports, watched with psutil. No browser."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest

from studio.cli import build_parser
from studio.serve import DEFAULT_HOST, STOREFRONT_PORT, VOILA_PORT, dashboards_server, storefront_server
from tests.unit.test_serve import STOP_WITHIN, _alive, _answers, _bindable, _free_port


def test_up_serves_the_dashboards_folder_and_the_storefront_on_the_declared_ports():
    args = build_parser().parse_args(["up"])
    assert (args.host, args.port, args.storefront_port) == (DEFAULT_HOST, VOILA_PORT, STOREFRONT_PORT)
    assert build_parser().parse_args(["up", "--host", "0.0.0.0"]).host == "0.0.0.0"
    voila = dashboards_server(VOILA_PORT, "0.0.0.0")
    assert voila.command[3].endswith("notebooks/dashboards") and "--Voila.ip=0.0.0.0" in voila.command
    assert [u.rsplit("/", 1)[1] for u in voila.urls] == ["creator.ipynb", "pricing-lab.ipynb", "rights-desk.ipynb"]
    shop = storefront_server(STOREFRONT_PORT, "0.0.0.0")
    assert shop.command[1:3] == ["-m", "studio.storefront"] and shop.urls == ("http://localhost:7860/",)


@pytest.mark.slow
def test_sigterm_stops_up_leaving_no_process_and_both_ports_free(tmp_path):
    voila_port, shop_port = _free_port(), _free_port()
    log = tmp_path / "up.log"
    env = {k: v for k, v in os.environ.items() if k != "STUDIO_HOME"}
    env["OMP_NUM_THREADS"] = "1"
    cmd = [sys.executable, "-m", "studio.cli", "up", "--port", str(voila_port), "--storefront-port", str(shop_port),
           "--home", str(tmp_path / "home")]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=tmp_path, env=env,
                                start_new_session=True)
    family: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 120
        while not (_answers(voila_port) and _answers(shop_port)):
            assert proc.poll() is None, f"studio up exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"the servers did not start:\n{log.read_text()[-3000:]}"
            time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{voila_port}/", timeout=30) as resp:  # the tree page
            assert resp.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{voila_port}/voila/api/contents", timeout=30) as resp:
            listed = {item["name"] for item in json.load(resp)["content"]}  # what the tree page lists
        assert {"creator.ipynb", "pricing-lab.ipynb", "rights-desk.ipynb"} <= listed
        text = log.read_text()
        assert f"http://localhost:{voila_port}/voila/render/creator.ipynb" in text
        assert f"http://localhost:{shop_port}/" in text
        family = psutil.Process(proc.pid).children(recursive=True)
        assert len(family) >= 2

        start = time.monotonic()
        os.kill(proc.pid, signal.SIGTERM)  # the studio process only, as systemd or `docker stop` would
        code = proc.wait(STOP_WITHIN)
        while time.monotonic() - start < STOP_WITHIN and (
                any(_alive(p) for p in family) or not all(_bindable(p) for p in (voila_port, shop_port))):
            time.sleep(0.1)
        took = time.monotonic() - start
        survivors = [(p.pid, " ".join(p.cmdline())[:120]) for p in family if _alive(p)]
        assert survivors == [], f"still running {took:.1f} s after SIGTERM"
        for port in (voila_port, shop_port):
            assert not _answers(port) and _bindable(port), f"port {port} still held {took:.1f} s after SIGTERM"
        assert code == 0 and took < STOP_WITHIN
        assert "stopped" in log.read_text()
    finally:  # whatever a failing test leaves, it leaves nothing running
        family += [c for c in psutil.Process(proc.pid).children(recursive=True) if c not in family] \
            if proc.poll() is None else []
        if proc.poll() is None:
            proc.kill()
        for p in family:
            try:
                p.kill()
            except psutil.Error:
                pass
        proc.wait(10)
