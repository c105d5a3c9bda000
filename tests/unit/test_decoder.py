"""A creator's own copy of the base's VAE decoder (studio.models.decoder): the shipped studio-tiny-v2
VAE turns colours it never saw (a navy ground) into others; a few steps on the creator's images fix
that for their held-out images too, and the base keeps its own decoder."""

from __future__ import annotations

import numpy as np
import pytest

from studio.models import decoder, world

pytestmark = pytest.mark.filterwarnings("ignore")

NAVY = world.Style(colors=(("white", (200, 190, 235)), ("pink", (245, 180, 190)), ("green", (190, 230, 190))),
                   outline_width=(0, 0), background_gradient=0.0)


def _navy_images(n: int, start: int):
    """Pale shapes on a navy ground, a colour the shapes world never paints its grounds with."""
    import torch

    out = []
    for s in range(start, start + n):
        img = np.asarray(world.render(s, NAVY, n_shapes=1)[0], dtype=np.float32)
        ground = (np.abs(img - img[0, 0]).sum(axis=2) < 30)[..., None]
        img = np.where(ground, np.array([25, 30, 80], dtype=np.float32), img)
        out.append(torch.from_numpy(img / 127.5 - 1.0).permute(2, 0, 1))
    return torch.stack(out)


@pytest.fixture(scope="module")
def vae():
    from diffusers import AutoencoderKL

    from studio.models.bases import resolve_base

    return AutoencoderKL.from_pretrained(str(resolve_base("studio-tiny-v2")), subfolder="vae")


def _round_trip_error(vae, x) -> float:
    import torch

    with torch.no_grad():
        return float((vae.decode(vae.encode(x).latent_dist.mean).sample.clamp(-1, 1) - x).abs().mean())


def test_a_tuned_decoder_draws_the_creator_s_colours_and_the_base_keeps_its_own(vae, tmp_path):
    import copy

    import torch

    train, held = _navy_images(12, 0), _navy_images(4, 500)
    before = {k: v.clone() for k, v in vae.state_dict().items()}
    base_error = _round_trip_error(vae, held)
    state = decoder.adapt(vae, train, steps=120, seed=0)
    assert all(torch.equal(v, vae.state_dict()[k]) for k, v in before.items())  # the base is untouched
    assert decoder.save(tmp_path, state) == tmp_path / decoder.DECODER_FILE
    mine = copy.deepcopy(vae)
    assert decoder.load_into(mine, tmp_path)
    tuned_error = _round_trip_error(mine, held)  # images it was not tuned on
    assert tuned_error < 0.6 * base_error, (base_error, tuned_error)
    assert not decoder.load_into(copy.deepcopy(vae), tmp_path / "elsewhere")
    assert decoder.adapt(vae, train, steps=0) == {} and decoder.save(tmp_path / "none", {}) is None


def test_a_trained_model_carries_its_decoder_and_its_pipeline_uses_it(tmp_path):
    import torch

    from studio import inference
    from studio.models.bases import resolve_base
    from studio.training import TrainConfig, data
    from studio.training.lora import train
    from tests.unit.training_setup import FAST

    folder = tmp_path / "navy"
    folder.mkdir()
    for s in range(6):
        img, caption, _ = world.render(s, NAVY, n_shapes=1)
        img.save(folder / f"{s}.png")
        (folder / f"{s}.txt").write_text(caption)
    base = str(resolve_base("studio-tiny-v2"))
    examples = data.from_folder(folder, "zqnavy")
    on = train(TrainConfig(base=base, trigger="zqnavy", **dict(FAST, steps=2, decoder_steps=5)), examples, tmp_path / "on")
    off = train(TrainConfig(base=base, trigger="zqnavy", **dict(FAST, steps=2, decoder_steps=0)), examples,
                tmp_path / "off")
    assert on["manifest"]["decoder"] == decoder.DECODER_FILE and (tmp_path / "on" / decoder.DECODER_FILE).is_file()
    assert off["manifest"]["decoder"] is None and not (tmp_path / "off" / decoder.DECODER_FILE).exists()
    tuned = inference.pipeline(tmp_path / "on").vae.decoder.state_dict()
    plain = inference.pipeline(None, base=base).vae.decoder.state_dict()
    assert any(not torch.equal(tuned[k], plain[k]) for k in plain)
    assert all(torch.equal(a, b) for a, b in zip(inference.pipeline(tmp_path / "off").vae.decoder.state_dict().values(),
                                                 plain.values()))
