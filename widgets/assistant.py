"""Personal assistant panel: a test chat, the inbox (settings and conversations), knowledge forms,
Q&A approval and insights.

Every button is one call on the creator's `studio.assistant.Assistant`, the one
`Studio.assistant(handle)` keeps per creator (so its retrieval index is built once and
reused across clicks); the panel keeps no business state and redraws when the studio
reports an assistant change.
"""

from __future__ import annotations

import html

import ipywidgets as w

import studio
from studio.assistant.inbox import InboxSettings
from studio.assistant.knowledge import form_fields, from_form
from studio.errors import StudioError
from studio.events import Event, EventKind
from studio.money import dollars
from studio.storefront.theme import ERROR, MUTED, OK
from widgets.common import creator_picker
from widgets.options import option_widgets, read_options

PACKAGE_FIELDS = ("name", "price", "delivery_days", "revisions", "includes")


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

        # knowledge: forms (each field with its error beside it), and the YAML file for import/export
        self.form_box = w.VBox()
        self.form_box.add_class("studio-assistant-forms")
        self.fields: dict[str, w.Widget] = {}  # path -> input, e.g. "gigs[0].packages[1].price"
        self.field_errors: dict[str, w.HTML] = {}
        self.form_save_button = w.Button(description="Save", button_style="primary", icon="save")
        self.add_gig_button = w.Button(description="Add gig", icon="plus")
        self.add_qa_button = w.Button(description="Add Q&A", icon="plus")
        self.editor = w.Textarea(layout=w.Layout(width="100%", height="240px"),
                                 placeholder="profile, offline_message, gigs, qa, handoff_topics (YAML)")
        self.editor.add_class("studio-assistant-knowledge")
        self.save_button = w.Button(description="Import YAML", icon="upload")
        self.reload_button = w.Button(description="Export YAML", icon="refresh")
        self.approve_first = w.Checkbox(description="Approve replies before they are sent", indent=False)

        # inbox: the settings (from `InboxSettings`, as the CLI flags are) and the conversations
        self.inbox_fields = option_widgets(InboxSettings, panels=("main",))
        self.inbox_save = w.Button(description="Save inbox settings", button_style="primary")
        self.inbox_status = w.HTML()
        self.conversations_box = w.VBox()
        self.conversations_box.add_class("studio-assistant-conversations")
        self.conversation_view = w.HTML()
        self.conversation_view.add_class("studio-assistant-conversation")

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
        self.gaps_button = w.Button(description="Propose FAQ gaps as Q&A", icon="plus")
        self.gaps_button.on_click(self._on_gaps)

        self.save_button.on_click(self._on_save)
        self.reload_button.on_click(lambda _: self._load_editor())
        self.form_save_button.on_click(self._on_form_save)
        self.add_gig_button.on_click(lambda _: self._grow("gig"))
        self.add_qa_button.on_click(lambda _: self._grow("qa"))
        self.inbox_save.on_click(self._on_inbox_save)
        self.approve_first.observe(self._on_approve_first, "value")
        self.send_button.on_click(self._on_send)
        self.new_chat_button.on_click(self._on_new_chat)
        self.insights_button.on_click(lambda _: self._render_insights())
        self.creator.observe(lambda _: self._on_creator(), "value")
        self._unsubscribe = st.subscribe(self._on_studio_change)

        self.tabs = w.Tab(children=[
            w.VBox([self.transcript, w.HBox([self.message, self.send_button]), w.HBox([self.offline, self.new_chat_button]),
                    w.HTML("<b>Waiting for your approval</b>"), self.queue_box]),
            w.VBox([*self.inbox_fields.values(), w.HBox([self.inbox_save, self.inbox_status]), self.approve_first,
                    w.HTML("<b>Conversations</b>"), self.conversations_box, self.conversation_view]),
            w.VBox([self.form_box, w.HBox([self.form_save_button, self.add_gig_button, self.add_qa_button]),
                    w.Accordion(children=[w.VBox([self.editor, w.HBox([self.save_button, self.reload_button])])],
                                titles=("YAML import / export",))]),
            self.qa_box,
            w.VBox([w.HBox([self.insights_button, self.gaps_button]), self.insights_html]),
        ])
        for i, title in enumerate(["Test chat", "Inbox", "Knowledge", "Q&A", "Insights"]):
            self.tabs.set_title(i, title)
        self.children = [w.HTML("<h3>Personal assistant</h3>"), self.creator, self.status, self.tabs]
        self._on_creator()

    # --- helpers ---------------------------------------------------------------------------

    def _assistant(self):
        if not self.creator.value:
            raise StudioError("add a creator first (`studio creator add`)")
        return self.st.assistant(self.creator.value)

    def _show(self, text: str, error: bool = False) -> None:
        colour = ERROR if error else OK
        self.status.value = f'<span style="color:{colour}">{_esc(text)}</span>'

    def _on_studio_change(self, event: Event) -> None:
        if event.kind != EventKind.ASSISTANT_CHANGED or event.handle != self.creator.value:
            return
        if event.info.get("what") in ("qa", "chats", "knowledge"):
            self._render_qa()
        if event.info.get("what") in ("settings", "conversations"):
            self._render_inbox()

    def _on_creator(self) -> None:
        self._conversation = None
        self.transcript.value = ""
        self._load_editor()
        self._render_qa()
        self._render_queue()
        self._render_inbox()
        self.insights_html.value = ""

    def _load_editor(self) -> None:
        try:
            a = self._assistant()
            self.editor.value = a.knowledge_yaml()
            k = a.knowledge()
            self._build_forms(k.to_dict() if k else {"profile": {}, "gigs": [{"packages": [{}]}], "qa": []})
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

    def _field(self, path: str, value, label: str, width: str = "160px") -> w.Widget:
        """An input for one knowledge field and the place its error is shown, beside it."""
        box = w.Text(value=value, description=label, layout=w.Layout(width=width), style={"description_width": "70px"})
        box.add_class("studio-assistant-field-" + path.split(".")[-1].split("[")[0].replace("_", "-"))
        error = w.HTML()
        error.add_class("studio-assistant-field-error")
        box.observe(lambda _: self._check_forms(), "value")
        self.fields[path], self.field_errors[path] = box, error
        return w.HBox([box, error])

    def _build_forms(self, data: dict) -> None:
        self.fields, self.field_errors = {}, {}
        texts = form_fields(data)
        rows: list[w.Widget] = [w.HTML("<b>Profile</b>")]
        rows += [self._field(f"profile.{k}", texts[f"profile.{k}"], k.capitalize(), "420px")
                 for k in ("name", "bio", "languages", "timezone")]
        rows.append(self._field("offline_message", texts["offline_message"], "Offline", "600px"))
        for gi, _ in enumerate(data.get("gigs") or []):
            rows += [w.HTML(f"<b>Gig {gi + 1}</b>"), self._field(f"gigs[{gi}].title", texts[f"gigs[{gi}].title"], "Title",
                                                                 "420px")]
            packages = sorted({p.split("]")[1] for p in texts if p.startswith(f"gigs[{gi}].packages[")})
            for pi in range(len(packages)):
                at = f"gigs[{gi}].packages[{pi}]."
                rows.append(w.HBox([self._field(at + f, texts[at + f], f.split("_")[0].capitalize(),
                                                "320px" if f == "includes" else "160px") for f in PACKAGE_FIELDS]))
            add = w.Button(description="Add package", icon="plus", layout=w.Layout(width="140px"))
            add.on_click(lambda _, gi=gi: self._grow("package", gi))
            rows.append(add)
        rows.append(w.HTML("<b>Approved Q&amp;A</b>"))
        for qi, _ in enumerate(data.get("qa") or []):
            rows.append(w.HBox([self._field(f"qa[{qi}].q", texts[f"qa[{qi}].q"], "Q", "320px"),
                                self._field(f"qa[{qi}].a", texts[f"qa[{qi}].a"], "A", "480px")]))
        rows.append(w.HTML("<b>Handoff topics</b> (examples separated by commas)"))
        for hi, _ in enumerate(data.get("handoff_topics") or []):
            at = f"handoff_topics[{hi}]."
            rows.append(w.HBox([self._field(at + "topic", texts[at + "topic"], "Topic", "240px"),
                                self._field(at + "examples", texts[at + "examples"], "Examples", "560px")]))
        self.form_box.children = rows
        self._check_forms()

    def _form_data(self) -> dict:
        """The forms' values as a knowledge dict (the core reads the texts: `knowledge.from_form`)."""
        return from_form({path: box.value for path, box in self.fields.items()})

    def _check_forms(self) -> dict[str, str]:
        errors = self._assistant().check_knowledge(self._form_data()) if self.creator.value else {}
        for path, label in self.field_errors.items():
            label.value = f'<span style="color:{ERROR}">{_esc(errors.get(path, ""))}</span>'
        return errors

    def _grow(self, what: str, gig: int = 0) -> None:
        data = self._form_data()
        if what == "gig":
            data["gigs"].append({"title": "", "packages": [{}]})
        elif what == "package":
            data["gigs"][gig]["packages"].append({})
        else:
            data["qa"].append({"q": "", "a": ""})
        self._build_forms(data)

    def _on_form_save(self, _=None) -> None:
        errors = self._check_forms()
        if errors:
            self._show(f"Not saved: {len(errors)} field(s) to fix (shown beside each).", error=True)
            return
        try:
            info = self._assistant().setup(self._form_data())
        except StudioError as exc:
            self._show(str(exc), error=True)
            return
        self.editor.value = self._assistant().knowledge_yaml()
        self._show(f"Saved: {info['gigs']} gigs, {info['packages']} packages, {info['qa']} Q&A, "
                   f"{info['handoff_topics']} handoff topics.")

    # --- inbox -------------------------------------------------------------------------------

    def _render_inbox(self) -> None:
        try:
            a = self._assistant()
            settings, rows = a.inbox(), a.conversations()
        except StudioError:
            self.conversations_box.children = []
            return
        for name, box in self.inbox_fields.items():
            box.value = settings[name] if isinstance(settings[name], bool) else (settings[name] or "")
        self.inbox_status.value = ("<i>paused</i>" if settings["paused"] else
                                   "<i>you count as away now</i>" if settings["away_now"] else "")
        out: list[w.Widget] = []
        for c in rows:
            button = w.Button(description="Hand back" if c["taken_over"] else "Take over",
                              layout=w.Layout(width="110px"))
            button.on_click(lambda _, cid=c["conversation"], back=c["taken_over"]: self._take_over(cid, back))
            money = f" · orders {dollars(c['revenue_cents'])}" if c["orders"] else ""
            out.append(w.HBox([button, w.HTML(
                f"<code>{_esc(c['conversation'])}</code> {_esc(c['client'] or 'unknown client')} · "
                f"{c['messages']} messages, {c['answered']} answered, {c['handoffs']} handed off, "
                f"{c['held']} waiting{money}: {_esc(c['first_message'])}")]))
        self.conversations_box.children = out or [w.HTML("<i>no conversations yet</i>")]

    def _on_inbox_save(self, _=None) -> None:
        try:
            self._assistant().inbox(**read_options(InboxSettings, self.inbox_fields))
            self._show("Inbox settings saved.")
        except (StudioError, ValueError) as exc:
            self._show(str(exc), error=True)
        self._render_inbox()

    def _take_over(self, conversation_id: str, hand_back: bool) -> None:
        try:
            a = self._assistant()
            rows = a.hand_back(conversation_id) if hand_back else a.take_over(conversation_id)
        except StudioError as exc:
            self._show(str(exc), error=True)
            return
        head = "handed back to the assistant" if hand_back else "yours now: the assistant stays silent in it"
        self.conversation_view.value = f"<b>{_esc(conversation_id)}</b> — {head}" + "".join(
            f"<div><b>Client:</b> {_esc(m.client_text)}<br><b>Assistant</b> [{_esc(m.status)}]: "
            f"{_esc(m.reply_text or '—')}</div>" for m in rows)
        self._render_inbox()

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
            warn = f'<br><span style="color:{ERROR}">{_esc("; ".join(p.issues))}</span>' if p.issues else ""
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
            extra = f'<div style="font-size:90%;color:{MUTED}">Summary for you: {_esc(r.summary)}</div>'
        else:
            label = "QUEUED for your approval" if r.status == "queued" else "ANSWERED"
            badge = f'<span class="studio-assistant-answered" style="background:#e8f5e9;color:{OK};padding:1px 6px">{label}</span>'
            extra = ""
        entry = (f'<div class="studio-assistant-turn" style="margin:6px 0">'
                 f'<div><b>Client:</b> {_esc(text)}</div>'
                 f'<div class="studio-assistant-reply"><b>Assistant:</b> {_esc(r.text)}</div>'
                 f'<div style="font-size:90%">{badge} · source <code>{_esc(r.source or "none")}</code> · '
                 f'confidence {r.confidence:.2f}</div>{extra}</div>')
        self.transcript.value += entry
        self._render_queue()
        self._render_inbox()

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
        parts = [f"<p><b>{d['messages']}</b> messages · answered <b>{rate}</b> · handed off "
                 f"<b>{'—' if d['handoff_rate'] is None else format(d['handoff_rate'], '.0%')}</b> · "
                 f"{d['held']} waiting for you · <b>{d['conversations_with_order']}</b> of {d['conversations']} "
                 f"conversations led to an order · revenue <b>{dollars(d['revenue_cents'])}</b>, of it "
                 f"<b>{dollars(d['revenue_answered_alone_cents'])}</b> from {d['conversations_answered_alone']} "
                 f"conversations the assistant answered alone</p>",
                 "<h4>Most frequent questions</h4><ol>"
                 + "".join(f"<li>{_esc(q['question'])} <i>({q['count']}×)</i></li>" for q in d["frequent_questions"])
                 + "</ol>",
                 "<h4>Unanswered questions (FAQ gaps)</h4><ul>"
                 + "".join(f"<li>{_esc(g['question'])} <i>({g['count']}×)</i>"
                           + (f" — suggested answer: {_esc(g['suggested_qa']['a'])}" if g["suggested_qa"]["a"] else "")
                           + "</li>" for g in d["unanswered_questions"]) + "</ul>"
                 + ("<p><i>Propose them as Q&amp;A pairs with the button above; approve each in the Q&amp;A tab.</i>"
                    "</p>" if d["unanswered_questions"] else ""),
                 "<h4>Handoff reasons</h4><ul>"
                 + "".join(f"<li>{_esc(r['reason'])}: {r['count']}</li>" for r in d["handoff_reasons"]) + "</ul>",
                 "<h4>Conversations that led to an order</h4><ul>"
                 + "".join(f"<li>{_esc(c['conversation'])} ({_esc(c['source'])}): {_esc(c['first_message'])}</li>"
                           for c in d["orders"]) + "</ul>"]
        self.insights_html.value = "".join(parts)

    def _on_gaps(self, _=None) -> None:
        try:
            added = self._assistant().propose_gaps()
            self._show(f"{len(added)} question(s) proposed: write and approve their answers in the Q&A tab.")
        except StudioError as exc:
            self._show(str(exc), error=True)
        self._render_qa()

    def close(self) -> None:
        self._unsubscribe()
        super().close()
