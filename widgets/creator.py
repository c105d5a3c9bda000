"""The creator dashboard: one tab per panel, all on the same open studio."""

from __future__ import annotations

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
        self.children = [cls(self.st, handle) for _title, cls in panels]
        self.titles = tuple(title for title, _cls in panels)
