"""The creator dashboard: one tab per panel, all on the same open studio."""

from __future__ import annotations

import html
import importlib

import ipywidgets as w

import studio
from widgets.portfolio import PortfolioPanel

# (tab title, module, class) of the panels the creator dashboard shows, in order.
PANELS = [
    ("Portfolio & consent", "widgets.portfolio", "PortfolioPanel"),
    ("Train", "widgets.training", "TrainingPanel"),
    ("Gallery", "widgets.gallery", "GalleryPanel"),
    ("Assistant", "widgets.assistant", "AssistantPanel"),
]


def available_panels() -> list[tuple[str, type]]:
    found = []
    for title, module, cls in PANELS:
        try:
            found.append((title, getattr(importlib.import_module(module), cls)))
        except (ModuleNotFoundError, AttributeError):
            continue  # that panel is not part of this build yet
    return found


class CreatorDashboard(w.Tab):
    def __init__(self, st: studio.Studio | None = None, handle: str | None = None):
        super().__init__()
        self.st = st or studio.open()
        self.add_class("studio-creator-dashboard")
        panels = available_panels() or [("Portfolio & consent", PortfolioPanel)]
        self.children = [self._build(cls, handle) for _title, cls in panels]
        self.titles = tuple(title for title, _cls in panels)

    def _build(self, cls: type, handle: str | None) -> w.Widget:
        try:
            return cls(self.st, handle)
        except Exception as exc:  # one panel failing must not take the other tabs down with it
            box = w.HTML(f"<div style='color:#b00020'>This panel could not open: "
                         f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</div>")
            box.add_class("studio-error")
            return box
