"""Train panel: pick a creator and options, Start/Cancel, progress with steps/s and ETA,
a live loss curve and preview samples, while the kernel stays responsive.

Training runs in a worker thread (`Studio.train` with a cancel Event). Its events arrive on
that thread and only ever set widget traits (values, children, mark data) — never `with out:`.
"""

from __future__ import annotations

import html
import io
import threading
import time

import ipywidgets as w
from bqplot import Axis, Figure, LinearScale, Lines

import studio
from studio.errors import StudioError
from widgets.common import creator_picker

PREVIEW_PX = "128px"


def _png(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class TrainingPanel(w.VBox):
    """Every action is one call on `Studio`; the panel only shows what the training events say."""

    def __init__(self, st: studio.Studio, handle: str | None = None, steps: int = 300, sample_every: int = 50):
        super().__init__()
        from studio.samples import SAMPLE_CREATORS
        from studio.training import default_base

        self.st = st
        self.add_class("studio-training")
        self._triggers = {c.handle: c.trigger for c in SAMPLE_CREATORS}
        self.creator = creator_picker(st, handle)
        self.base = w.Text(value=default_base(), description="Base", layout=w.Layout(width="420px"))
        self.steps = w.BoundedIntText(value=steps, min=1, max=100_000, description="Steps", layout=w.Layout(width="200px"))
        self.steps.add_class("studio-train-steps")
        self.rank = w.BoundedIntText(value=8, min=1, max=256, description="Rank", layout=w.Layout(width="200px"))
        self.lr = w.Text(value="auto", description="LR", layout=w.Layout(width="200px"),
                         tooltip="learning rate; auto suits the base (3e-3 on studio-tiny, 1e-4 on SD 1.5)")
        self.batch = w.BoundedIntText(value=4, min=1, max=256, description="Batch", layout=w.Layout(width="200px"))
        self.sample_every = w.BoundedIntText(value=sample_every, min=0, max=100_000, description="Previews every",
                                             style={"description_width": "initial"}, layout=w.Layout(width="200px"))
        self.sample_every.add_class("studio-train-sample-every")
        self.trigger = w.Text(description="Trigger", placeholder="style word", layout=w.Layout(width="260px"))
        self.seed = w.IntText(value=0, description="Seed", layout=w.Layout(width="200px"))
        self.start = w.Button(description="Start training", button_style="primary", icon="play")
        self.cancel_button = w.Button(description="Cancel", button_style="warning", icon="stop", disabled=True)
        self.progress = w.IntProgress(value=0, min=0, max=steps, description="Progress", bar_style="info",
                                      layout=w.Layout(width="420px"))
        self.progress.add_class("studio-train-progress")
        self.status = w.HTML("Pick a creator and press <b>Start training</b>.")
        self.status.add_class("studio-train-status")
        self.result = w.HTML()
        self.result.add_class("studio-train-result")

        xs, ys = LinearScale(), LinearScale()
        # Per-step loss is noisy at small batch sizes: drawn faintly, with its moving average on top.
        self.loss_line = Lines(x=[], y=[], scales={"x": xs, "y": ys}, colors=["#b7d3ea"], stroke_width=1)
        self.avg_line = Lines(x=[], y=[], scales={"x": xs, "y": ys}, colors=["#08519c"], stroke_width=2)
        self.loss_plot = Figure(marks=[self.loss_line, self.avg_line], title="Training loss (and its 20-step average)",
                                axes=[Axis(scale=xs, label="step"), Axis(scale=ys, orientation="vertical", label="loss")],
                                layout=w.Layout(width="520px", height="260px"), fig_margin=dict(top=40, bottom=40, left=50, right=10))
        self.loss_plot.add_class("studio-train-loss")
        self.previews = w.HBox(layout=w.Layout(flex_flow="row wrap", grid_gap="6px"))
        self.previews.add_class("studio-train-previews")
        self.preview_caption = w.HTML()

        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self._xs: list[int] = []
        self._ys: list[float] = []
        self._last_draw = 0.0

        self.creator.observe(lambda _c: self._fill_trigger(), "value")
        self.start.on_click(self._on_start)
        self.cancel_button.on_click(self._on_cancel)
        self._fill_trigger()
        self.children = [
            w.HTML("<h3>Train your model</h3>"),
            w.HBox([self.creator, self.base]),
            w.HBox([self.steps, self.rank, self.lr]),
            w.HBox([self.batch, self.sample_every, self.seed]),
            self.trigger,
            w.HBox([self.start, self.cancel_button]),
            self.progress,
            self.status,
            self.result,
            w.HBox([self.loss_plot, w.VBox([self.preview_caption, self.previews])]),
        ]

    # --- actions ----------------------------------------------------------------------------

    def _fill_trigger(self) -> None:
        self.trigger.value = self._triggers.get(self.creator.value or "", "")

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _on_start(self, _button=None) -> None:
        if self.running or not self.creator.value:
            return
        handle = self.creator.value
        try:
            self.st.require_vetted(handle)
        except StudioError as exc:
            self._say(html.escape(str(exc)), error=True)
            return
        try:
            lr = None if self.lr.value.strip() in ("", "auto") else float(self.lr.value)
        except ValueError:
            self._say(f"LR must be a number or 'auto', not {html.escape(self.lr.value)!r}", error=True)
            return
        options = dict(base=self.base.value.strip(), steps=self.steps.value, rank=self.rank.value, lr=lr,
                       batch_size=self.batch.value, sample_every=self.sample_every.value, seed=self.seed.value,
                       trigger=self.trigger.value.strip() or None)
        self._cancel = threading.Event()
        self._xs, self._ys, self._avg = [], [], []
        self.loss_line.x, self.loss_line.y = [], []
        self.avg_line.x, self.avg_line.y = [], []
        self.previews.children = []
        self.progress.value, self.progress.max, self.progress.bar_style = 0, self.steps.value, "info"
        self.result.value = ""
        self.start.disabled, self.cancel_button.disabled = True, False
        self._say("Preparing: loading the base and encoding the portfolio...")
        self._thread = threading.Thread(target=self._work, args=(handle, options), daemon=True, name="studio-train")
        self._thread.start()

    def _on_cancel(self, _button=None) -> None:
        self._cancel.set()
        self.cancel_button.disabled = True
        self._say("Cancelling after the current step...")

    def _work(self, handle: str, options: dict) -> None:
        try:
            version = self.st.train(handle, on_event=self._on_event, cancel=self._cancel, **options)
        except StudioError as exc:
            self._say(html.escape(str(exc)), error=True)
            self.progress.bar_style = "danger"
        except Exception as exc:  # a bug: show it rather than die silently in a thread
            self._say(html.escape(f"training failed: {type(exc).__name__}: {exc}"), error=True)
            self.progress.bar_style = "danger"
        else:
            if version is not None:
                m = version.metrics
                self.result.value = (
                    f"<b>Version {version.number}</b> of {html.escape(handle)}'s model is trained: "
                    f"{m.get('steps')} steps in {m.get('seconds')} s, final loss {m.get('final_loss')}.<br>"
                    f"Saved to <code>{html.escape(str(version.path))}</code>. Compare it with the base in the "
                    f"<b>Gallery</b> tab, then run the quality gate and publish.")
        finally:
            self.start.disabled, self.cancel_button.disabled = False, True

    # --- events (on the worker thread: trait updates only) ------------------------------------

    def _on_event(self, e) -> None:
        if e.kind == "start":
            self.progress.max, self.progress.value = e.total, e.step
            self._say(f"Training: {html.escape(e.message or '')}")
        elif e.kind == "resumed":
            self._say(html.escape(e.message or ""))
        elif e.kind == "step":
            self._xs.append(e.step)
            self._ys.append(e.loss)
            window = self._ys[-20:]
            self._avg.append(sum(window) / len(window))
            now = time.monotonic()
            if now - self._last_draw > 0.25 or e.step == e.total:  # a few redraws a second, not one per step
                self._last_draw = now
                self.progress.value = e.step
                with self.loss_plot.hold_sync():
                    self.loss_line.x, self.loss_line.y = list(self._xs), list(self._ys)
                    self.avg_line.x, self.avg_line.y = list(self._xs), list(self._avg)
                self._say(f"step {e.step}/{e.total} · loss {e.loss:.4f} · {e.steps_per_s:.1f} steps/s · "
                          f"ETA {_clock(e.eta_s)}")
        elif e.kind == "samples":
            cards = []
            for img, prompt in zip(e.images, e.prompts):
                pic = w.Image(value=_png(img), format="png", layout=w.Layout(width=PREVIEW_PX, height=PREVIEW_PX))
                pic.add_class("studio-train-preview")
                cards.append(w.VBox([pic, w.HTML(f"<div style='width:{PREVIEW_PX};font-size:11px'>"
                                                 f"{html.escape(prompt)}</div>")]))
            self.previews.children = cards
            self.preview_caption.value = f"<b>Previews at step {e.step}</b>"
        elif e.kind == "checkpoint":
            pass
        elif e.kind == "done":
            self.progress.value, self.progress.bar_style = e.step, "success"
            self._say(f"Done: {e.step} steps, final loss {e.loss}.")
        elif e.kind == "cancelled":
            self.progress.bar_style = "warning"
            self._say(f"Cancelled at step {e.step}; the last checkpoint is kept (resume continues from it).")

    def _say(self, message: str, error: bool = False) -> None:
        colour = "#b00020" if error else "#333"
        self.status.value = f"<span style='color:{colour}'>{message}</span>"

    def close(self) -> None:
        self._cancel.set()
        super().close()
