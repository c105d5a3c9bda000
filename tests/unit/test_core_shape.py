"""The core's shape: runs owned by the core, typed events, the CLI's areas, one source for options."""

from __future__ import annotations

import dataclasses
import json
import logging
import subprocess
import sys
import threading

import pytest

import studio
from studio.cli import build_parser, main
from studio.errors import StudioError
from studio.events import Event, EventKind
from studio.training import TrainConfig
from tests.unit.training_setup import FAST

pytestmark = pytest.mark.filterwarnings("ignore")


def test_a_listener_that_raises_is_logged_and_the_others_still_hear_every_event(st, caplog):
    heard: list[Event] = []

    def broken(event):
        raise RuntimeError("a panel's bug")

    st.subscribe(broken)
    st.subscribe(heard.append)
    with caplog.at_level(logging.ERROR, logger="studio.events"):
        st.add_creator("ada", "Ada Lovelace", level="level2")
    assert [(e.kind, e.handle) for e in heard] == [(EventKind.CREATOR_ADDED, "ada")]
    assert heard[0].kind == "creator.added"  # kinds are an enum that still reads as text
    assert "a panel's bug" in caplog.text
    assert st.creator("ada").name == "Ada Lovelace"  # the change itself stands


def test_a_creator_has_a_style_word_of_their_own_used_by_training(tmp_path, random_base, portfolio_dir, capsys):
    home = str(tmp_path / "h")
    assert main(["creator", "add", "ada", "--name", "Ada", "--level", "level2", "--style-word", "adaink",
                 "--home", home, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["style_word"] == "adaink"
    assert main(["creator", "set", "ada", "--style-word", "two words", "--home", home]) == 1
    assert "style word is one word" in capsys.readouterr().err
    assert main(["creator", "set", "ada", "--style-word", "adagrain", "--home", home, "--json"]) == 0
    st = studio.open(home)
    assert st.creator("ada").style_word == "adagrain"
    assert st.ledger_events(kind="creator.changed")[0]["payload"]["style_word"] == "adagrain"
    st.add_to_portfolio("ada", [portfolio_dir])
    v = st.train("ada", base=str(random_base), **FAST)
    assert v.trigger == "adagrain"
    assert all(i["caption"].endswith(", adagrain") for i in v.manifest["items"])


def test_a_run_started_in_one_place_is_seen_and_cancelled_from_another(vetted_with_portfolio, random_base):
    home = vetted_with_portfolio.home
    first = studio.open(home)
    second = studio.open(home)  # another notebook cell, panel or service on the same home
    reached = threading.Event()
    run = first.start_training("ada", base=str(random_base), **{**FAST, "steps": 400, "checkpoint_every": 0})
    run.subscribe(lambda e: reached.set() if e.kind == "step" and e.step >= 3 else None)
    assert reached.wait(120), run
    (seen,) = second.runs("ada", active=True)
    assert seen is run and seen.state == "running" and seen.step >= 3 and len(seen.losses) == seen.step
    seen.cancel()
    assert run.wait(120) is None
    assert run.state == "cancelled" and 3 <= run.step < 400
    assert second.runs("ada", active=True) == [] and second.runs("ada") == [run]
    assert first.models("ada") == []  # nothing recorded; the checkpoint is kept for a resume
    assert any(run.path.glob("checkpoint-*/state.json"))


def test_two_runs_for_one_creator_at_once_get_two_versions(vetted_with_portfolio, random_base):
    st = vetted_with_portfolio
    runs = [st.start_training("ada", base=str(random_base), **FAST) for _ in range(2)]
    versions = [r.wait(300) for r in runs]
    assert sorted(v.number for v in versions) == [1, 2]
    assert len({v.path for v in versions}) == 2
    assert all((v.path / "pytorch_lora_weights.safetensors").is_file() for v in versions)


def test_a_run_that_fails_reports_why_and_wait_raises_it(vetted_with_portfolio, random_base, monkeypatch):
    from studio.training import lora

    def boom(*a, **k):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(lora, "train", boom)
    run = vetted_with_portfolio.start_training("ada", base=str(random_base), **FAST)
    with pytest.raises(RuntimeError, match="out of memory"):
        run.wait(60)
    assert run.state == "failed" and "out of memory" in run.message


def test_a_refused_run_is_refused_before_it_starts(st, random_base):
    st.add_creator("neo", "Neo", level="new")
    with pytest.raises(StudioError, match="only .* creators may create models"):
        st.start_training("neo", base=str(random_base))
    st.add_creator("ada", "Ada", level="level2")
    with pytest.raises(StudioError, match="--steps must be at least 1"):
        st.start_training("ada", base=str(random_base), steps=0)
    with pytest.raises(StudioError, match="no images with active consent"):
        st.start_training("ada", base=str(random_base))
    assert st.runs() == []


def test_every_train_config_field_has_a_cli_flag_with_its_declared_help():
    train = next(a for a in build_parser()._subparsers._group_actions[0].choices.items() if a[0] == "train")[1]
    flags = {a.dest: a for a in train._actions}
    for f in dataclasses.fields(TrainConfig):
        assert f.name in flags, f"no flag for TrainConfig.{f.name}"
        assert f.metadata["help"] in (flags[f.name].help or "")
    args = train.parse_args(["ada", "--keep-checkpoints", "5", "--holdout", "0.25", "--warmup-steps", "3",
                             "--no-cache", "--sample-prompts", "a red circle", "a blue square"])
    assert (args.keep_checkpoints, args.holdout, args.warmup_steps, args.cache_latents) == (5, 0.25, 3, False)
    assert args.sample_prompts == ["a red circle", "a blue square"] and args.steps is None  # default from TrainConfig


def test_a_value_outside_its_declared_bounds_is_a_one_line_error(tmp_path, capsys):
    home = str(tmp_path / "h")
    main(["creator", "add", "ada", "--name", "Ada", "--level", "level2", "--home", home])
    assert main(["train", "ada", "--holdout", "0.95", "--home", home]) == 1
    assert capsys.readouterr().err.strip() == "studio: error: --holdout must be at most 0.9, not 0.95"


def test_a_missing_area_module_makes_studio_help_fail_loudly(tmp_path):
    # A stand-in for a broken install: the pricing commands' module cannot be imported.
    (tmp_path / "sitecustomize.py").write_text("import sys\nsys.modules['studio.pricing.cli'] = None\n")
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "studio.cli", "--help"], capture_output=True, text=True, env=env)
    assert done.returncode != 0
    assert "studio.pricing.cli" in done.stderr and "usage:" not in done.stdout
    ok = subprocess.run([sys.executable, "-m", "studio.cli", "--help"], capture_output=True, text=True)
    assert ok.returncode == 0 and "pricing" in ok.stdout


def test_a_dashboard_tab_whose_module_is_missing_is_an_error(monkeypatch):
    from widgets import creator

    monkeypatch.setitem(sys.modules, "widgets.gallery", None)
    with pytest.raises(ImportError):
        creator.available_panels()
