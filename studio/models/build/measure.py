"""Measurements with the shapes-world checker: its own accuracy, and a pipeline's prompt following.

Used by the model card writer, ``bench/bench_tiny.py``, the checker's training and the tests;
the runtime only loads the checker (``studio.models.checker.Checker``).
"""

from __future__ import annotations

import random

import numpy as np

from studio.models import world
from studio.models.checker import Checker


def labelled(seeds, styles=None):
    """Rendered single-shape images (one per seed, cycling through ``styles``) and their (shape, colour, background) labels."""
    styles = styles or list(world.STYLES.values())
    imgs, y = [], []
    for i, s in enumerate(seeds):
        im, cap, objs = world.render(int(s), styles[i % len(styles)], n_shapes=1)
        (color, shape), bg = world.parse_caption(cap)[0][0], world.parse_caption(cap)[1]
        imgs.append(np.asarray(im))
        y.append((world.SHAPES.index(shape), world.COLOR_NAMES.index(color), world.COLOR_NAMES.index(bg)))
    return np.stack(imgs), np.array(y, dtype=np.int64)


def evaluate_rendered(checker: Checker, n: int = 500, seed: int = 1, styles=None) -> dict:
    """The checker's own accuracy on freshly rendered single-shape images (all styles)."""
    seeds = range(2 * 10**8 + seed * 10**5, 2 * 10**8 + seed * 10**5 + n)
    imgs, y = labelled(seeds, styles)
    pred = checker(imgs)
    s = np.mean([world.SHAPES.index(p["shape"]) == t[0] for p, t in zip(pred, y)])
    c = np.mean([world.COLOR_NAMES.index(p["color"]) == t[1] for p, t in zip(pred, y)])
    b = np.mean([world.COLOR_NAMES.index(p["background"]) == t[2] for p, t in zip(pred, y)])
    return dict(n=n, shape_accuracy=round(float(s), 4), color_accuracy=round(float(c), 4),
                background_accuracy=round(float(b), 4))


PROMPT_SETS = ("grammar", "unknown-word", "no-background")


def prompt_variant(caption: str, variant: str, rng: random.Random) -> str:
    """A grammar prompt as scored (``grammar``), with an unknown word appended (``unknown-word``:
    random letters like a style word, or an ordinary word the base never saw), or without its background."""
    if variant == "grammar":
        return caption
    if variant == "unknown-word":
        return f"{caption}, {world.unknown_word(rng)}"
    if variant == "no-background":
        return caption.split(" on a ")[0]
    raise ValueError(f"unknown prompt set {variant!r}; one of {PROMPT_SETS}")


def prompt_following(pipe, n: int = 100, seed: int = 0, *, num_inference_steps: int | None = None,
                     guidance_scale: float | None = None, batch: int = 25, checker: Checker | None = None,
                     return_samples: bool = False, variant: str = "grammar") -> dict:
    """Generate ``n`` images for random single-shape prompts and score them with the checker.

    ``variant`` (one of :data:`PROMPT_SETS`) rewrites each prompt; the background is scored only
    when the prompt names it. The unknown words come from their own random stream, so the
    content of prompt ``k`` is the same in every set.
    Returns ``{"n", "color_accuracy", "shape_accuracy", "background_accuracy", "both_accuracy", ...}``.
    """
    import torch

    from studio.models import load_defaults

    defaults = load_defaults(pipe)
    steps = num_inference_steps or defaults["num_inference_steps"]
    scale = defaults["guidance_scale"] if guidance_scale is None else guidance_scale
    checker = checker or Checker.load()
    rng = random.Random(f"prompts:{seed}")
    prompts = [world.sample_prompt(rng) for _ in range(n)]
    word_rng = random.Random(f"words:{seed}")
    texts = [prompt_variant(p, variant, word_rng) for p, _, _ in prompts]
    images = []
    for start in range(0, n, batch):
        chunk = texts[start:start + batch]
        g = torch.Generator().manual_seed(seed * 100003 + start)
        out = pipe(chunk, num_inference_steps=steps, guidance_scale=scale, generator=g,
                   height=world.SIZE, width=world.SIZE, output_type="np")
        images.append(out.images)
    images = np.concatenate(images)
    preds = checker(images)
    col = [p["color"] == c for p, (_, c, _) in zip(preds, prompts)]
    shp = [p["shape"] == s for p, (_, _, s) in zip(preds, prompts)]
    bgs = [p["background"] == world.parse_caption(q)[1] for p, (q, _, _) in zip(preds, prompts)]
    res = dict(n=n, seed=seed, prompts=variant, example_prompt=texts[0], num_inference_steps=steps, guidance_scale=scale,
               color_accuracy=round(float(np.mean(col)), 4), shape_accuracy=round(float(np.mean(shp)), 4),
               background_accuracy=round(float(np.mean(bgs)), 4) if variant != "no-background" else None,
               both_accuracy=round(float(np.mean([a and b for a, b in zip(col, shp)])), 4))
    if return_samples:
        res["samples"] = (images, prompts, preds)
    return res
