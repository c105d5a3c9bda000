"""The Train panel watches a run the core owns: a second panel sees it, either may cancel it."""

from __future__ import annotations

import threading

import pytest

from tests.unit.training_setup import FAST

pytestmark = pytest.mark.filterwarnings("ignore")


def test_a_second_panel_shows_the_run_in_progress_and_can_cancel_it(vetted_with_portfolio, random_base):
    from widgets.training import TrainingPanel

    st = vetted_with_portfolio
    first = TrainingPanel(st, "ada", base=str(random_base), steps=400, **{k: v for k, v in FAST.items()
                                                                          if k not in ("steps",)})
    first.advanced_fields["checkpoint_every"].value = 0
    first.start.click()
    (run,) = st.runs("ada")
    reached = threading.Event()
    run.subscribe(lambda e: reached.set() if e.kind == "step" and e.step >= 3 else None)
    assert reached.wait(120), first.status.value
    assert first.start.disabled and not first.cancel_button.disabled

    second = TrainingPanel(st, "ada")  # opened later, e.g. in another tab of the dashboard
    assert second.run is run
    assert second.start.disabled and second.progress.max == 400 and second.progress.value >= 3
    assert len(second.loss_line.y) >= 3

    first.close()  # closing a panel does not stop the run
    assert run.active
    second.cancel_button.click()
    assert run.wait(120) is None and run.state == "cancelled"
    assert "Cancelled at step" in second.status.value and not second.start.disabled


def test_the_panel_fields_come_from_train_config_and_a_bad_value_is_refused(vetted_with_portfolio):
    from studio.training import TrainConfig
    from widgets.training import TrainingPanel

    st = vetted_with_portfolio
    st.set_style_word("ada", "adaink")
    panel = TrainingPanel(st, "ada")
    assert panel.fields["steps"].value == TrainConfig.steps == 300
    assert panel.fields["sample_every"].value == TrainConfig.sample_every
    assert panel.fields["trigger"].value == "adaink"  # the creator's own style word
    assert {"keep_checkpoints", "holdout", "warmup_steps"} <= set(panel.advanced_fields)
    panel.fields["lr"].value = "fast"
    panel.start.click()
    assert "Lr must be a number or &#x27;auto&#x27;" in panel.status.value and st.runs() == []


def test_a_writers_panel_trains_a_text_model_with_its_own_defaults_and_shows_the_copy(vetted, tmp_path):
    from studio.samples.writers import portfolio, write_jsonl
    from studio.training.config import TextTrainConfig
    from widgets.training import TrainingPanel

    write_jsonl(portfolio("hush", n=8, seed=1), tmp_path / "hush.jsonl")
    vetted.add_to_portfolio("ada", [tmp_path / "hush.jsonl"])
    panel = TrainingPanel(vetted, "ada")
    assert panel.kind.value == "text"  # what the portfolio holds
    assert panel.fields["steps"].value == TextTrainConfig.steps and "trigger" not in panel.fields
    panel.fields["steps"].value, panel.fields["sample_every"].value = 4, 2
    panel.fields["batch_size"].value, panel.fields["rank"].value = 2, 4
    panel.advanced_fields["checkpoint_every"].value = 0
    panel.start.click()
    (run,) = vetted.runs("ada")
    version = run.wait(120)
    assert version.manifest["kind"] == "text" and version.metrics["steps"] == 4
    texts = [c for c in panel.previews.children if "studio-train-preview-text" in c._dom_classes]
    assert texts and "Previews at step 4" in panel.preview_caption.value
