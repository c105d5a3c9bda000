"""Personal assistant panel: knowledge, Q&A approval, a test chat, the approval queue and insights.

Every button is one call on the creator's `studio.assistant.Assistant`, the one
`Studio.assistant(handle)` keeps per creator (so its retrieval index is built once and
reused across clicks); the panel keeps no business state and redraws when the studio
reports an assistant change.
"""

from __future__ import annotations

import html

import ipywidgets as w

import studio
from studio.errors import StudioError
from studio.events import Event, EventKind
from widgets.common import creator_picker


def _esc(text) -> str:
    return html.escape(str(text if text is not None else ""))


class AssistantPanel(w.VBox):
    """The creator's assistant in Jupyter: `AssistantPanel(st, handle=None)`."""

    def __init__(self, st: studio.Studio, handle: str | None = None):
        super().__init__()
        self.st = st
        self.add_class("studio-assistant")
        self.creator = creator_picker(st, handle)
        self.status = w.HTML()
        self.status.add_class("studio-assistant-status")

        # knowledge
        self.editor = w.Textarea(layout=w.Layout(width="100%", height="360px"),
                                 placeholder="profile, offline_message, gigs, qa, handoff_topics (YAML)")
        self.editor.add_class("studio-assistant-knowledge")
        self.save_button = w.Button(description="Save knowledge", button_style="primary", icon="save")
        self.reload_button = w.Button(description="Reload", icon="refresh")
        self.approve_first = w.Checkbox(description="Approve replies before they are sent", indent=False)

        # Q&A
        self.qa_box = w.VBox()
        self.qa_box.add_class("studio-assistant-qa")

        # test chat
        self.message = w.Text(placeholder="Type a client message…", layout=w.Layout(width="60%"))
        self.message.add_class("studio-assistant-message")
        self.send_button = w.Button(description="Send", button_style="primary", icon="paper-plane")
        self.offline = w.Checkbox(description="Creator is offline", indent=False)
        self.new_chat_button = w.Button(description="New conversation", icon="plus")
        self.transcript = w.HTML()
        self.transcript.add_class("studio-assistant-transcript")
        self.queue_box = w.VBox()
        self.queue_box.add_class("studio-assistant-queue")
        self._conversation: str | None = None  # the test chat's conversation id (view state only)

        # insights
        self.insights_html = w.HTML()
        self.insights_html.add_class("studio-assistant-insights")
        self.insights_button = w.Button(description="Refresh insights", icon="chart-bar")

        self.save_button.on_click(self._on_save)
        self.reload_button.on_click(lambda _: self._load_editor())
        self.approve_first.observe(self._on_approve_first, "value")
        self.send_button.on_click(self._on_send)
        self.new_chat_button.on_click(self._on_new_chat)
        self.insights_button.on_click(lambda _: self._render_insights())
        self.creator.observe(lambda _: self._on_creator(), "value")
        self._unsubscribe = st.subscribe(self._on_studio_change)

        self.tabs = w.Tab(children=[
            w.VBox([self.transcript, w.HBox([self.message, self.send_button]), w.HBox([self.offline, self.new_chat_button]),
                    w.HTML("<b>Waiting for your approval</b>"), self.queue_box]),
            w.VBox([w.HTML("Profile, gigs and packages, Q&amp;A and handoff topics, as one YAML file."),
                    self.editor, w.HBox([self.save_button, self.reload_button]), self.approve_first]),
            self.qa_box,
            w.VBox([self.insights_button, self.insights_html]),
        ])
        for i, title in enumerate(["Test chat", "Knowledge", "Q&A", "Insights"]):
            self.tabs.set_title(i, title)
        self.children = [w.HTML("<h3>Personal assistant</h3>"), self.creator, self.status, self.tabs]
        self._on_creator()

    # --- helpers ---------------------------------------------------------------------------

    def _assistant(self):
        if not self.creator.value:
            raise StudioError("add a creator first (`studio creator add`)")
        return self.st.assistant(self.creator.value)

    def _show(self, text: str, error: bool = False) -> None:
        colour = "#b00020" if error else "#1b5e20"
        self.status.value = f'<span style="color:{colour}">{_esc(text)}</span>'

    def _on_studio_change(self, event: Event) -> None:
        if (event.kind == EventKind.ASSISTANT_CHANGED and event.handle == self.creator.value
                and event.info.get("what") in ("qa", "chats", "knowledge")):
            self._render_qa()

    def _on_creator(self) -> None:
        self._conversation = None
        self.transcript.value = ""
        self._load_editor()
        self._render_qa()
        self._render_queue()
        self.insights_html.value = ""

    def _load_editor(self) -> None:
        try:
            a = self._assistant()
            self.editor.value = a.knowledge_yaml()
            self.approve_first.value = a.settings()["approve_before_send"]
            if not self.editor.value:
                self._show("No assistant knowledge yet: write it in the Knowledge tab and save.", error=True)
        except StudioError as exc:
            self._show(str(exc), error=True)

    # --- knowledge -------------------------------------------------------------------------

    def _on_save(self, _=None) -> None:
        try:
            info = self._assistant().setup(self.editor.value)
        except StudioError as exc:
            self._show(str(exc), error=True)
            return
        self._show(f"Saved: {info['gigs']} gigs, {info['packages']} packages, {info['qa']} Q&A, "
                   f"{info['handoff_topics']} handoff topics.")

    def _on_approve_first(self, change) -> None:
        try:
            self._assistant().settings(approve_before_send=change["new"])
        except StudioError as exc:
            self._show(str(exc), error=True)

    # --- Q&A ---------------------------------------------------------------------------------

    def _render_qa(self) -> None:
        try:
            a = self._assistant()
            proposals, approved = a.proposals(), a.qa("approved")
        except StudioError:
            self.qa_box.children = []
            return
        rows: list[w.Widget] = [w.HTML(f"<b>Proposed from your past chats ({len(proposals)})</b> — nothing is "
                                       "answered from a pair until you approve it.")]
        for p in proposals:
            answer = w.Textarea(value=p.answer, layout=w.Layout(width="70%", height="60px"))
            approve = w.Button(description="Approve", button_style="success", icon="check")
            reject = w.Button(description="Reject", button_style="danger", icon="times")
            approve.on_click(lambda _, qa_id=p.id, box=answer: self._approve(qa_id, box.value))
            reject.on_click(lambda _, qa_id=p.id: self._reject(qa_id))
            warn = f'<br><span style="color:#b00020">{_esc("; ".join(p.issues))}</span>' if p.issues else ""
            head = w.HTML(f"<b>Q:</b> {_esc(p.question)} <i>(asked {p.support}×)</i>{warn}")
            row = w.VBox([head, w.HBox([answer, approve, reject])])
            row.add_class("studio-assistant-proposal")
            rows.append(row)
        rows.append(w.HTML(f"<b>Approved ({len(approved)})</b>"))
        rows.append(w.HTML("<table>" + "".join(
            f"<tr><td>{_esc(q.question)}</td><td>{_esc(q.answer)}</td><td><i>{_esc(q.origin)}</i></td></tr>"
            for q in approved) + "</table>"))
        self.qa_box.children = rows

    def _approve(self, qa_id: str, answer: str) -> None:
        try:
            v = self._assistant().approve(qa_id, answer=answer)
            self._show(f"Approved: {v.question}" + (f" (check: {'; '.join(v.issues)})" if v.issues else ""))
        except StudioError as exc:
            self._show(str(exc), error=True)
        self._render_qa()

    def _reject(self, qa_id: str) -> None:
        try:
            self._assistant().reject(qa_id)
            self._show("Rejected.")
        except StudioError as exc:
            self._show(str(exc), error=True)
        self._render_qa()

    # --- test chat -----------------------------------------------------------------------------

    def _on_new_chat(self, _=None) -> None:
        self._conversation = None
        self.transcript.value = ""

    def _on_send(self, _=None) -> None:
        text = self.message.value.strip()
        if not text:
            self._show("Type a client message first.", error=True)
            return
        self.send_button.disabled = True
        try:
            r = self._assistant().reply(text, conversation_id=self._conversation, offline=self.offline.value)
        except StudioError as exc:
            self._show(str(exc), error=True)
            return
        finally:
            self.send_button.disabled = False
        self._conversation = r.conversation_id
        self.message.value = ""
        if r.handoff:
            badge = (f'<span class="studio-assistant-handoff" style="background:#fff3e0;color:#e65100;padding:1px 6px">'
                     f'HANDOFF</span> {_esc(r.topic or "")} — {_esc(r.reason)}')
            extra = f'<div style="font-size:90%;color:#555">Summary for you: {_esc(r.summary)}</div>'
        else:
            label = "QUEUED for your approval" if r.status == "queued" else "ANSWERED"
            badge = f'<span class="studio-assistant-answered" style="background:#e8f5e9;color:#1b5e20;padding:1px 6px">{label}</span>'
            extra = ""
        entry = (f'<div class="studio-assistant-turn" style="margin:6px 0">'
                 f'<div><b>Client:</b> {_esc(text)}</div>'
                 f'<div class="studio-assistant-reply"><b>Assistant:</b> {_esc(r.text)}</div>'
                 f'<div style="font-size:90%">{badge} · source <code>{_esc(r.source or "none")}</code> · '
                 f'confidence {r.confidence:.2f}</div>{extra}</div>')
        self.transcript.value += entry
        self._render_queue()

    def _render_queue(self) -> None:
        try:
            queued = self._assistant().queue()
        except StudioError:
            self.queue_box.children = []
            return
        rows: list[w.Widget] = []
        for m in queued:
            draft = w.Textarea(value=m.reply_text, layout=w.Layout(width="60%", height="50px"))
            send = w.Button(description="Send reply", button_style="success")
            take = w.Button(description="I'll answer myself")
            send.on_click(lambda _, mid=m.id, box=draft: self._queue_action("send", mid, box.value))
            take.on_click(lambda _, mid=m.id: self._queue_action("discard", mid))
            rows.append(w.VBox([w.HTML(f"<b>Client:</b> {_esc(m.client_text)}"), w.HBox([draft, send, take])]))
        self.queue_box.children = rows or [w.HTML("<i>nothing waiting</i>")]

    def _queue_action(self, action: str, message_id: str, text: str | None = None) -> None:
        try:
            a = self._assistant()
            a.send(message_id, text) if action == "send" else a.discard(message_id)
        except StudioError as exc:
            self._show(str(exc), error=True)
        self._render_queue()

    # --- insights --------------------------------------------------------------------------------

    def _render_insights(self) -> None:
        try:
            d = self._assistant().insights()
        except StudioError as exc:
            self._show(str(exc), error=True)
            return
        rate = "—" if d["answer_rate"] is None else f"{d['answer_rate']:.0%}"
        parts = [f"<p><b>{d['messages']}</b> messages · answer rate <b>{rate}</b> · "
                 f"<b>{d['conversations_with_order']}</b> of {d['conversations']} conversations led to an order</p>",
                 "<h4>Most frequent questions</h4><ol>"
                 + "".join(f"<li>{_esc(q['question'])} <i>({q['count']}×)</i></li>" for q in d["frequent_questions"])
                 + "</ol>",
                 "<h4>Unanswered questions (FAQ gaps)</h4><ul>"
                 + "".join(f"<li>{_esc(g['question'])} <i>({g['count']}×)</i>"
                           + (f" — suggested answer: {_esc(g['suggested_qa']['a'])}" if g["suggested_qa"]["a"] else "")
                           + "</li>" for g in d["unanswered_questions"]) + "</ul>",
                 "<h4>Handoff reasons</h4><ul>"
                 + "".join(f"<li>{_esc(r['reason'])}: {r['count']}</li>" for r in d["handoff_reasons"]) + "</ul>",
                 "<h4>Conversations that led to an order</h4><ul>"
                 + "".join(f"<li>{_esc(c['conversation'])} ({_esc(c['source'])}): {_esc(c['first_message'])}</li>"
                           for c in d["orders"]) + "</ul>"]
        self.insights_html.value = "".join(parts)

    def close(self) -> None:
        self._unsubscribe()
        super().close()
