"""The creator dashboard: one tab per panel, all on the same open studio."""

from __future__ import annotations

import html
import importlib

import ipywidgets as w

import studio

# (tab title, module, class) of the panels the creator dashboard shows, in order.
PANELS = [
    ("Portfolio & consent", "widgets.portfolio", "PortfolioPanel"),
    ("Train", "widgets.training", "TrainingPanel"),
    ("Gallery", "widgets.gallery", "GalleryPanel"),
    ("Sell & earn", "widgets.business", "BusinessPanel"),
    ("Assistant", "widgets.assistant", "AssistantPanel"),
]


def available_panels() -> list[tuple[str, type]]:
    """Every panel class, imported: a panel module that fails to import is an error, not a missing tab."""
    return [(title, getattr(importlib.import_module(module), cls)) for title, module, cls in PANELS]


class CreatorDashboard(w.Tab):
    def __init__(self, st: studio.Studio | None = None, handle: str | None = None):
        super().__init__()
        self.st = st or studio.open()
        self.add_class("studio-creator-dashboard")
        panels = available_panels()
        self.children = [self._build(cls, handle) for _title, cls in panels]
        self.titles = tuple(title for title, _cls in panels)

    def _build(self, cls: type, handle: str | None) -> w.Widget:
        try:
            return cls(self.st, handle)
        except Exception as exc:  # one panel failing to open must not take the other tabs down with it
            box = w.HTML(f"<div style='color:#b00020'>This panel could not open: "
                         f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</div>")
            box.add_class("studio-error")
            return box
