"""Shared fixtures: a fresh studio home per test."""

from __future__ import annotations

import pytest

import studio


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


@pytest.fixture
def st(home):
    s = studio.open(home)
    yield s
    s.close()


@pytest.fixture
def vetted(st):
    """A studio with one vetted creator, 'ada'."""
    st.add_creator("ada", "Ada Lovelace", level="level2")
    return st
