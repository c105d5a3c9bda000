"""Sell & earn panel: the creator's side of the marketplace in one tab.

What buyers are offered (price, disable with notice, enable), the creator's plans, the edit jobs
buyers asked for (quote, deliver the finished file, decline) and the earnings statement. Every
button is one call on the studio; the panel re-reads the studio when an event says something it
shows has changed, so the CLI or another page changing the same creator shows up here too.
"""

from __future__ import annotations

import html

import ipywidgets as w

import studio
from studio.errors import StudioError
from studio.events import EventKind
from studio.money import dollars, parse_dollars
from studio.storefront.theme import ERROR, TEXT
from widgets.common import creator_picker

# events that change something this panel shows
WATCHED = {EventKind.MODEL_PUBLISHED, EventKind.PRICE_CHANGED, EventKind.MODEL_DISABLED, EventKind.MODEL_ENABLED,
           EventKind.PLAN_CHANGED, EventKind.PURCHASE_MADE, EventKind.PAYOUT_SETTLED, EventKind.EDIT_CHANGED,
           EventKind.GENERATION_CREATED}


def _upload_bytes(upload: w.FileUpload) -> bytes | None:
    """The first uploaded file's bytes (ipywidgets 8 gives a tuple of dicts with a memoryview)."""
    return bytes(upload.value[0]["content"]) if upload.value else None


