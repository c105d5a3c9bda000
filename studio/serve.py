"""Serving a dashboard: Voila in its own session, stopped with all its kernels on Ctrl-C, SIGTERM or SIGHUP.

`studio serve` (and later `studio up`) call :func:`serve`. What systemd, a container runtime or a
supervisor sends (SIGTERM, SIGHUP) stops Voila and every kernel it started, as Ctrl-C does, and
frees the port; dashboard kernels left idle with no page open are culled.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

DEFAULT_CULL_IDLE = 600  # seconds a dashboard kernel with no browser connected may sit idle
STOP_GRACE = 8.0  # seconds Voila gets to shut its kernels down before it is killed


def voila_command(notebook: Path, port: int, ip: str, cull_idle: int = DEFAULT_CULL_IDLE) -> list[str]:
    """The Voila command line `studio serve` runs.

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


class _Stop(Exception):
    """A stop signal (SIGTERM, SIGHUP) arrived while serving."""


def _raise_stop(signum, _frame):
    raise _Stop(signum)


def _stop_process_tree(proc) -> None:
    """SIGTERM Voila's process group, then make sure no process it started is left.

    Kernels run in sessions of their own (jupyter_client starts them so), so they are listed
    before the signal and any Voila did not shut down is terminated, then killed.
    """
    import psutil

    try:
        family = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        family = []
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(STOP_GRACE)
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


def serve(notebook: Path, port: int, ip: str, home: Path, cull_idle: int = DEFAULT_CULL_IDLE,
          say: Callable[[str], None] = print) -> int:
    """Run Voila on ``notebook`` until it exits or a stop signal arrives; returns its exit code (0 when stopped)."""
    env = dict(os.environ, STUDIO_HOME=str(Path(home).resolve()))
    # SIGINT too, explicitly: a process started with SIGINT ignored (a background job, some test
    # runners) would otherwise never see Ctrl-C or `kill -INT` and leave Voila running.
    handled = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
    previous = {sig: signal.signal(sig, _raise_stop) for sig in handled}
    proc = None
    try:
        # Its own session: the terminal's Ctrl-C reaches only this process, which stops the group.
        proc = subprocess.Popen(voila_command(notebook, port, ip, cull_idle), env=env, start_new_session=True)
        say(f"Serving {notebook.name} on http://localhost:{port}  (Ctrl-C stops it)")
        return proc.wait()
    except (KeyboardInterrupt, _Stop):
        return 0
    finally:
        for sig in previous:  # a second signal (or Ctrl-C) while stopping must not cut the cleanup short
            signal.signal(sig, signal.SIG_IGN)
        if proc is not None and proc.poll() is None:
            _stop_process_tree(proc)
            try:
                say("stopped")
            except OSError:
                pass  # the terminal that would show it is gone (SIGHUP)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
