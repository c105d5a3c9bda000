"""LoRA training: what a creator gets out of a run, stopping and resuming, and bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import studio
from studio.errors import StudioError
from studio.training import TrainConfig, data
from studio.training.lora import train
from tests.unit.training_setup import FAST

pytestmark = pytest.mark.filterwarnings("ignore")

RESUME_STEPS = 40
ROOT = Path(__file__).resolve().parents[2]


def _pipe(base):
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(str(base), local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _image(pipe, prompt="a red circle on a white background, mirastyle", seed=1):
    import torch

    return pipe(prompt, num_inference_steps=4, guidance_scale=5.0, height=64, width=64, output_type="np",
                generator=torch.Generator().manual_seed(seed)).images[0]


def _weights(folder):
    from safetensors.torch import load_file

    return load_file(str(Path(folder) / "pytorch_lora_weights.safetensors"))


def _config(base, **over):
    return TrainConfig(base=str(base), trigger="mirastyle", **{**FAST, **over})


@pytest.fixture(scope="module")
def folder_model(tmp_path_factory, random_base, portfolio_dir):
    out = tmp_path_factory.mktemp("models") / "mira-folder"
    events = []
    result = train(_config(random_base, sample_every=4, checkpoint_every=4),
                   data.from_folder(portfolio_dir, "mirastyle"), out, on_event=events.append)
    return out, result, events


def test_a_folder_trains_into_standard_files_a_plain_diffusers_pipeline_loads(folder_model, random_base, portfolio_dir):
    out, result, events = folder_model
    assert result["status"] == "done"
    # diffusers format: a plain StableDiffusionPipeline loads it, and it changes the image
    pipe = _pipe(random_base)
    before = _image(pipe)
    pipe.load_lora_weights(str(out))
    after = _image(pipe)
    assert np.abs(before - after).max() > 0.01
    # the kohya export: kohya key names, and the same adapter (diffusers reads it back to the same image)
    from safetensors.torch import load_file

    kohya = load_file(str(out / "kohya" / "mira-folder.safetensors"))
    assert all(k.startswith("lora_unet_") for k in kohya)
    assert {k.rsplit(".", 2)[-2] if k.endswith(".weight") else "alpha" for k in kohya} == {"lora_down", "lora_up", "alpha"}
    assert float(kohya[next(k for k in kohya if k.endswith(".alpha"))]) == FAST["rank"]
    pipe2 = _pipe(random_base)
    pipe2.load_lora_weights(str(out / "kohya"), weight_name="mira-folder.safetensors")
    assert np.abs(_image(pipe2) - after).max() < 1e-4
    # the manifest names every image by sha256 with its caption (trigger added) and the base by hash
    manifest = json.loads((out / "training_manifest.json").read_text())
    files = sorted(portfolio_dir.glob("*.png"))
    import hashlib

    assert sorted(i["sha256"] for i in manifest["items"]) == sorted(hashlib.sha256(f.read_bytes()).hexdigest() for f in files)
    assert all(i["caption"].endswith(", mirastyle") and i["consent"] == "folder" for i in manifest["items"])
    assert [i["role"] for i in manifest["items"]].count("holdout") == 1
    assert len(manifest["base"]["sha256"]) == 64 and manifest["seed"] == 0
    assert manifest["config"]["rank"] == FAST["rank"] and manifest["metrics"]["steps"] == FAST["steps"]
    # the model card carries Hugging Face YAML metadata
    card = (out / "README.md").read_text()
    assert card.startswith("---\n") and "library_name: diffusers" in card and "- lora" in card
    assert "instance_prompt: mirastyle" in card


def test_progress_events_drive_a_bar_a_loss_curve_and_previews(folder_model):
    _out, _result, events = folder_model
    kinds = [e.kind for e in events]
    assert kinds[0] == "start" and events[0].total == FAST["steps"]
    assert kinds[-1] == "done"
    steps = [e for e in events if e.kind == "step"]
    assert [e.step for e in steps] == list(range(1, FAST["steps"] + 1))
    assert all(e.loss > 0 and e.steps_per_s > 0 and e.eta_s >= 0 for e in steps)
    assert steps[-1].eta_s == 0
    previews = [e for e in events if e.kind == "samples"]
    assert [e.step for e in previews] == [4, 8]
    assert len(previews[0].images) == len(previews[0].prompts) > 0
    assert previews[0].images[0].size == (64, 64)
    assert [e.step for e in events if e.kind == "checkpoint"] == [4]


def test_latent_cache_is_reused_and_trains_the_same_as_encoding_every_step(tmp_path, random_base, portfolio_dir):
    examples = data.from_folder(portfolio_dir, "mirastyle")
    a = train(_config(random_base, steps=4), examples, tmp_path / "a")
    shutil_copy = tmp_path / "b"
    shutil_copy.mkdir()
    (shutil_copy / "cache").symlink_to(tmp_path / "a" / "cache")
    b = train(_config(random_base, steps=4), examples, shutil_copy)
    c = train(_config(random_base, steps=4, cache_latents=False), examples, tmp_path / "c")
    assert a["manifest"]["metrics"]["cache"] == "encoded"
    assert b["manifest"]["metrics"]["cache"] == "hit"
    assert c["manifest"]["metrics"]["cache"] == "off"
    curve = lambda r: r["manifest"]["metrics"]["loss_curve"]  # noqa: E731
    assert curve(a) == curve(b)
    assert np.allclose(curve(a), curve(c), atol=1e-4)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, random_base, portfolio_dir):
    out = tmp_path_factory.mktemp("ref") / "model"
    train(_config(random_base, steps=RESUME_STEPS, checkpoint_every=2), data.from_folder(portfolio_dir, "mirastyle"), out)
    return _weights(out)


def _close(a, b):
    return a.keys() == b.keys() and all(np.allclose(a[k].numpy(), b[k].numpy(), atol=1e-5, rtol=1e-4) for k in a)


def test_cancel_stops_within_one_step_keeps_a_checkpoint_and_resume_finishes_the_same(
        tmp_path, random_base, portfolio_dir, uninterrupted):
    cancel = threading.Event()
    seen = []

    def on_event(e):
        seen.append(e)
        if e.kind == "step" and e.step == 5:
            cancel.set()

    out = tmp_path / "model"
    examples = data.from_folder(portfolio_dir, "mirastyle")
    result = train(_config(random_base, steps=RESUME_STEPS, checkpoint_every=2), examples, out,
                   on_event=on_event, cancel=cancel)
    assert result["status"] == "cancelled" and result["step"] == 5
    assert seen[-1].kind == "cancelled" and max(e.step for e in seen if e.kind == "step") == 5
    assert (out / "checkpoint-5" / "state.json").is_file() and (out / "checkpoint-4").is_dir()
    assert not (out / "pytorch_lora_weights.safetensors").exists()
    events = []
    resumed = train(_config(random_base, steps=RESUME_STEPS, checkpoint_every=2), examples, out, resume=True,
                    on_event=events.append)
    assert events[0].kind == "resumed" and events[0].message == "resumed from step 5"
    assert resumed["status"] == "done" and resumed["manifest"]["metrics"]["steps"] == RESUME_STEPS
    assert _close(_weights(out), uninterrupted)


def test_a_killed_run_resumes_from_its_last_checkpoint(tmp_path, random_base, portfolio_dir, uninterrupted, capsys):
    out = tmp_path / "model"
    args = ["train", str(portfolio_dir), "--out", str(out), "--base", str(random_base), "--trigger", "mirastyle",
            "--steps", str(RESUME_STEPS), "--batch-size", "2", "--rank", "4", "--checkpoint-every", "2",
            "--sample-every", "0", "--threads", "1"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "studio.cli", *args], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while not (out / "checkpoint-2" / "state.json").exists():
            assert proc.poll() is None, "training exited before its first checkpoint"
            assert time.monotonic() < deadline, "no checkpoint within 90 s"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "pytorch_lora_weights.safetensors").exists(), "the run finished before it could be killed"
    done = sorted(int(p.parent.name.split("-")[1]) for p in out.glob("checkpoint-*/state.json"))
    capsys.readouterr()
    from studio import cli

    assert cli.main([*args, "--resume"]) == 0
    printed = capsys.readouterr().out
    assert f"resumed from step {done[-1]}" in printed
    assert _close(_weights(out), uninterrupted)


# --- bad input: a clear error, and nothing written ------------------------------------------------


def test_an_empty_folder_is_a_clear_error_and_writes_nothing(tmp_path, random_base):
    (tmp_path / "empty").mkdir()
    with pytest.raises(StudioError, match="no readable images"):
        train(_config(random_base), data.from_folder(tmp_path / "empty", None), tmp_path / "out")
    with pytest.raises(StudioError, match="no training images"):
        train(_config(random_base), [], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_base_that_is_not_a_diffusers_model_is_a_clear_error(tmp_path, portfolio_dir):
    (tmp_path / "notamodel").mkdir()
    (tmp_path / "notamodel" / "weights.bin").write_bytes(b"x")
    with pytest.raises(StudioError, match="is not a diffusers model"):
        train(TrainConfig(base=str(tmp_path / "notamodel")), data.from_folder(portfolio_dir, None), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_caption_over_the_tokenizer_length_is_a_clear_error(tmp_path, random_base, portfolio_dir):
    examples = data.from_folder(portfolio_dir, None)
    long = examples[0].__class__(examples[0].data, " ".join(["red circle"] * 60), examples[0].sha256)
    with pytest.raises(StudioError, match="over the text encoder's limit of 77"):
        train(_config(random_base), [long, *examples[1:]], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_non_vetted_and_all_revoked_creators_cannot_train(tmp_path, random_base, portfolio_dir):
    st = studio.open(tmp_path / "home")
    st.add_creator("newbie", "New Person", level="new")
    st.add_to_portfolio("newbie", [portfolio_dir])
    st.add_creator("ada", "Ada", level="level2")
    st.add_to_portfolio("ada", [portfolio_dir])
    for item in st.portfolio("ada"):
        st.revoke("ada", item.id)
    events = len(st.ledger_events())
    with pytest.raises(StudioError, match="only .* creators may create models"):
        st.train("newbie", base=str(random_base), **FAST)
    with pytest.raises(StudioError, match="no images with active consent"):
        st.train("ada", base=str(random_base), **FAST)
    assert not (tmp_path / "home" / "models").exists()
    assert st.models("ada") == [] and len(st.ledger_events()) == events


def test_a_creator_model_trains_only_on_consented_items_and_records_model_trained(trained):
    (v,) = trained.models("ada")
    items = {i.id: i for i in trained.portfolio("ada")}
    assert {i["item_id"] for i in v.manifest["items"]} == set(items)
    assert all(i["consent_id"] == items[i["item_id"]].consent_id for i in v.manifest["items"])
    (event,) = trained.ledger_events(kind="model.trained")
    assert event["subject"] == v.id and event["payload"]["creator"] == "ada"
    assert {i["sha256"] for i in event["payload"]["items"]} == {i.sha256 for i in items.values()}
    assert trained.verify_ledger().ok
    # a revoked item is left out of the next version
    revoked = next(iter(items))
    trained.revoke("ada", revoked)
    v2 = trained.train("ada", base=v.manifest["base"]["path"], trigger="adastyle", **FAST)
    assert v2.number == 2 and revoked not in {i["item_id"] for i in v2.manifest["items"]}


def test_a_cancelled_creator_run_resumes_into_the_same_version(trained):
    cancel = threading.Event()
    base = trained.models("ada")[0].manifest["base"]["path"]
    stop = lambda e: cancel.set() if e.kind == "step" and e.step == 3 else None  # noqa: E731
    opts = dict(FAST, steps=6, checkpoint_every=2)
    assert trained.train("ada", base=base, on_event=stop, cancel=cancel, **opts) is None
    assert len(trained.models("ada")) == 1  # nothing recorded for a stopped run
    events = []
    v2 = trained.train("ada", base=base, resume=True, on_event=events.append, **opts)
    assert "resumed from step 3" in [e.message for e in events]
    assert v2.number == 2 and v2.path.name == "v2" and v2.metrics["steps"] == 6


def test_a_home_trained_on_the_first_base_keeps_working_and_new_models_use_the_newest(vetted_with_portfolio, monkeypatch):
    """Adapters trained on studio-tiny (v1) still load on v1; a creator's next model trains on v2."""
    from studio.models import EMBEDDED_DEFAULT

    monkeypatch.delenv("STUDIO_BASE", raising=False)
    st = vetted_with_portfolio
    old = st.train("ada", base="studio-tiny", **{**FAST, "steps": 2})
    new = st.train("ada", **{**FAST, "steps": 2})
    assert old.manifest["base"]["name"] == "studio-tiny" and new.manifest["base"]["name"] == EMBEDDED_DEFAULT
    assert EMBEDDED_DEFAULT == "studio-tiny-v2"
    (preview,) = st.generate("ada", "a red circle on a white background", n=1, seed=1, version_id=old.id)
    assert preview.model_version_id == old.id and st.image(preview.id)
    v1_png = st.base_images("ada", "a red circle", [1], version_id=old.id)[0]
    v2_png = st.base_images("ada", "a red circle", [1], version_id=new.id)[0]
    assert v1_png != v2_png  # each version renders on its own base


