"""Gallery panel: a prompt and seeds, the base and the fine-tuned outputs side by side,
memorisation flags, and the quality-gate scores (with Run gate / Publish).

Generation runs in a worker thread; results arrive as trait updates.
"""

from __future__ import annotations

import html
import threading

import ipywidgets as w

import studio
from studio.errors import StudioError
from studio.events import EventKind
from studio.money import dollars, parse_dollars
from studio.quality.gate import score_rows
from studio.storefront.theme import ERROR, MUTED, OK, TEXT
from widgets.common import creator_picker

IMG_PX = "128px"


def _seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.replace(" ", ",").split(",") if s.strip()]
    except ValueError:
        raise StudioError(f"seeds are whole numbers separated by commas, not {text!r}") from None
    if not 1 <= len(seeds) <= 16:
        raise StudioError("give between 1 and 16 seeds")
    return seeds


class GalleryPanel(w.VBox):
    def __init__(self, st: studio.Studio, handle: str | None = None):
        super().__init__()
        self.st = st
        self.add_class("studio-gallery")
        self.creator = creator_picker(st, handle)
        self.version = w.Dropdown(options=[], description="Version")
        self.prompt = w.Text(description="Prompt", layout=w.Layout(width="560px"))
        self.prompt.add_class("studio-gallery-prompt")
        self.seeds = w.Text(value="1, 2, 3", description="Seeds", layout=w.Layout(width="260px"))
        self.go = w.Button(description="Generate", button_style="primary", icon="image")
        self.gate_button = w.Button(description="Run quality gate", icon="check")
        self.price = w.Text(value="5.00", description="Price ($)", layout=w.Layout(width="200px"))
        self.publish_button = w.Button(description="Publish", button_style="success", icon="upload")
        self.status = w.HTML()
        self.status.add_class("studio-gallery-status")
        self.scores = w.HTML()
        self.scores.add_class("studio-gallery-scores")
        self.base_row = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self.model_row = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self.model_row.add_class("studio-gallery-model")
        self._thread: threading.Thread | None = None

        self.creator.observe(lambda _c: self.refresh(), "value")
        self.version.observe(lambda _c: self._show_version(), "value")
        self.go.on_click(self._on_generate)
        self.gate_button.on_click(self._on_gate)
        self.publish_button.on_click(self._on_publish)
        self._unsubscribe = st.subscribe(self._on_studio_change)
        self.children = [
            w.HTML("<h3>Preview and compare</h3>"),
            w.HBox([self.creator, self.version]),
            self.prompt,
            w.HBox([self.seeds, self.go]),
            self.status,
            w.HTML("<b>Base model</b>"), self.base_row,
            w.HTML("<b>Your model</b>"), self.model_row,
            w.HTML("<h4>Quality gate</h4>"), self.scores,
            w.HBox([self.gate_button, self.price, self.publish_button]),
        ]
        self.refresh()

    # --- state from the studio ----------------------------------------------------------------

    def _on_studio_change(self, event) -> None:
        if event.kind == EventKind.CREATOR_ADDED:
            self.creator.options = [c.handle for c in self.st.creators()]
        elif event.kind.startswith("model.") and event.handle == self.creator.value:
            self.refresh(newest=event.kind == EventKind.MODEL_TRAINED)

    def refresh(self, newest: bool = False) -> None:
        if not self.creator.value:
            self.version.options = []
            return
        versions = self.st.models(self.creator.value)
        current = self.version.value
        self.version.options = [(f"v{v.number} ({v.status})", v.id) for v in reversed(versions)]
        ids = [v.id for v in versions]
        self.version.value = current if current in ids and not newest else (ids[-1] if ids else None)
        if not versions:
            self.status.value = "<i>No trained model yet: train one in the Train tab.</i>"
        self._show_version()

    def _current(self):
        if not self.version.value:
            return None
        return self.st.model_version(self.creator.value, self.version.value)

    def _show_version(self) -> None:
        v = self._current()
        if v is None:
            self.scores.value = ""
            return
        if not self.prompt.value:
            prompts = v.manifest.get("holdout_captions") or v.manifest.get("sample_prompts") or [""]
            self.prompt.value = prompts[0]
        s = v.scores
        if not s:
            self.scores.value = "<i>Not scored yet: run the quality gate before publishing.</i>"
            return
        rows = score_rows(s)
        verdict = (f"<b style='color:{OK}'>passed</b>: closer to the creator's work than the base, by more than "
                   "chance" if s["passed"] else f"<b style='color:{ERROR}'>not passed</b>: not shown closer to the "
                   "creator's work than the base by more than chance, or worse on another measure")
        self.scores.value = (
            "<table>" + "".join(f"<tr><td>{html.escape(k)}</td><td><b>{html.escape(str(val))}</b></td></tr>"
                                for k, val in rows)
            + f"</table>{verdict} ({s.get('images', s.get('outputs', '?'))} outputs from {s.get('prompts', '?')} "
              f"{html.escape(str(s.get('prompt_source', 'prompts')))}); version status: <b>{v.status}</b>")

    # --- actions (worker thread) -------------------------------------------------------------------

    def _run(self, label: str, work) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._say(label + "...")
        for b in (self.go, self.gate_button, self.publish_button):
            b.disabled = True

        def target():
            try:
                work()
            except StudioError as exc:
                self._say(html.escape(str(exc)), error=True)
            except Exception as exc:
                self._say(html.escape(f"{type(exc).__name__}: {exc}"), error=True)
            finally:
                for b in (self.go, self.gate_button, self.publish_button):
                    b.disabled = False

        self._thread = threading.Thread(target=target, daemon=True, name="studio-gallery")
        self._thread.start()

    def _card(self, png: bytes, caption: str, flagged: str | None = None) -> w.VBox:
        pic = w.Image(value=png, format="png", layout=w.Layout(width=IMG_PX, height=IMG_PX))
        pic.add_class("studio-gallery-image")
        note = (f"<div class='studio-flag' style='color:{ERROR}' title='{html.escape(flagged)}'>⚠ too close to a "
                f"training item: not for sale</div>" if flagged else "")
        return w.VBox([pic, w.HTML(f"<div style='font-size:11px;width:{IMG_PX}'>{html.escape(caption)}{note}</div>")])

    def _text_card(self, text: str, caption: str, flagged: str | None = None) -> w.HTML:
        note = (f"<div class='studio-flag' style='color:{ERROR}' title='{html.escape(flagged)}'>⚠ repeats a training "
                f"sample: not for sale</div>" if flagged else "")
        card = w.HTML(f"<div style='width:260px;font-size:12px;border:1px solid #ddd;padding:6px;margin:3px'>"
                      f"<div style='white-space:pre-wrap'>{html.escape(text)}</div>"
                      f"<div style='color:{MUTED};font-size:11px'>{html.escape(caption)}</div>{note}</div>")
        card.add_class("studio-gallery-text")
        return card

    def _on_generate(self, _button=None) -> None:
        handle, v = self.creator.value, self._current()
        if v is None:
            self._say("No trained model to preview yet.", error=True)
            return
        try:
            seeds = _seeds(self.seeds.value)
        except StudioError as exc:
            self._say(html.escape(str(exc)), error=True)
            return
        prompt = self.prompt.value

        def work():
            gens = [self.st.generate(handle, prompt, seed=s, version_id=v.id)[0] for s in seeds]
            base = self.st.base_images(handle, prompt, seeds, v.id)
            if v.manifest.get("kind") == "text":  # a writer's model: the copy itself, base and model side by side
                self.base_row.children = [self._text_card(t.decode(), f"seed {s}") for t, s in zip(base, seeds)]
                self.model_row.children = [self._text_card(self.st.blobs.get(g.sha256).decode(),
                                                           f"seed {g.seed} · {g.id}", g.flagged) for g in gens]
            else:
                self.base_row.children = [self._card(png, f"seed {s}") for png, s in zip(base, seeds)]
                self.model_row.children = [self._card(self.st.blobs.get(g.sha256), f"seed {g.seed} · {g.id}",
                                                      g.flagged) for g in gens]
            flagged = sum(1 for g in gens if g.flagged)
            what = "texts" if v.manifest.get("kind") == "text" else "images"
            self._say(f"{len(gens)} {what} from v{v.number}" + (f"; {flagged} flagged as too close to a training item"
                                                                if flagged else "; none too close to a training item"))

        self._run("Generating", work)

    def _on_gate(self, _button=None) -> None:
        handle, v = self.creator.value, self._current()
        if v is None:
            return

        def work():
            s = self.st.quality_gate(handle, v.id)
            self._show_version()
            self._say("Quality gate " + ("passed." if s["passed"] else "not passed."))

        self._run("Running the quality gate", work)

    def _on_publish(self, _button=None) -> None:
        handle, v = self.creator.value, self._current()
        if v is None:
            return

        def work():
            cents = parse_dollars(self.price.value, self.st.policy)
            pub = self.st.publish(handle, v.id, price_cents=cents)
            self._say(f"Version {pub.number} published at {dollars(cents)} per generation.")

        self._run("Publishing", work)

    def _say(self, message: str, error: bool = False) -> None:
        colour = ERROR if error else TEXT
        self.status.value = f"<span style='color:{colour}'>{message}</span>"

    def close(self) -> None:
        self._unsubscribe()
        super().close()
