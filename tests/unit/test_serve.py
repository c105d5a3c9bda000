"""`studio serve`: Voila and every kernel stop on Ctrl-C, SIGTERM and SIGHUP; idle kernels are culled.

These run the real command in a subprocess on a free port with a one-cell dashboard, load the
page once over HTTP (which starts a kernel), and watch the process tree with psutil. No browser.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from studio.cli import build_parser
from studio.serve import DEFAULT_CULL_IDLE, voila_command

STOP_WITHIN = 15.0  # seconds: what systemd or a container runtime waits before SIGKILL


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _bindable(port: int) -> bool:
    """A new server could listen on the port (as Voila/tornado would, with SO_REUSEADDR)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
            return True
        except OSError:
            return False


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _kernels(family: list[psutil.Process]) -> list[psutil.Process]:
    out = []
    for p in family:
        try:
            if "ipykernel_launcher" in " ".join(p.cmdline()):
                out.append(p)
        except psutil.Error:
            pass
    return out


@pytest.fixture
def dashboard(tmp_path) -> Path:
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                     "source": ["print('tiny dashboard')"]}],
          "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                       "language_info": {"name": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "tiny.ipynb"
    path.write_text(json.dumps(nb))
    return path


@contextmanager
def studio_serve(tmp_path: Path, dashboard: Path, *extra: str):
    """`studio serve` in a subprocess (its own session, like a service); yields (process, port).

    It starts with SIGINT ignored, as a shell starts a background job: a stop signal must still stop it."""
    port = _free_port()
    log = tmp_path / "serve.log"
    cmd = [sys.executable, "-m", "studio.cli", "serve", str(dashboard), "--port", str(port),
           "--home", str(tmp_path / "home"), *extra]
    env = {k: v for k, v in os.environ.items() if k != "STUDIO_HOME"}
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=tmp_path, env=env,
                                start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    leftovers: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 60
        while not _answers(port):
            assert proc.poll() is None, f"studio serve exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"voila did not start within 60 s:\n{log.read_text()[-3000:]}"
            time.sleep(0.2)
        leftovers = psutil.Process(proc.pid).children(recursive=True)
        yield proc, port
    finally:  # whatever a failing test leaves, it leaves nothing running
        leftovers += [c for c in _family(proc) if c not in leftovers]
        if proc.poll() is None:
            proc.kill()
        for p in leftovers:
            try:
                p.kill()
            except psutil.Error:
                pass
        proc.wait(10)


def _family(proc) -> list[psutil.Process]:
    try:
        return psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        return []


def _load_page(port: int) -> None:
    """GET the dashboard once: Voila starts a kernel and runs the notebook in it."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=90) as resp:
        assert resp.status == 200 and b"tiny dashboard" in resp.read()


def test_voila_is_started_with_kernel_culling_and_an_exact_port(tmp_path):
    cmd = voila_command(tmp_path / "d.ipynb", 9999, "127.0.0.1")
    assert cmd[:4] == [sys.executable, "-m", "voila", str(tmp_path / "d.ipynb")]
    assert {"--port=9999", "--no-browser", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0",
            f"--MappingKernelManager.cull_idle_timeout={DEFAULT_CULL_IDLE}",
            "--MappingKernelManager.cull_interval=60",
            "--MappingKernelManager.cull_connected=False"} <= set(cmd)
    short = voila_command(tmp_path / "d.ipynb", 9999, "0.0.0.0", cull_idle=3)
    assert "--MappingKernelManager.cull_idle_timeout=3" in short and "--MappingKernelManager.cull_interval=1" in short
    assert not any("cull" in a for a in voila_command(tmp_path / "d.ipynb", 9999, "127.0.0.1", cull_idle=0))
    # The flag reaches the command, with a sensible default.
    assert build_parser().parse_args(["serve"]).cull_idle == DEFAULT_CULL_IDLE > 0
    assert build_parser().parse_args(["serve", "--cull-idle", "30"]).cull_idle == 30


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT],
                         ids=["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_stop_signal_stops_voila_and_every_kernel_and_frees_the_port(tmp_path, dashboard, signum):
    with studio_serve(tmp_path, dashboard) as (proc, port):
        _load_page(port)
        family = _family(proc)
        assert any("voila" in " ".join(p.cmdline()) for p in family)
        assert _kernels(family), "loading the page should have started a kernel"
        # The running Voila got the culling options from `studio serve` itself.
        voila = next(p for p in family if "-m voila" in " ".join(p.cmdline()))
        assert f"--MappingKernelManager.cull_idle_timeout={DEFAULT_CULL_IDLE}" in voila.cmdline()

        start = time.monotonic()
        os.kill(proc.pid, signum)  # the studio process only, as systemd or `docker stop` would
        code = proc.wait(STOP_WITHIN)
        while (time.monotonic() - start < STOP_WITHIN
               and (any(_alive(p) for p in family) or _answers(port) or not _bindable(port))):
            time.sleep(0.1)
        took = time.monotonic() - start
        survivors = [(p.pid, " ".join(p.cmdline())[:120]) for p in family if _alive(p)]
        assert survivors == [], f"still running {took:.1f} s after the signal"
        assert not _answers(port) and _bindable(port), f"port {port} still held {took:.1f} s after the signal"
        assert code == 0 and took < STOP_WITHIN
    assert "stopped" in (tmp_path / "serve.log").read_text()


@pytest.mark.slow
def test_a_kernel_whose_page_is_gone_is_culled_when_idle(tmp_path, dashboard):
    with studio_serve(tmp_path, dashboard, "--cull-idle", "2") as (proc, port):
        _load_page(port)  # a page load with no websocket after it: the kernel has no connection
        kernels = _kernels(_family(proc))
        assert kernels, "loading the page should have started a kernel"
        deadline = time.monotonic() + 30
        while any(_alive(k) for k in kernels) and time.monotonic() < deadline:
            time.sleep(0.25)
        assert not any(_alive(k) for k in kernels), "the idle kernel was not culled within 30 s"
        assert proc.poll() is None and _answers(port)  # the server itself keeps serving
    assert "Culling 'idle' kernel" in (tmp_path / "serve.log").read_text()
