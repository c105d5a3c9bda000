"""The creator dashboard: one tab per panel, all on the same open studio."""

from __future__ import annotations

import html
import importlib
import threading
import time

import ipywidgets as w

import studio
from studio.storefront.theme import ERROR

IMPORT_DELAY = 5.0  # seconds before the other tabs' modules are imported in the background

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


def first_with_a_model(st: studio.Studio) -> str | None:
    """The creator the dashboard opens on: the first with a trained model (after `make demo`, the sample
    creator whose model is published, so the gallery is not empty), else None (the panels' first)."""
    return next((c.handle for c in st.creators() if st.models(c.handle)), None)


class CreatorDashboard(w.Tab):
    """The panels as tabs. Only the open tab is built at first, so the page paints without waiting for
    every panel's imports (the assistant's sentence encoder takes seconds); the others are imported in
    the background and built when their tab is first opened."""

    def __init__(self, st: studio.Studio | None = None, handle: str | None = None):
        super().__init__()
        self.st = st or studio.open()
        self.handle = handle if handle is not None else first_with_a_model(self.st)
        self.add_class("studio-creator-dashboard")
        self._panels = PANELS
        self.children = [w.VBox() for _ in self._panels]
        self.titles = tuple(title for title, _module, _cls in self._panels)
        self.observe(lambda change: self.panel(change["new"]), "selected_index")
        self.panel(self.selected_index or 0)
        threading.Thread(target=self._import_the_rest, daemon=True, name="studio-panel-imports").start()

    def panel(self, index: int) -> w.Widget:
        """The panel in tab `index`, built on first use (an error message in its place if it fails)."""
        holder = self.children[index]
        if not holder.children:
            _title, module, cls = self._panels[index]
            holder.children = [self._build(module, cls)]
        return holder.children[0]

    def _build(self, module: str, cls: str) -> w.Widget:
        try:
            return getattr(importlib.import_module(module), cls)(self.st, self.handle)
        except Exception as exc:  # one panel failing to open must not take the other tabs down with it
            box = w.HTML(f"<div style='color:{ERROR}'>This panel could not open: "
                         f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</div>")
            box.add_class("studio-error")
            return box

    def _import_the_rest(self) -> None:
        # After the page has had its turn: on a 2-core machine these imports (torch among them) would
        # otherwise compete with the first paint. Opening a tab before then imports its module at once.
        time.sleep(IMPORT_DELAY)
        for _title, module, _cls in self._panels:
            try:
                importlib.import_module(module)
            except Exception:  # reported on the page when the tab is opened
                pass