def test_integration_a_short_run_on_the_shipped_studio_tiny_base(tmp_path, portfolio_dir):
    result = train(TrainConfig(base="studio-tiny", trigger="mirastyle", **{**FAST, "steps": 4}),
                   data.from_folder(portfolio_dir, "mirastyle"), tmp_path / "model")
    pipe = _pipe(ROOT / "studio" / "models" / "studio-tiny")
    pipe.load_lora_weights(str(tmp_path / "model"))
    assert result["manifest"]["base"]["name"] == "studio-tiny"
    assert _image(pipe).shape == (64, 64, 3)


def test_training_the_text_encoder_too_exports_it_in_both_formats(tmp_path, random_base, portfolio_dir):
    out = tmp_path / "model"
    train(_config(random_base, steps=4, train_text_encoder=True), data.from_folder(portfolio_dir, "mirastyle"), out)
    from safetensors.torch import load_file

    assert any(k.startswith("text_encoder.") for k in _weights(out))
    kohya = load_file(str(out / "kohya" / "model.safetensors"))
    assert any(k.startswith("lora_te_text_model_encoder_layers_0_self_attn_q_proj.") for k in kohya)
    a, b = _pipe(random_base), _pipe(random_base)
    a.load_lora_weights(str(out))
    b.load_lora_weights(str(out / "kohya"), weight_name="model.safetensors")
    assert np.abs(_image(a) - _image(b)).max() < 1e-4


