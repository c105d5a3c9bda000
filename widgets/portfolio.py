"""Portfolio & consent panel: pick a creator, upload work, set consent, see what was kept, edit captions."""

from __future__ import annotations

import html

import ipywidgets as w

import studio
from studio.errors import StudioError
from studio.events import EventKind
from studio.storefront.theme import ERROR, MUTED, OK
from widgets.common import creator_picker

CARD_WIDTH = "160px"


class PortfolioPanel(w.VBox):
    """Everything here is a call on `Studio`; the panel redraws when the studio reports a change."""

    def __init__(self, st: studio.Studio, handle: str | None = None):
        super().__init__()
        self.st = st
        self.add_class("studio-portfolio")
        self.creator = creator_picker(st, handle)
        self.upload = w.FileUpload(accept=".png,.jpg,.jpeg,.webp,.txt,.md,.zip", multiple=True,
                                   description="Choose files")
        self.consent = w.ToggleButtons(options=[("My own work", "own"), ("Commissioned (client consent)", "client")],
                                       value="own", description="Consent")
        self.client_ref = w.Text(placeholder="client's consent reference, e.g. order-1234", description="Client ref",
                                 layout=w.Layout(display="none", width="420px"))
        self.add_button = w.Button(description="Add to portfolio", button_style="primary", icon="upload")
        self.status = w.HTML()
        self.status.add_class("studio-status")
        self.rejections = w.HTML()
        self.rejections.add_class("studio-rejections")
        self.summary = w.HTML()
        self.suggest_button = w.Button(description="Suggest captions", icon="magic",
                                       tooltip="fill in captions the embedded base can read, for images without one")
        self.caption_fields: dict[str, w.Text] = {}  # item id -> its caption field (the form, rebuilt on refresh)
        self.grid = w.GridBox(layout=w.Layout(grid_template_columns=f"repeat(auto-fill, {CARD_WIDTH})", grid_gap="8px"))
        self.grid.add_class("studio-grid")

        self.consent.observe(self._on_consent_kind, "value")
        self.creator.observe(lambda _: self.refresh(), "value")
        self.add_button.on_click(self._on_add)
        self.suggest_button.on_click(self._on_suggest)
        self._unsubscribe = st.subscribe(self._on_studio_change)

        self.children = [
            w.HTML("<h3>Portfolio &amp; consent</h3>"),
            self.creator,
            w.HBox([self.upload, self.add_button]),
            self.consent,
            self.client_ref,
            self.status,
            self.rejections,
            w.HBox([self.summary, self.suggest_button]),
            self.grid,
        ]
        self.refresh()

    # --- actions ---------------------------------------------------------------------

    def _consent_value(self) -> str:
        return "own" if self.consent.value == "own" else f"client:{self.client_ref.value.strip()}"

    def _on_consent_kind(self, change) -> None:
        self.client_ref.layout.display = None if change["new"] == "client" else "none"

    def _on_add(self, _button=None) -> None:
        files = [(f["name"], bytes(f["content"])) for f in self.upload.value]
        if not self.creator.value:
            self._show_status("Add a creator first (`studio creator add`).", error=True)
            return
        if not files:
            self._show_status("Choose one or more files first.", error=True)
            return
        try:
            report = self.st.add_upload(self.creator.value, files, self._consent_value())
        except StudioError as exc:
            self._show_status(str(exc), error=True)
            return
        self.upload.value = ()
        notes = [f"{a['file']}: {a['note']}" for a in report.added if a.get("note")]
        self._show_status(
            f"{len(report.added)} added, {len(report.duplicates)} already in the portfolio, "
            f"{len(report.rejected)} rejected." + "".join(f"<br>{html.escape(n)}" for n in notes),
            error=not report.ok)
        self.rejections.value = "".join(
            f"<div class='studio-rejection' style='color:{ERROR}'>✗ <b>{html.escape(r.name)}</b>: {html.escape(r.reason)}</div>"
            for r in report.rejected)
        self.refresh()

    def _revoke(self, item_id: str) -> None:
        try:
            self.st.revoke(self.creator.value, item_id, reason="revoked in the portfolio panel")
        except StudioError as exc:
            self._show_status(str(exc), error=True)

    def _set_client_consent(self, item_id: str, ref: str) -> None:
        try:
            self.st.set_consent(self.creator.value, item_id, f"client:{ref.strip()}")
        except StudioError as exc:
            self._show_status(str(exc), error=True)

    def _save_caption(self, item_id: str, field: w.Text) -> None:
        try:
            view = self.st.set_caption(self.creator.value, item_id, field.value)
        except StudioError as exc:
            self._show_status(str(exc), error=True)
            return
        field.value = view.caption or ""  # as the core stored it; a change also redraws the grid
        self._show_status(f"Caption of {view.source} saved." if view.caption else f"Caption of {view.source} cleared.")

    def _on_suggest(self, _button=None) -> None:
        if not self.creator.value:
            return
        try:
            suggestions = self.st.suggest_captions(self.creator.value)
        except StudioError as exc:
            self._show_status(str(exc), error=True)
            return
        for view, text in suggestions:
            if view.id in self.caption_fields:
                self.caption_fields[view.id].value = text
        self._show_status(f"{len(suggestions)} caption(s) suggested: check each and press Save." if suggestions else
                          "No suggestions: every image has a caption the base can read, or the base is not the "
                          "embedded shapes base.")

    # --- display -----------------------------------------------------------------------

    def _on_studio_change(self, event) -> None:
        if event.kind == EventKind.CREATOR_ADDED:
            self.creator.options = [c.handle for c in self.st.creators()]
        elif event.handle == self.creator.value:
            self.refresh()

    def _show_status(self, message: str, error: bool = False) -> None:
        colour = ERROR if error else OK
        self.status.value = f"<span style='color:{colour}'>{message if '<br>' in message else html.escape(message)}</span>"

    def refresh(self) -> None:
        self.caption_fields = {}
        if not self.creator.value:
            self.grid.children, self.summary.value = [], "<i>No creators yet.</i>"
            return
        items = self.st.portfolio(self.creator.value)
        active = sum(v.active for v in items)
        self.summary.value = f"<b>{len(items)}</b> items, <b>{active}</b> with active consent (used for training)"
        self.grid.children = [self._card(v) for v in items]

    def _card(self, v: studio.ItemView) -> w.VBox:
        if v.kind == "image":
            preview = w.Image(value=self.st.thumbnail(v.sha256, 128), format="png",
                              layout=w.Layout(width="128px", height="128px", object_fit="contain"))
        else:
            preview = w.HTML("<div style='width:128px;height:128px;display:flex;align-items:center;"
                             "justify-content:center;background:#eee'>text</div>")
        state = "active" if v.active else "revoked"
        label = w.HTML(
            f"<div class='studio-item' data-item='{v.id}' style='font-size:12px;line-height:1.3'>"
            f"<div title='{html.escape(v.source)}' style='overflow:hidden;text-overflow:ellipsis;white-space:nowrap'>"
            f"{html.escape(v.source)}</div>"
            f"<div class='studio-consent'>consent: <b>{html.escape(v.consent)}</b> ({state})</div>"
            f"<div style='color:{MUTED}'>record {v.consent_id}</div></div>")
        children = [preview, label]
        if v.kind == "image":
            children += self._caption_form(v)
        if v.active:
            revoke = w.Button(description="Revoke consent", button_style="warning", layout=w.Layout(width="150px"))
            revoke.on_click(lambda _b, item=v.id: self._revoke(item))
            ref = w.Text(placeholder="client ref", layout=w.Layout(width="150px"))
            set_ref = w.Button(description="Set client consent", layout=w.Layout(width="150px"))
            set_ref.on_click(lambda _b, item=v.id, box=ref: self._set_client_consent(item, box.value))
            children += [revoke, ref, set_ref]
        card = w.VBox(children, layout=w.Layout(width=CARD_WIDTH, border="1px solid #ddd", padding="4px"))
        card.add_class("studio-card")
        return card

    def _caption_form(self, v: studio.ItemView) -> list[w.Widget]:
        field = w.Text(value=v.caption or "", placeholder="no caption yet", layout=w.Layout(width="150px"))
        field.add_class("studio-caption")
        self.caption_fields[v.id] = field
        save = w.Button(description="Save caption", layout=w.Layout(width="150px"))
        save.on_click(lambda _b, item=v.id, box=field: self._save_caption(item, box))
        return [field, save]

    def close(self) -> None:
        self._unsubscribe()
        super().close()
