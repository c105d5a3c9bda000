"""Rights desk panel: who owns an asset, under which licence, made by which model from which consented work.

Search an asset (its sha256), a buyer or a creator to see the ownership chain (the rows of
`Studio.rights_report`); drop a file on the page to verify it (`Studio.verify_file`: content
credentials, bytes and mark) and, when its credentials are gone, identify it by its mark
(`Studio.identify`); download a licence certificate (`Studio.certificate`) as HTML or JSON.
Every action is one call on the studio; the panel keeps nothing but what its fields show, and
searches again when a purchase or an edit job changes.
"""

from __future__ import annotations

import base64
import hashlib
import html

import ipywidgets as w

import studio
from studio.errors import StudioError
from studio.events import EventKind
from studio.money import dollars
from studio.storefront.theme import ERROR, OK

KINDS = [("Asset (sha256)", "asset"), ("Buyer (email)", "buyer"), ("Creator (handle)", "creator")]
SHOWN = [("file", "File"), ("owner", "Owner"), ("licence", "Licence"), ("creator", "Creator"),
         ("version_number", "Model version"), ("date", "Date (UTC)"), ("paid_cents", "Paid"),
         ("earned_cents", "Creator earned"), ("payout_status", "Payout"), ("training_items", "Trained on")]


def _cell(column: str, value) -> str:
    if value is None or value != value:  # None or NaN/NA
        return ""
    if column.endswith("_cents"):
        return dollars(int(value))
    if column == "version_number":
        return f"v{int(value)}"
    if column == "training_items":
        return f"{int(value)} items"
    return html.escape(str(value))


def _link(name: str, data: str, media: str, label: str) -> str:
    href = f"data:{media};base64,{base64.b64encode(data.encode('utf-8')).decode('ascii')}"
    return f"<a class='studio-rights-download' download='{html.escape(name)}' href='{href}'>{html.escape(label)}</a>"


