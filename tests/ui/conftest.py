"""Browser tests: serve a dashboard with Voila on a free port, drive it in headless Chromium.

Chromium is Debian's (`apt-get install chromium`), driven by Playwright through
`executable_path`; nothing is downloaded. Outside CI a missing browser skips
these tests with the reason; in CI (CI=true) it fails them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

import studio
from studio import samples

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


def _unavailable(reason: str):
    # never skipped: a browser test that did not run proves nothing (.ci/run installs Debian's chromium)
    pytest.fail(f"browser test cannot run: {reason} (apt-get install -y chromium, or set CHROMIUM_PATH)")


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if not path:
        _unavailable("Debian's chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(120_000)  # Voila starts a kernel per page
    pg = context.new_page()
    yield pg
    context.close()


SCREENSHOTS = ROOT / "docs" / "images"  # the README's pictures of each app, retaken by every run of these tests
SCREENSHOT_WIDTH = 1200
SCREENSHOT_MAX_BYTES = 300_000


def screenshot(page, name: str, height: int = 900) -> Path:
    """Save what the page shows as `docs/images/NAME.png`, 1200 px wide, under 300 KB (a 256-colour PNG if
    the full-colour one is larger). The README shows these; a test run brings them up to date."""
    from PIL import Image

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    page.set_viewport_size({"width": SCREENSHOT_WIDTH, "height": height})
    page.wait_for_timeout(300)  # let the layout settle at the new width
    page.screenshot(path=str(target))
    if target.stat().st_size > SCREENSHOT_MAX_BYTES:
        with Image.open(target) as im:
            small = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        small.save(target, optimize=True)
    assert target.stat().st_size <= SCREENSHOT_MAX_BYTES, f"{target.name} is {target.stat().st_size} bytes"
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_voila(notebook: str, home: Path, log: Path, env: dict | None = None):
    """Run `voila NOTEBOOK` against a studio home; yields the page URL."""
    port = free_port()
    full_env = {**os.environ, "STUDIO_HOME": str(home), **(env or {})}
    cmd = [sys.executable, "-m", "voila", str(ROOT / notebook), f"--port={port}", "--no-browser",
           "--Voila.ip=127.0.0.1", "--show_tracebacks=True"]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, env=full_env, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"voila exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(url + "api/status", timeout=2)
                break
            except urllib.error.HTTPError:
                break  # any HTTP answer means the server is up
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"voila did not start within 60 s:\n{log.read_text()[-3000:]}")
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def seeded_home(tmp_path):
    """A studio home with the three sample creators (small portfolios, for speed)."""
    home = tmp_path / "home"
    s = studio.open(home)
    samples.seed(s, seed=0, images=6)
    s.close()
    return home
