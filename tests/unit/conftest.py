"""Fixtures for the unit tests of training, generation and the marketplace.

Everything runs on a tiny *randomly initialised* base built from config (never the shipped
weights), trained for a handful of steps: the tests check behaviour, not image quality.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

import studio
from studio import samples

from tests.unit.training_setup import FAST, png


@pytest.fixture(scope="session")
def random_base(tmp_path_factory):
    from tests.tiny_random import make_random_base

    return make_random_base(tmp_path_factory.mktemp("bases") / "tiny-random")


@pytest.fixture(scope="session")
def portfolio_dir(tmp_path_factory):
    """A kohya-layout folder: 6 PNGs with same-name .txt captions (Mira's pastel style)."""
    folder = tmp_path_factory.mktemp("portfolio") / "mira"
    samples.write_portfolio(folder, samples.SAMPLE_CREATORS[0], seed=0, images=6)
    return folder


@pytest.fixture(scope="session")
def trained_home(tmp_path_factory, random_base, portfolio_dir):
    """A studio home with vetted 'ada' on a creation plan (6 images) and one trained model version. Copy before
    changing."""
    home = tmp_path_factory.mktemp("trained") / "home"
    st = studio.open(home)
    st.add_creator("ada", "Ada Lovelace", level="level2")
    st.subscribe_plan("ada", "creation")  # publishing needs a creation plan
    st.add_to_portfolio("ada", [portfolio_dir])
    st.train("ada", base=str(random_base), trigger="adastyle", **FAST)
    st.close()
    return home


@pytest.fixture
def trained(trained_home, tmp_path):
    """A fresh copy of the trained home, open."""
    home = tmp_path / "home"
    shutil.copytree(trained_home, home)
    st = studio.open(home)
    yield st
    st.close()



@pytest.fixture
def vetted_with_portfolio(vetted, portfolio_dir):
    """A fresh home with vetted 'ada' and her six consented images, nothing trained yet."""
    vetted.add_to_portfolio("ada", [portfolio_dir])
    return vetted


@pytest.fixture
def filled(vetted, tmp_path):
    """'ada' with three one-colour images, the first one's consent revoked."""
    for colour in ("red", "green", "blue"):
        (tmp_path / f"{colour}.png").write_bytes(png(colour))
    report = vetted.add_to_portfolio("ada", sorted(tmp_path.glob("*.png")))
    vetted.revoke("ada", report.added[0]["item"])
    return vetted


# --- a throwaway PostgreSQL server (Debian's postgresql): outside CI a machine without it skips ---


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name)]
    return found[-1]


@pytest.fixture(scope="module")
def pg_url():
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    missing = not initdb or not pg_ctl
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing = True
    if missing:  # never skipped: .ci/run installs Debian's postgresql, `make install` psycopg
        pytest.fail("PostgreSQL server binaries or psycopg are not installed (apt-get install -y postgresql)")
    # PostgreSQL refuses to run as root: run it as the 'postgres' user when we are root.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    root = Path(tempfile.mkdtemp(prefix="studio-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if as_user:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run([*as_user, initdb, "-D", str(data), "-U", "studio", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    subprocess.run([*as_user, pg_ctl, "-D", str(data), "-w", "-l", str(root / "log"), "-o",
                    f"-p {port} -k {sock} -c listen_addresses=''", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://studio@/postgres?host={sock}&port={port}"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
