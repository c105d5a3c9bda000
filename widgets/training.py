"""Train panel: pick a creator and options, Start/Cancel, progress with steps/s and ETA,
a live loss curve and preview samples, while the kernel stays responsive.

The run belongs to the core (`Studio.start_training` returns a `TrainingRun`, listed by
`Studio.runs()`); the panel only watches it. A second panel on the same creator shows the
run already in progress, any of them can cancel it, and closing a panel leaves it running.
Run events arrive on the training thread and only ever set widget traits, never `with out:`.
"""

from __future__ import annotations

import html
import io
import time

import ipywidgets as w
from bqplot import Axis, Figure, LinearScale, Lines

import studio
from studio.errors import StudioError
from studio.events import EventKind
from studio.training import TrainConfig
from studio.training.config import TextTrainConfig
from studio.storefront.theme import ACCENT, ACCENT_SOFT, ERROR, MUTED, TEXT
from widgets.common import creator_picker
from widgets.options import option_widgets, read_options

PREVIEW_PX = "128px"
AVERAGE_OVER = 20  # steps in the moving average drawn over the noisy per-step loss


def _png(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _moving_average(values: list[float]) -> list[float]:
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v - (values[i - AVERAGE_OVER] if i >= AVERAGE_OVER else 0.0)
        out.append(total / min(i + 1, AVERAGE_OVER))
    return out


class TrainingPanel(w.VBox):
    """Every action is one call on `Studio`; the panel shows what the run it watches says.

    Keyword arguments (steps=..., sample_every=...) set the fields' starting values;
    every other default comes from `TrainConfig` (an image model) or `TextTrainConfig` (a text model,
    when the Kind toggle says text: it starts at what the creator's portfolio holds).
    """

    CONFIGS = {"image": TrainConfig, "text": TextTrainConfig}

    def __init__(self, st: studio.Studio, handle: str | None = None, **values):
        super().__init__()
        from studio.models.bases import default_base

        self.st = st
        self.run = None  # the TrainingRun being watched
        self._unwatch = lambda: None
        self.add_class("studio-training")
        self.creator = creator_picker(st, handle)
        self.kind = w.ToggleButtons(options=["image", "text"], description="Kind", style={"button_width": "70px"})
        self.kind.add_class("studio-train-kind")
        self.forms = {}
        for kind, cls in self.CONFIGS.items():
            start = {"base": default_base(), **values} if kind == "image" else dict(values)
            self.forms[kind] = (option_widgets(cls, start, panels=("main",)), option_widgets(cls, values, panels=("advanced",)))
        self.fields, self.advanced_fields = self.forms["image"]
        self.options_box = w.VBox()
        self.start = w.Button(description="Start training", button_style="primary", icon="play")
        self.cancel_button = w.Button(description="Cancel", button_style="warning", icon="stop", disabled=True)
        self.progress = w.IntProgress(value=0, min=0, max=1, description="Progress", bar_style="info",
                                      layout=w.Layout(width="420px"))
        self.progress.add_class("studio-train-progress")
        self.status = w.HTML("Pick a creator and press <b>Start training</b>.")
        self.status.add_class("studio-train-status")
        self.result = w.HTML()
        self.result.add_class("studio-train-result")

        xs, ys = LinearScale(), LinearScale()
        # Per-step loss is noisy at small batch sizes: drawn faintly, with its moving average on top.
        self.loss_line = Lines(x=[], y=[], scales={"x": xs, "y": ys}, colors=[ACCENT_SOFT], stroke_width=1)
        self.avg_line = Lines(x=[], y=[], scales={"x": xs, "y": ys}, colors=[ACCENT], stroke_width=2)
        self.loss_plot = Figure(marks=[self.loss_line, self.avg_line],
                                title=f"Training loss (and its {AVERAGE_OVER}-step average)",
                                axes=[Axis(scale=xs, label="step"), Axis(scale=ys, orientation="vertical", label="loss")],
                                layout=w.Layout(width="520px", height="260px"),
                                fig_margin=dict(top=40, bottom=40, left=50, right=10))
        self.loss_plot.add_class("studio-train-loss")
        self.previews = w.HBox(layout=w.Layout(flex_flow="row wrap", grid_gap="6px"))
        self.previews.add_class("studio-train-previews")
        self.preview_caption = w.HTML()
        self._last_draw = 0.0

        self.creator.observe(lambda _c: self._on_creator(), "value")
        self.kind.observe(lambda _c: self._show_form(), "value")
        self.start.on_click(self._on_start)
        self.cancel_button.on_click(self._on_cancel)
        self._unsubscribe = st.subscribe(self._on_studio_change)
        self.children = [
            w.HTML("<h3>Train your model</h3>"),
            w.HBox([self.creator, self.kind]),
            self.options_box,
            w.HBox([self.start, self.cancel_button]),
            self.progress,
            self.status,
            self.result,
            w.HBox([self.loss_plot, w.VBox([self.preview_caption, self.previews])]),
        ]
        self._show_form()
        self._on_creator()

    def _show_form(self) -> None:
        """The chosen kind's fields (each kind keeps its own values)."""
        self.fields, self.advanced_fields = self.forms[self.kind.value]
        main = list(self.fields.values())
        advanced = w.Accordion([w.VBox(list(self.advanced_fields.values()))], titles=("More options",),
                               selected_index=None)
        self.options_box.children = [main[0], w.GridBox(main[1:], layout=w.Layout(grid_template_columns="repeat(3, 230px)")),
                                     advanced]

    # --- actions ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.run is not None and self.run.active

    def _on_creator(self) -> None:
        handle = self.creator.value
        if not handle:
            return
        self.forms["image"][0]["trigger"].value = self.st.creator(handle).style_word or ""
        kinds = {i.kind for i in self.st.portfolio(handle, include_revoked=False)}
        if kinds and not self.running:
            self.kind.value = "text" if kinds == {"text"} else "image"
        active = self.st.runs(handle, active=True)
        if active:
            self.watch(active[-1])
        elif self.run is not None and self.run.handle != handle:
            self._unwatch()
            self.run = None
            self._reset()
            self.status.value = "Pick a creator and press <b>Start training</b>."

    def _on_start(self, _button=None) -> None:
        if self.running or not self.creator.value:
            return
        try:
            kind = self.kind.value
            options = read_options(self.CONFIGS[kind], {**self.fields, **self.advanced_fields})
            run = self.st.start_training(self.creator.value, kind=kind, **options)
        except (StudioError, ValueError) as exc:
            self._say(html.escape(str(exc)), error=True)
            return
        self.watch(run)

    def _on_cancel(self, _button=None) -> None:
        if self.run is not None:
            self.run.cancel()
        self.cancel_button.disabled = True
        self._say("Cancelling after the current step...")

    def watch(self, run) -> None:
        """Show ``run``: what it has done so far, then every event as it comes."""
        if run is self.run:
            return
        self._unwatch()
        self.run = run
        self._reset()
        self.progress.max, self.progress.value = max(1, run.total), run.step
        if run.losses:
            self._draw(force=True)
        if run.previews:
            last = run.previews[-1]
            self._show_previews(last.images, last.prompts, last.step, last.texts)
        self._unwatch = run.subscribe(self._on_event)
        if run.active:
            self.start.disabled, self.cancel_button.disabled = True, run.cancel_event.is_set()
            self._say(f"Training: step {run.step}/{run.total}" if run.step else
                      "Preparing: loading the base and encoding the portfolio...")
        else:
            self._show_outcome(run)

    def _reset(self) -> None:
        self.loss_line.x, self.loss_line.y = [], []
        self.avg_line.x, self.avg_line.y = [], []
        self.previews.children = []
        self.preview_caption.value = ""
        self.progress.value, self.progress.bar_style = 0, "info"
        self.result.value = ""
        self.start.disabled, self.cancel_button.disabled = False, True

    # --- events (on the training thread: trait updates only) ----------------------------------

    def _on_studio_change(self, event) -> None:
        if event.kind == EventKind.CREATOR_ADDED:
            self.creator.options = [c.handle for c in self.st.creators()]
        elif event.handle != self.creator.value:
            return
        elif event.kind == EventKind.CREATOR_CHANGED and not self.running:
            self.forms["image"][0]["trigger"].value = event.info.get("style_word") or ""
        elif event.kind == EventKind.TRAINING_STARTED and not self.running:
            found = [r for r in self.st.runs(event.handle) if r.id == event.info["run"]]
            if found:
                self.watch(found[0])
        elif event.kind == EventKind.TRAINING_FINISHED and self.run is not None and self.run.id == event.info["run"]:
            self._show_outcome(self.run)

    def _on_event(self, e) -> None:
        if e.kind == "start":
            self.progress.max, self.progress.value = e.total, e.step
            self._say(f"Training: {html.escape(e.message or '')}")
        elif e.kind == "resumed":
            self._say(html.escape(e.message or ""))
        elif e.kind == "step":
            if self._draw(force=e.step == e.total):
                self._say(f"step {e.step}/{e.total} · loss {e.loss:.4f} · {e.steps_per_s:.1f} steps/s · "
                          f"ETA {_clock(e.eta_s)}")
        elif e.kind == "samples":
            self._show_previews(e.images, e.prompts, e.step, e.texts)
        elif e.kind == "done":
            self.progress.value, self.progress.bar_style = e.step, "success"
            self._say(f"Done: {e.step} steps, final loss {e.loss}.")
        elif e.kind == "cancelled":
            self.progress.bar_style = "warning"
            self._say(f"Cancelled at step {e.step}; the last checkpoint is kept (resume continues from it).")

    def _draw(self, force: bool = False) -> bool:
        """Redraw the progress and the loss curve a few times a second, not once per step."""
        now = time.monotonic()
        if not force and now - self._last_draw < 0.25:
            return False
        self._last_draw = now
        losses = list(self.run.losses)
        start = self.run.step - len(losses) + 1  # a resumed run's history starts at its checkpoint
        xs = list(range(start, start + len(losses)))
        self.progress.value = self.run.step
        with self.loss_plot.hold_sync():
            self.loss_line.x, self.loss_line.y = xs, losses
            self.avg_line.x, self.avg_line.y = xs, _moving_average(losses)
        return True

    def _show_previews(self, images, prompts, step: int, texts=()) -> None:
        cards = []
        for text, prompt in zip(texts, prompts):  # a text model: the copy written for each brief
            card = w.HTML(f"<div style='width:240px;font-size:12px'><div style='color:{MUTED}'>{html.escape(prompt)}</div>"
                          f"<div style='white-space:pre-wrap'>{html.escape(text)}</div></div>")
            card.add_class("studio-train-preview-text")
            cards.append(card)
        for img, prompt in zip(images, prompts):
            pic = w.Image(value=_png(img), format="png", layout=w.Layout(width=PREVIEW_PX, height=PREVIEW_PX))
            pic.add_class("studio-train-preview")
            cards.append(w.VBox([pic, w.HTML(f"<div style='width:{PREVIEW_PX};font-size:11px'>"
                                             f"{html.escape(prompt)}</div>")]))
        self.previews.children = cards
        self.preview_caption.value = f"<b>Previews at step {step}</b>"

    def _show_outcome(self, run) -> None:
        self.start.disabled, self.cancel_button.disabled = False, True
        if run.state == "failed":
            self.progress.bar_style = "danger"
            self._say(html.escape(run.message or "training failed"), error=True)
        elif run.state == "cancelled":
            self.progress.bar_style = "warning"
            self._say(f"Cancelled at step {run.step}; the last checkpoint is kept (resume continues from it).")
        elif run.version is not None:
            v, m = run.version, run.version.metrics
            self.progress.value, self.progress.bar_style = run.step, "success"
            self.result.value = (
                f"<b>Version {v.number}</b> of {html.escape(run.handle)}'s model is trained: "
                f"{m.get('steps')} steps in {m.get('seconds')} s, final loss {m.get('final_loss')}.<br>"
                f"Saved to <code>{html.escape(str(v.path))}</code>. Compare it with the base in the "
                f"<b>Gallery</b> tab, then run the quality gate and publish.")

    def _say(self, message: str, error: bool = False) -> None:
        colour = ERROR if error else TEXT
        self.status.value = f"<span style='color:{colour}'>{message}</span>"

    def close(self) -> None:
        """Stop watching; the run itself goes on (other views and `st.runs()` still see it)."""
        self._unwatch()
        self._unsubscribe()
        super().close()