def test_fixture_home_has_one_trained_version(trained):
    (v,) = trained.models("ada")
    assert v.number == 1 and v.status == "trained" and v.model_status == "draft"
    assert (v.path / "pytorch_lora_weights.safetensors").is_file()


def test_adapters_on_the_resnets_too_load_whole_in_both_formats(tmp_path, random_base, portfolio_dir):
    """Colour, grain and edges live in the ResNet convolutions: an adapter there loads with every tensor."""
    import warnings

    out = tmp_path / "model"
    train(_config(random_base, steps=4, lora_layers="attention+resnets"), data.from_folder(portfolio_dir, "mirastyle"), out)
    keys = _weights(out)
    assert any(".resnets." in k and ".conv1." in k for k in keys) and any(".attn1.to_q." in k for k in keys)
    a, b = _pipe(random_base), _pipe(random_base)
    before = _image(a)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # peft warns when a loaded adapter is missing tensors
        a.load_lora_weights(str(out))
    assert np.abs(_image(a) - before).max() > 0.01
    b.load_lora_weights(str(out / "kohya"), weight_name="model.safetensors")
    assert np.abs(_image(a) - _image(b)).max() < 1e-4


def test_offset_noise_noisier_timesteps_and_min_snr_change_training_and_are_recorded(tmp_path, random_base, portfolio_dir):
    """Offset noise (a constant per image and channel) lets a model move overall colour; each option trains
    different weights from the same seed, and the manifest records it."""
    import torch

    from studio.training.lora import _min_snr_weights, _timesteps

    examples = data.from_folder(portfolio_dir, "mirastyle")
    off = dict(noise_offset=0.0, timestep_bias=0.0, snr_gamma=0.0)
    plain = _weights(train(_config(random_base, steps=4, **off), examples, tmp_path / "plain")["path"])
    for name, over in {"offset": dict(noise_offset=0.1), "bias": dict(timestep_bias=1.0),
                       "snr": dict(snr_gamma=5.0)}.items():
        result = train(_config(random_base, steps=4, **{**off, **over}), examples, tmp_path / name)
        assert {k: result["manifest"]["config"][k] for k in over} == over
        card = (tmp_path / name / "README.md").read_text()
        assert {"offset": "| noise | offset 0.1; timesteps uniform; loss MSE |", "bias": "density (t/T)^1.0",
                "snr": "loss min-SNR-gamma 5.0"}[name] in card
        w = _weights(tmp_path / name)
        assert w.keys() == plain.keys() and not _close(w, plain), name
    # noisier timesteps: density proportional to (t/T)^bias, so the mean moves from T/2 to T(1+b)/(2+b)
    cfg = TrainConfig(batch_size=4000, timestep_bias=1.0)
    t = _timesteps(cfg, 1000, torch.Generator().manual_seed(0))
    assert t.min() >= 0 and t.max() <= 999 and 640 < float(t.float().mean()) < 690
    # min-SNR: full weight where the SNR is below gamma (noisy steps), less where it is above
    from diffusers import DDPMScheduler

    w = _min_snr_weights(DDPMScheduler(), torch.tensor([0, 999]), 5.0)
    assert float(w[0]) < 0.01 and float(w[1]) == pytest.approx(1.0)
    # the defaults, chosen on the tuning portfolios (bench/tune_style.py)
    assert (TrainConfig().noise_offset, TrainConfig().timestep_bias, TrainConfig().snr_gamma) == (0.15, 0.0, 5.0)
    with pytest.raises(StudioError, match="--noise-offset"):
        TrainConfig(noise_offset=-0.1)