class BusinessPanel(w.VBox):
    def __init__(self, st: studio.Studio, handle: str | None = None):
        super().__init__()
        self.st = st
        self.add_class("studio-business")
        self.creator = creator_picker(st, handle)
        self.status = w.HTML()
        self.status.add_class("studio-business-status")

        self.listing = w.HTML()
        self.listing.add_class("studio-business-listing")
        self.price = w.Text(description="Price ($)", layout=w.Layout(width="200px"))
        self.set_price_button = w.Button(description="Set price", icon="tag")
        self.notice = w.BoundedIntText(value=0, min=0, max=90, description="Notice (days)",
                                       style={"description_width": "initial"}, layout=w.Layout(width="170px"))
        self.disable_button = w.Button(description="Disable model", button_style="danger", icon="ban")
        self.enable_button = w.Button(description="Enable model", icon="play")

        self.plans = w.HTML()
        self.plan_choice = w.Dropdown(options=list(st.policy.subscription_plans), description="Plan")
        self.subscribe_button = w.Button(description="Subscribe", icon="check")
        self.cancel_plan_button = w.Button(description="Cancel plan", icon="times")

        self.jobs = w.Dropdown(options=[], description="Edit job", layout=w.Layout(width="520px"))
        self.job_detail = w.HTML()
        self.job_detail.add_class("studio-business-job")
        self.quote_price = w.Text(description="Quote ($)", layout=w.Layout(width="200px"))
        self.quote_button = w.Button(description="Send quote", icon="envelope")
        self.upload = w.FileUpload(accept="image/png,image/jpeg,text/plain,.txt", multiple=False,
                                   description="Finished file")
        self.deliver_button = w.Button(description="Deliver", button_style="success", icon="upload")
        self.decline_button = w.Button(description="Decline", icon="times")

        self.earnings = w.HTML()
        self.earnings.add_class("studio-business-earnings")

        self.creator.observe(lambda _c: self.refresh(), "value")
        self.jobs.observe(lambda _c: self._show_job(), "value")
        for button, action in ((self.set_price_button, self._on_set_price), (self.disable_button, self._on_disable),
                               (self.enable_button, self._on_enable), (self.subscribe_button, self._on_subscribe),
                               (self.cancel_plan_button, self._on_cancel_plan), (self.quote_button, self._on_quote),
                               (self.deliver_button, self._on_deliver), (self.decline_button, self._on_decline)):
            button.on_click(lambda _b, act=action: self._act(act))
        self._unsubscribe = st.subscribe(self._on_studio_change)
        self.children = [
            w.HTML("<h3>Sell &amp; earn</h3>"), self.creator, self.status,
            w.HTML("<h4>What buyers are offered</h4>"), self.listing,
            w.HBox([self.price, self.set_price_button]), w.HBox([self.notice, self.disable_button, self.enable_button]),
            w.HTML("<h4>Plans</h4>"), self.plans, w.HBox([self.plan_choice, self.subscribe_button,
                                                          self.cancel_plan_button]),
            w.HTML("<h4>Edit jobs</h4>"), self.jobs, self.job_detail,
            w.HBox([self.quote_price, self.quote_button]), w.HBox([self.upload, self.deliver_button,
                                                                   self.decline_button]),
            w.HTML("<h4>Earnings</h4>"), self.earnings,
        ]
        self.refresh()

    # --- state from the studio ----------------------------------------------------------------

    def _on_studio_change(self, event) -> None:
        if event.kind == EventKind.CREATOR_ADDED:
            self.creator.options = [c.handle for c in self.st.creators()]
        elif event.kind in WATCHED and event.handle in (None, self.creator.value):
            self.refresh()

    def refresh(self) -> None:
        handle = self.creator.value
        if not handle:
            self.listing.value = "<i>No creator yet: add one in the Portfolio tab.</i>"
            return
        self._show_listing(handle)
        plans = self.st.plans(handle)
        self.plans.value = ("<ul>" + "".join(f"<li>{html.escape(p.describe())}</li>" for p in plans) + "</ul>"
                            if plans else "<i>No plan: the free plan (publish, no monthly fee).</i>")
        jobs = self.st.edit_jobs(handle)
        current = self.jobs.value
        self.jobs.options = [(f"{j.created_at:%Y-%m-%d} · {j.buyer} · {j.status}", j.id) for j in reversed(jobs)]
        ids = [j.id for j in jobs]
        self.jobs.value = current if current in ids else (ids[-1] if ids else None)
        self._show_job()
        st = self.st.statement(handle)
        t = st.totals
        self.earnings.value = (
            f"<table><tr><td>generations</td><td><b>{t['generations']}</b></td></tr>"
            f"<tr><td>sales</td><td><b>{t['sales']}</b></td></tr>"
            f"<tr><td>gross</td><td><b>{dollars(t['gross_cents'])}</b></td></tr>"
            f"<tr><td>platform fee</td><td>{dollars(t['fee_cents'])}</td></tr>"
            f"<tr><td>earned</td><td><b>{dollars(t['earned_cents'])}</b></td></tr>"
            f"<tr><td>paid out</td><td>{dollars(st.paid_cents)}</td></tr>"
            f"<tr><td>owed</td><td>{dollars(st.owed_cents)}</td></tr></table>")

    def _show_listing(self, handle: str) -> None:
        try:
            li = self.st.listing(handle)
        except StudioError:
            self.listing.value = "<i>No model yet: train one in the Train tab, then publish it in the Gallery.</i>"
            return
        price = dollars(li["price_cents"]) if li["price_cents"] is not None else "no price set"
        until = (f"; offered until {li['available_until']:%Y-%m-%d %H:%M} UTC (notice given)"
                 if li["available_until"] else "")
        self.listing.value = (f"State: <b>{html.escape(li['state'])}</b>"
                              + (f" · version {li['number']}" if li["number"] else "") + f" · {price}{until}")
        if li["price_cents"] is not None and not self.price.value:
            self.price.value = f"{li['price_cents'] / 100:.2f}"

    def _job(self):
        return self.st.edit_job(self.jobs.value) if self.jobs.value else None

    def _show_job(self) -> None:
        j = self._job()
        if j is None:
            self.job_detail.value = "<i>No edit requests yet: buyers ask for one from a preview in the storefront.</i>"
            return
        quote = f" · quoted {dollars(j.quote_cents)}" if j.quote_cents is not None else ""
        self.job_detail.value = (f"<b>{html.escape(j.buyer)}</b> asks: “{html.escape(j.note)}”<br>"
                                 f"draft: {html.escape(j.prompt)} (seed {j.seed}) · status <b>{j.status}</b>{quote}")

    # --- actions ------------------------------------------------------------------------------

    def _act(self, action) -> None:
        try:
            message = action(self.creator.value)
        except StudioError as exc:
            self._say(html.escape(str(exc)), error=True)
            return
        self._say(html.escape(message))
        self.refresh()

    def _on_set_price(self, handle: str) -> str:
        cents = parse_dollars(self.price.value, self.st.policy)
        self.st.set_price(handle, cents)
        return f"Price set to {dollars(cents)} per generation."

    def _on_disable(self, handle: str) -> str:
        days = int(self.notice.value)
        self.st.disable_model(handle, notice_days=days or None)
        return ("Model disabled: buyers can no longer generate." if not days
                else f"Model disabled after {days} days' notice; buyers may still generate and buy until then.")

    def _on_enable(self, handle: str) -> str:
        self.st.enable_model(handle)
        return "Model enabled: buyers can generate again."

    def _on_subscribe(self, handle: str) -> str:
        return "Subscribed: " + self.st.subscribe_plan(handle, self.plan_choice.value).describe()

    def _on_cancel_plan(self, handle: str) -> str:
        return "Cancelled: " + self.st.cancel_plan(handle, self.plan_choice.value).describe()

    def _on_quote(self, _handle: str) -> str:
        j = self._need_job()
        cents = parse_dollars(self.quote_price.value, self.st.policy)
        self.st.quote_edit(j.id, cents)
        return f"Quote of {dollars(cents)} sent to {j.buyer}."

    def _on_deliver(self, _handle: str) -> str:
        j = self._need_job()
        data = _upload_bytes(self.upload)
        if data is None:
            raise StudioError("choose the finished file first")
        self.st.deliver_edit(j.id, data)
        self.upload.value = ()
        return f"Delivered to {j.buyer}: the file carries its content credentials, naming the AI draft."

    def _on_decline(self, _handle: str) -> str:
        j = self._need_job()
        self.st.decline_edit(j.id)
        return f"Declined {j.buyer}'s request."

    def _need_job(self):
        j = self._job()
        if j is None:
            raise StudioError("no edit job chosen")
        return j

    def _say(self, message: str, error: bool = False) -> None:
        colour = ERROR if error else TEXT
        self.status.value = f"<span style='color:{colour}'>{message}</span>"

    def close(self) -> None:
        self._unsubscribe()
        super().close()
