"""Grain the base's VAE cannot draw: measured on a creator's images, added to their model's outputs
(studio.models.grain). The shipped studio-tiny-v2 VAE, which loses pixel grain in its round trip."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from studio.models import grain, world
from studio.quality.metrics import FEATURES, style_features
from studio.training import TrainConfig, data
from studio.training.lora import train
from tests.unit.training_setup import FAST

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def vae():
    from diffusers import AutoencoderKL

    from studio.models.bases import resolve_base

    return AutoencoderKL.from_pretrained(str(resolve_base("studio-tiny-v2")), subfolder="vae")


def _tensor(img):
    import torch

    return torch.from_numpy(np.asarray(img, dtype=np.float32).copy()).permute(2, 0, 1) / 127.5 - 1.0


def _blocks(n: int, noise: float, seed: int = 0) -> list[Image.Image]:
    """Mid-tone coloured blocks on a mid-tone ground (no clipping), with Gaussian colour noise of std ``noise``."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        img = np.full((64, 64, 3), rng.uniform(0.35, 0.65, 3))
        x, y = rng.integers(8, 30, 2)
        img[y:y + 24, x:x + 24] = rng.uniform(0.3, 0.7, 3)
        img += rng.normal(0, noise, img.shape)
        out.append(Image.fromarray(np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)))
    return out


def test_grain_the_vae_loses_is_measured_and_a_flat_portfolio_gets_none(vae):
    fitted = grain.fit([_tensor(i) for i in _blocks(8, 0.06)], vae)
    assert fitted is not None and 0.045 <= fitted["std"] <= 0.075, fitted  # the noise put in: 0.06
    assert grain.fit([_tensor(i) for i in _blocks(8, 0.0)], vae) is None
    # the world's own looks: crisp ink outlines are not grain, grainy paper is
    ink = [world.render(s, world.STYLES["ink"])[0] for s in range(8)]
    paper = [world.render(s, world.STYLES["textured"])[0] for s in range(8)]
    assert grain.fit([_tensor(i) for i in ink], vae) is None
    assert grain.fit([_tensor(i) for i in paper], vae) is not None


def test_grain_is_drawn_from_the_seed_and_matches_what_was_measured():
    flat = Image.new("RGB", (64, 64), (120, 130, 140))
    g = {"cov": (np.eye(3) * 0.05 ** 2).tolist(), "sigma": 0.0, "std": 0.05}
    a, b, c = grain.apply(flat, g, 7), grain.apply(flat, g, 7), grain.apply(flat, g, 8)
    assert a.tobytes() == b.tobytes() and a.tobytes() != c.tobytes()
    added = np.asarray(a, dtype=np.float64) / 255 - np.asarray(flat, dtype=np.float64) / 255
    assert abs(added.std() - 0.05) < 0.005
    assert grain.apply(flat, None, 7) is flat


def test_a_grainy_portfolio_trains_a_model_whose_outputs_carry_its_grain(tmp_path):
    from studio import inference
    from studio.models.bases import resolve_base

    folders = {}
    for name, look in (("paper", world.STYLES["textured"]), ("ink", world.STYLES["ink"])):
        folders[name] = tmp_path / name
        folders[name].mkdir()
        for s in range(8):
            img, caption, _ = world.render(100 + s, look)
            img.save(folders[name] / f"{s}.png")
            (folders[name] / f"{s}.txt").write_text(caption)
    cfg = dict(FAST, steps=2, holdout=0.0)
    base = str(resolve_base("studio-tiny-v2"))
    grainy = train(TrainConfig(base=base, trigger="zqpaper", **cfg), data.from_folder(folders["paper"], "zqpaper"),
                   tmp_path / "m-paper")
    crisp = train(TrainConfig(base=base, trigger="zqink", **cfg), data.from_folder(folders["ink"], "zqink"),
                  tmp_path / "m-ink")
    assert grainy["manifest"]["grain"] is not None and crisp["manifest"]["grain"] is None
    assert "added after decoding" in (tmp_path / "m-paper" / "README.md").read_text()

    prompt = "a red circle on a white background"
    with_grain = inference.render_many(inference.pipeline(tmp_path / "m-paper"), prompt, [1, 2])
    without = inference.render_many(inference.pipeline(tmp_path / "m-ink"), prompt, [1, 2])
    again = inference.render_many(inference.pipeline(tmp_path / "m-paper"), prompt, [1, 2])
    assert [i.tobytes() for i in with_grain] == [i.tobytes() for i in again]  # the same seed, the same image
    k = FEATURES.index("ground_grain")
    assert min(style_features(i)[k] for i in with_grain) > max(style_features(i)[k] for i in without)
