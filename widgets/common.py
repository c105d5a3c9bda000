"""Small pieces every panel shares."""

from __future__ import annotations

import ipywidgets as w

import studio


def creator_picker(st: studio.Studio, handle: str | None = None) -> w.Dropdown:
    """A creator dropdown, opened on `handle` if it exists, else on the first creator."""
    handles = [c.handle for c in st.creators()]
    value = handle if handle in handles else (handles[0] if handles else None)
    return w.Dropdown(options=handles, value=value, description="Creator")