class RightsDesk(w.VBox):
    def __init__(self, st: studio.Studio, handle: str | None = None):
        super().__init__()
        self.st = st
        self.add_class("studio-rights")
        self.kind = w.ToggleButtons(options=KINDS, value="creator" if handle else "asset", description="Search")
        self.query = w.Text(value=handle or "", placeholder="a sha256, an email or a handle",
                            layout=w.Layout(width="560px"))
        self.query.add_class("studio-rights-query")
        self.search_button = w.Button(description="Search", button_style="primary", icon="search")
        self.results = w.HTML()
        self.results.add_class("studio-rights-results")
        # an image, or a text with (optionally) its NAME.provenance.json: both may be dropped at once
        self.upload = w.FileUpload(accept=".png,.jpg,.jpeg,.webp,.txt,.json", multiple=True, description="Check a file")
        self.verdict = w.HTML()
        self.verdict.add_class("studio-rights-verdict")
        self.licence = w.Dropdown(options=[], description="Licence")
        self.certificate = w.HTML()
        self.certificate.add_class("studio-rights-certificate")

        self.search_button.on_click(lambda _b: self.search())
        self.query.on_submit(lambda _t: self.search())
        self.upload.observe(self._on_upload, "value")
        self.licence.observe(lambda _c: self._show_certificate(), "value")
        self._unsubscribe = st.subscribe(self._on_studio_change)
        self.children = [
            w.HTML("<h3>Rights desk</h3>"),
            w.HBox([self.kind]), w.HBox([self.query, self.search_button]), self.results,
            w.HTML("<h4>Verify or identify a file</h4>"), self.upload, self.verdict,
            w.HTML("<h4>Licence certificate</h4>"), self.licence, self.certificate,
        ]
        if handle:
            self.search()

    # --- the ownership chain ----------------------------------------------------------------------

    def _on_studio_change(self, event) -> None:
        if event.kind in (EventKind.PURCHASE_MADE, EventKind.EDIT_CHANGED) and self.query.value.strip():
            self.search()

    def search(self) -> None:
        value = self.query.value.strip()
        if not value:
            self.results.value = "<i>Type an asset's sha256, a buyer's email or a creator's handle.</i>"
            return
        try:
            report = self.st.rights_report(**{self.kind.value: value})
        except StudioError as exc:
            self.results.value = f"<div class='studio-error' style='color:{ERROR}'>{html.escape(str(exc))}</div>"
            return
        self._show(report)

    def _show(self, report) -> None:
        t = report.totals
        if not t["assets"]:
            self.results.value = f"<i>{html.escape(report.title())}: no assets.</i>"
            self.licence.options = []
            return
        head = "".join(f"<th>{label}</th>" for _c, label in SHOWN)
        rows = "".join("<tr>" + "".join(f"<td>{_cell(c, r[c])}</td>" for c, _l in SHOWN) + "</tr>"
                       for r in report.assets.to_dict(orient="records"))
        trained = report.training.drop_duplicates("item_sha256")
        consent = "".join(
            f"<tr><td><code>{html.escape(r['item_sha256'][:16])}…</code></td><td>{html.escape(str(r['consent']))}</td>"
            f"<td>{html.escape(str(r['consent_basis']))}</td>"
            f"<td>{'active' if r['consent_active'] else 'revoked ' + html.escape(str(r['consent_revoked_at']))}</td></tr>"
            for r in trained.to_dict(orient="records"))
        self.results.value = (
            f"<b>{html.escape(report.title())}</b>: {t['assets']} asset(s), paid {dollars(t['paid_cents'])}, "
            f"creators earned {dollars(t['earned_cents'])}"
            f"<table class='studio-rights-assets'><tr>{head}</tr>{rows}</table>"
            f"<div>Learned from {len(trained)} training item(s), each with its consent record:</div>"
            f"<table class='studio-rights-training'><tr><th>Item sha256</th><th>Consent record</th><th>Basis</th>"
            f"<th>State</th></tr>{consent}</table>")
        sold = report.assets[report.assets["kind"] == "purchase"]
        self.licence.options = [(f"{r['licence']} ({r['file']}, {r['owner']})", r["licence"])
                                for r in sold.to_dict(orient="records")]

    # --- a file dropped on the page -------------------------------------------------------------------

    def _on_upload(self, change) -> None:
        files = change["new"]
        if not files:
            return
        texts = [f for f in files if f["name"].endswith(".txt")]
        records = [bytes(f["content"]) for f in files if f["name"].endswith(".provenance.json")]
        name, data = (texts or files)[0]["name"], bytes((texts or files)[0]["content"])
        try:
            if texts:
                self.check_text(name, data, records[0] if records else None)
            else:
                self.check(name, data)
        except StudioError as exc:
            self.verdict.value = (f"<div class='studio-rights-flagged' style='color:{ERROR}'>✗ {html.escape(name)}: "
                                  f"{html.escape(str(exc))}</div>")

    def check(self, name: str, data: bytes) -> dict:
        """Verify ``data``; if its credentials do not hold, say which sale its pixels come from."""
        result = self.st.verify_file(data)
        e = html.escape
        if result["ok"]:
            what = result["identified"] if result.get("edit") else (
                f"the file delivered with {result['sale']['purchase']}: generation {result['sale']['generation']}, "
                f"bought by {result['sale']['buyer']}, licence {result['sale']['licence']}")
            self.verdict.value = (f"<div class='studio-rights-ok' style='color:{OK}'>✓ Verified: <b>{e(name)}</b> "
                                  f"is {e(what)} (content credentials {e(result['state'])}, signed by this studio)."
                                  "</div>")
        else:
            found = result["identified"]
            if found is None:  # no sale named by a mark: what the mark alone says, if the pixels can be read
                try:
                    found = self.st.identify(data)["message"]
                except StudioError as exc:
                    found = str(exc)
            problems = "".join(f"<li>{e(p)}</li>" for p in result["problems"])
            self.verdict.value = (
                f"<div class='studio-rights-flagged' style='color:{ERROR}'>✗ Flagged: <b>{e(name)}</b> is not the "
                f"file this studio delivered, as it stands:<ul>{problems}</ul>Its pixels: {e(found)}.</div>")
        sha = ((result.get("sale") or {}).get("delivered_sha256")
               or (result.get("edit") or {}).get("delivered_sha256") or hashlib.sha256(data).hexdigest())
        self.kind.value, self.query.value = "asset", sha
        self.search()
        if result.get("sale"):
            self.licence.value = result["sale"]["licence"]
        return result

    def check_text(self, name: str, data: bytes, record: bytes | None) -> dict:
        """Verify a text against its provenance record; without one (or if it does not hold), say which text
        model's watermark is in it."""
        e = html.escape
        result = self.st.verify_file(data, record) if record is not None else {"ok": False, "problems": [
            "no provenance record given: drop NAME.provenance.json with the text to verify it"], "sale": None}
        if result["ok"]:
            self.verdict.value = (f"<div class='studio-rights-ok' style='color:{OK}'>✓ Verified: <b>{e(name)}</b> is "
                                  f"{e(result['identified'])} (its provenance record is signed by this studio).</div>")
        else:
            found = self.st.identify_text(data)["message"]
            problems = "".join(f"<li>{e(p)}</li>" for p in result["problems"])
            self.verdict.value = (f"<div class='studio-rights-flagged' style='color:{ERROR}'>✗ Not verified: <b>{e(name)}"
                                  f"</b><ul>{problems}</ul>Its wording: {e(found)}.</div>")
        sha = (result.get("sale") or {}).get("delivered_sha256") or hashlib.sha256(data).hexdigest()
        self.kind.value, self.query.value = "asset", sha
        self.search()
        return result

    # --- certificates ---------------------------------------------------------------------------------

    def _show_certificate(self) -> None:
        if not self.licence.value:
            self.certificate.value = ""
            return
        cert = self.st.certificate(self.licence.value)
        self.certificate.value = (_link(cert["html_name"], cert["html"], "text/html", "Certificate (HTML)") + " · "
                                  + _link(cert["json_name"], cert["json"], "application/json", "Certificate (JSON)"))

    def close(self) -> None:
        self._unsubscribe()
        super().close()
