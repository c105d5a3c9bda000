"""Small pieces every panel shares."""

from __future__ import annotations

import ipywidgets as w

import studio
from studio.storefront.theme import CSS, DASHBOARD_CSS


def creator_picker(st: studio.Studio, handle: str | None = None) -> w.Dropdown:
    """A creator dropdown, opened on `handle` if it exists, else on the first creator."""
    handles = [c.handle for c in st.creators()]
    value = handle if handle in handles else (handles[0] if handles else None)
    return w.Dropdown(options=handles, value=value, description="Creator")


def stylesheet() -> w.HTML:
    """The apps' one theme (`studio.storefront.theme`, shared with the storefront) as a style element."""
    sheet = w.HTML(f"<style>{CSS}{DASHBOARD_CSS}</style>", layout=w.Layout(display="none"))
    sheet.add_class("studio-theme")
    return sheet


def themed(app: w.Widget) -> w.VBox:
    """A dashboard's app on the page in the studio's theme: headings, spacing and colours as in the storefront."""
    page = w.VBox([stylesheet(), app])
    page.add_class("studio-app")
    return page
