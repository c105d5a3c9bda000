"""The embedded studio-tiny base: world, tokenizer, shipped pipeline, checker. Runs in seconds."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from studio.models import BUILTIN, base_path, world

pytestmark = pytest.mark.filterwarnings("ignore")


def test_world_is_deterministic_and_captions_follow_the_grammar():
    a_img, a_cap, a_objs = world.render(123)
    b_img, b_cap, b_objs = world.render(123)
    assert a_img.size == (64, 64) and a_img.mode == "RGB"
    assert np.array_equal(np.asarray(a_img), np.asarray(b_img)) and a_cap == b_cap and a_objs == b_objs
    assert not np.array_equal(np.asarray(a_img), np.asarray(world.render(124)[0]))
    counts = set()
    for seed in range(200):
        _, cap, objs = world.render(seed)
        parsed, bg = world.parse_caption(cap)
        assert parsed == objs
        assert bg not in {c for c, _ in objs}
        assert cap == world.make_caption(objs, bg)
        counts.add(len(objs))
    assert counts == {1, 2, 3}
    assert world.make_caption([("red", "circle"), ("blue", "square")], "white") == \
        "a red circle and a blue square on a white background"


def test_styles_change_the_look_not_the_content():
    plain = world.render(5)
    for name, style in world.STYLES.items():
        img, cap, objs = world.render(5, style)
        assert (cap, objs) == plain[1:], name
    ink = np.asarray(world.render(5, world.STYLES["ink"])[0])
    assert not np.array_equal(ink, np.asarray(plain[0]))


EMBEDDED = pytest.mark.parametrize("name", list(BUILTIN))


@EMBEDDED
def test_tokenizer_loads_from_the_shipped_folder_and_knows_every_word(name):
    from transformers import CLIPTokenizer

    folder = base_path(name) / "tokenizer"
    assert (folder / "vocab.json").is_file() and (folder / "merges.txt").is_file()
    tok = CLIPTokenizer.from_pretrained(str(folder), model_max_length=77)
    vocab = json.loads((folder / "vocab.json").read_text())
    ids = tok("a red circle on a blue background").input_ids
    assert ids == [tok.bos_token_id] + [vocab[w + "</w>"] for w in "a red circle on a blue background".split()] + \
        [tok.eos_token_id]
    for word in world.vocabulary():  # every caption word is one known token, never unk
        assert tok(word).input_ids[1:-1] == [vocab[word + "</w>"]]
    assert tok.decode(ids, skip_special_tokens=True).strip() == "a red circle on a blue background"


def test_base_path_rejects_a_folder_that_is_not_a_model(tmp_path):
    assert (base_path("studio-tiny") / "model_index.json").is_file()
    with pytest.raises(ValueError, match="is not a diffusers model folder \\(no model_index.json\\)"):
        base_path(tmp_path)


@EMBEDDED
def test_shipped_weights_are_small_and_safetensors_only(name):
    folder = base_path(name)
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert not [p for p in files if p.suffix in (".bin", ".pt", ".pth", ".ckpt", ".pkl")]
    weights = sum(p.stat().st_size for p in files if p.suffix == ".safetensors")
    assert weights < 40 * 2**20
    index = json.loads((folder / "model_index.json").read_text())
    assert index["requires_safety_checker"] is False
    assert json.loads((folder / "studio.json").read_text())["inference"]["num_inference_steps"] > 0


@pytest.fixture(scope="module")
def pipe():
    from studio.models import load_base

    return load_base()  # the default: the newest embedded base


@EMBEDDED
def test_shipped_pipeline_loads_offline_with_plain_diffusers(name):
    import torch
    from diffusers import StableDiffusionPipeline

    p = StableDiffusionPipeline.from_pretrained(str(base_path(name)), local_files_only=True)
    assert p.safety_checker is None
    p.set_progress_bar_config(disable=True)
    kw = dict(num_inference_steps=4, height=64, width=64, output_type="np")
    a = p("a red circle on a white background", generator=torch.Generator().manual_seed(1), **kw).images
    b = p("a red circle on a white background", generator=torch.Generator().manual_seed(1), **kw).images
    assert a.shape == (1, 64, 64, 3)
    assert np.allclose(a, b)


def test_load_base_makes_64px_images_same_seed_same_image(pipe):
    import torch

    kw = dict(num_inference_steps=4, height=64, width=64)
    a = pipe("a blue square on a yellow background", generator=torch.Generator().manual_seed(3), **kw).images[0]
    b = pipe("a blue square on a yellow background", generator=torch.Generator().manual_seed(3), **kw).images[0]
    c = pipe("a blue square on a yellow background", generator=torch.Generator().manual_seed(4), **kw).images[0]
    assert a.size == (64, 64)
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(c))
    assert pipe.safety_checker is None


def test_checker_recognises_rendered_images():
    from studio.models.build.measure import evaluate_rendered
    from studio.models.checker import Checker

    acc = evaluate_rendered(Checker.load(), n=120, seed=11)
    assert acc["shape_accuracy"] >= 0.9
    assert acc["color_accuracy"] >= 0.9


def test_checker_reads_a_known_prompt():
    from studio.models.checker import Checker

    img, _, _ = world.render(42, objects=[("green", "triangle")], background="white")
    (pred,) = Checker.load()([img])
    assert pred == {"shape": "triangle", "color": "green", "background": "white"}


def test_sampled_prompts_follow_the_grammar():
    rng = random.Random(0)
    for _ in range(50):
        prompt, color, shape = world.sample_prompt(rng)
        objs, bg = world.parse_caption(prompt)
        assert objs == [(color, shape)] and bg != color


def test_the_runtime_never_imports_the_build_tools():
    import subprocess
    import sys

    # the runtime: loading a base, generating, training, and judging images with the shipped checker
    code = ("import sys, studio, studio.models, studio.models.checker, studio.models.world, studio.inference, "
            "studio.training.lora, studio.quality.metrics; studio.models.checker.Checker.load(); "
            "print(sorted(m for m in sys.modules if m.startswith('studio.models.build')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_the_default_base_draws_the_prompted_shape_whatever_else_the_prompt_says(pipe):
    """Unknown words (a creator's style word) and a missing background do not wreck the picture."""
    import torch

    from studio.models.checker import Checker

    rng = random.Random(7)
    wanted = [(rng.choice(world.COLOR_NAMES), rng.choice(world.SHAPES)) for _ in range(12)]
    prompts = [f"a {c} {s}, zq{k}style" if k % 2 else f"{c} {s} drawing" for k, (c, s) in enumerate(wanted)]
    images = pipe(prompts, generator=torch.Generator().manual_seed(0), height=64, width=64,
                  num_inference_steps=15, guidance_scale=pipe_guidance(pipe)).images
    preds = Checker.load()(images)
    shapes = sum(p["shape"] == s for p, (_, s) in zip(preds, wanted))
    colours = sum(p["color"] == c for p, (c, _) in zip(preds, wanted))
    assert shapes >= 9 and colours >= 9, (shapes, colours, preds)


def pipe_guidance(pipe) -> float:
    from studio.models import load_defaults

    return load_defaults(pipe)["guidance_scale"]