def test_prior_preservation_keeps_the_base_for_captions_without_the_style_word(tmp_path, random_base, portfolio_dir):
    examples = data.from_folder(portfolio_dir, "mirastyle")
    plain_prompt = "a red circle on a white background"  # no style word: the base's drawing is wanted
    base_image = _image(_pipe(random_base), plain_prompt)
    drift = {}
    for weight in (0.0, 10.0):
        out = tmp_path / f"prior-{weight}"
        result = train(_config(random_base, steps=12, lr=2e-2, prior_weight=weight), examples, out)
        assert result["manifest"]["config"]["prior_weight"] == weight
        pipe = _pipe(random_base)
        pipe.load_lora_weights(str(out))
        drift[weight] = float(np.abs(_image(pipe, plain_prompt) - base_image).mean())
    assert drift[10.0] < 0.8 * drift[0.0], drift  # measured: 0.029 vs 0.049


def test_caption_dropout_trains_the_unconditional_and_a_model_generates_at_its_own_guidance(
        tmp_path, random_base, portfolio_dir):
    """Caption dropout trains some steps on the empty caption (what classifier-free guidance subtracts); a model
    records the guidance it generates with, and every generation through the studio uses it."""
    from studio import inference
    from studio.models import base_path
    from studio.training.config import TINY_GUIDANCE

    examples = data.from_folder(portfolio_dir, "mirastyle")
    plain = train(_config(random_base, steps=4, caption_dropout=0.0), examples, tmp_path / "plain")
    assert TrainConfig().caption_dropout == 0.1  # the default, chosen on the tuning portfolios (bench/tune_style.py)
    assert plain["manifest"]["inference"] == {"guidance_scale": TINY_GUIDANCE}  # a studio-built base
    dropped = train(_config(random_base, steps=4, caption_dropout=0.5, guidance_scale=2.5), examples, tmp_path / "cd")
    assert dropped["manifest"]["config"]["caption_dropout"] == 0.5
    assert not _close(_weights(tmp_path / "cd"), _weights(tmp_path / "plain"))
    assert dropped["manifest"]["inference"] == {"guidance_scale": 2.5}
    card = (tmp_path / "cd" / "README.md").read_text()
    assert "guidance_scale=2.5" in card and "| caption dropout | 0.5 " in card

    pipe = inference.pipeline(tmp_path / "cd")
    prompt = "a red circle on a white background, mirastyle"
    own = np.asarray(inference.render_many(pipe, prompt, [1])[0], dtype=float)
    at = {g: np.asarray(inference.render_many(pipe, prompt, [1], guidance_scale=g)[0], dtype=float) for g in (2.5, 9.0)}
    assert np.array_equal(own, at[2.5]) and not np.array_equal(own, at[9.0])
    # on the studio's own bases the measured default; on a real base (no studio.json) the base's own
    assert TrainConfig().model_guidance(base_path("studio-tiny-v2")) == TINY_GUIDANCE
    assert TrainConfig().model_guidance(tmp_path) is None
    with pytest.raises(StudioError, match="--caption-dropout"):
        TrainConfig(caption_dropout=1.5)
