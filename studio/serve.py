"""Serving the apps: Voila (the dashboards) and the storefront, stopped with all their processes on any signal.

`studio serve DASHBOARD` runs Voila on one notebook; `studio serve storefront` the Gradio storefront;
`studio up` both: Voila on the dashboards folder (its tree page lists creator, pricing-lab and
rights-desk) and the storefront. Each server runs in a session of its own, so the terminal's Ctrl-C
reaches only this process, which then stops every group it started. What systemd, a container
runtime or a supervisor sends (SIGTERM, SIGHUP) does the same as Ctrl-C: every server and every
kernel Voila started is stopped and the ports are free within `STOP_GRACE` plus a few seconds.
Dashboard kernels left idle with no page open are culled.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CULL_IDLE = 600  # seconds a dashboard kernel with no browser connected may sit idle
STOP_GRACE = 8.0  # seconds the servers get to shut down (Voila its kernels) before they are killed
DEFAULT_HOST = "127.0.0.1"  # 0.0.0.0 to serve other machines (behind a reverse proxy)
VOILA_PORT = 8866
STOREFRONT_PORT = 7860
DASHBOARDS = Path(__file__).resolve().parents[1] / "notebooks" / "dashboards"
DASHBOARD_NAMES = ("creator", "pricing-lab", "rights-desk")


def voila_command(notebook: Path, port: int, ip: str, cull_idle: int = DEFAULT_CULL_IDLE) -> list[str]:
    """The Voila command line for a notebook (or a folder of them: its tree page lists them).

    Each page load starts a kernel; one whose page is gone (no websocket connected) and idle for
    ``cull_idle`` seconds is shut down (0 turns culling off). A kernel with a page still open is
    kept, however long it idles. The port is exact: a busy port is an error, not another port.
    """
    cmd = [sys.executable, "-m", "voila", str(notebook), f"--port={port}", "--no-browser",
           f"--Voila.ip={ip}", "--Voila.port_retries=0"]
    if cull_idle > 0:
        cmd += [f"--MappingKernelManager.cull_idle_timeout={cull_idle}",
                f"--MappingKernelManager.cull_interval={max(1, min(60, cull_idle // 2))}",
                "--MappingKernelManager.cull_connected=False"]
    return cmd


def storefront_command(port: int, host: str) -> list[str]:
    """The storefront's command line (`python -m studio.storefront`); the home comes from STUDIO_HOME."""
    return [sys.executable, "-m", "studio.storefront", "--port", str(port), "--host", host]


def url(host: str, port: int, path: str = "") -> str:
    """Where a person on this machine opens a server listening on ``host``."""
    shown = "localhost" if host in ("0.0.0.0", "::", "127.0.0.1") else host
    return f"http://{shown}:{port}/{path}"


@dataclass(frozen=True)
class Server:
    name: str
    command: list[str]
    urls: tuple[str, ...]


def dashboards_server(port: int, host: str, cull_idle: int = DEFAULT_CULL_IDLE) -> Server:
    return Server("dashboards", voila_command(DASHBOARDS, port, host, cull_idle),
                  tuple(url(host, port, f"voila/render/{n}.ipynb") for n in DASHBOARD_NAMES))


def storefront_server(port: int, host: str) -> Server:
    return Server("storefront", storefront_command(port, host), (url(host, port),))


class _Stop(Exception):
    """A stop signal (SIGTERM, SIGHUP) arrived while serving."""


def _raise_stop(signum, _frame):
    raise _Stop(signum)


def _stop_all(procs: list[subprocess.Popen]) -> None:
    """SIGTERM every server's process group at once, then make sure no process any of them started is left.

    Kernels run in sessions of their own (jupyter_client starts them so), so they are listed
    before the signal and any Voila did not shut down is terminated, then killed.
    """
    import psutil

    family = []
    for proc in procs:
        try:
            family += psutil.Process(proc.pid).children(recursive=True)
        except psutil.Error:
            pass
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + STOP_GRACE
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    alive = family
    for stop, wait in (("terminate", 1), ("kill", 2)):  # kernels Voila did not shut down
        _gone, alive = psutil.wait_procs(alive, timeout=wait)
        for p in alive:
            try:
                getattr(p, stop)()
            except psutil.Error:
                pass


def run(servers: list[Server], home: Path, say: Callable[[str], None] = print) -> int:
    """Run the servers until one exits or a stop signal arrives; then stop them all.

    Returns 0 when stopped by a signal, else the exit code of the server that ended first."""
    env = dict(os.environ, STUDIO_HOME=str(Path(home).resolve()))
    # SIGINT too, explicitly: a process started with SIGINT ignored (a background job, some test
    # runners) would otherwise never see Ctrl-C or `kill -INT` and leave the servers running.
    handled = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
    previous = {sig: signal.signal(sig, _raise_stop) for sig in handled}
    procs: list[subprocess.Popen] = []
    try:
        for server in servers:
            procs.append(subprocess.Popen(server.command, env=env, start_new_session=True))
        for server in servers:
            say(f"{server.name}: " + "  ".join(server.urls))
        say("Ctrl-C stops " + ("them" if len(servers) > 1 else "it"))
        while True:
            ended = next((p for p in procs if p.poll() is not None), None)
            if ended is not None:
                return ended.returncode
            time.sleep(0.2)
    except (KeyboardInterrupt, _Stop):
        return 0
    finally:
        for sig in previous:  # a second signal (or Ctrl-C) while stopping must not cut the cleanup short
            signal.signal(sig, signal.SIG_IGN)
        if any(p.poll() is None for p in procs):
            _stop_all(procs)
            try:
                say("stopped")
            except OSError:
                pass  # the terminal that would show it is gone (SIGHUP)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve(notebook: Path, port: int, ip: str, home: Path, cull_idle: int = DEFAULT_CULL_IDLE,
          say: Callable[[str], None] = print) -> int:
    """Run Voila on one ``notebook`` until it exits or a stop signal arrives (0 when stopped)."""
    server = Server(notebook.stem, voila_command(notebook, port, ip, cull_idle), (url(ip, port),))
    return run([server], home, say)
