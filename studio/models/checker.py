"""A quality checker for the shapes world: does a generated image follow its prompt?

A small CNN, trained on rendered single-shape images (ground truth known, every
world style, plus blur/noise/colour-shift augmentation so it tolerates the
softness of generated images), predicts the shape, the colour of the shape and
the background colour. :func:`prompt_following` samples single-shape prompts
from the grammar, generates one image per prompt with a pipeline and reports
how often the checker sees the prompted colour and shape.

The shipped weights live in ``studio/models/checker/`` (safetensors); retrain them
with ``python -m studio.models.checker --train``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

import numpy as np

from studio.models import world

CHECKER_DIR = Path(__file__).parent / "checker"
WEIGHTS = "checker.safetensors"


def _net():
    import torch.nn as nn

    def block(i, o):
        return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(),
                             nn.Conv2d(o, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(), nn.MaxPool2d(2))

    class CheckerNet(nn.Module):
        def __init__(self):
            super().__init__()
            # 64x64 -> 32x32 first: shapes and colours are large, and a CPU step gets 4x cheaper
            self.features = nn.Sequential(nn.AvgPool2d(2), block(3, 16), block(16, 32), block(32, 64),
                                          block(64, 96), nn.AdaptiveAvgPool2d(1), nn.Flatten())
            self.shape = nn.Linear(96, len(world.SHAPES))
            self.color = nn.Linear(96, len(world.COLOR_NAMES))
            self.background = nn.Linear(96, len(world.COLOR_NAMES))

        def forward(self, x):
            h = self.features(x)
            return self.shape(h), self.color(h), self.background(h)

    return CheckerNet()


def _to_tensor(imgs: np.ndarray):
    import torch

    return torch.from_numpy(np.ascontiguousarray(imgs)).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def _labelled(seeds, styles=None):
    styles = styles or list(world.STYLES.values())
    imgs, y = [], []
    for i, s in enumerate(seeds):
        im, cap, objs = world.render(int(s), styles[i % len(styles)], n_shapes=1)
        (color, shape), bg = world.parse_caption(cap)[0][0], world.parse_caption(cap)[1]
        imgs.append(np.asarray(im))
        y.append((world.SHAPES.index(shape), world.COLOR_NAMES.index(color), world.COLOR_NAMES.index(bg)))
    return np.stack(imgs), np.array(y, dtype=np.int64)


def _augment(x, gen):
    """Blur, noise and small colour shifts, as a generator's outputs might show."""
    import torch
    import torch.nn.functional as F

    b = x.shape[0]
    # random box blur on half of the batch
    k = torch.tensor([1.0, 2.0, 1.0])
    k2 = (k[:, None] * k[None, :]) / 16
    blurred = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), k2.expand(3, 1, 3, 3), groups=3)
    m = (torch.rand(b, 1, 1, 1, generator=gen) < 0.5).float()
    x = m * blurred + (1 - m) * x
    x = x + torch.randn(b, 3, 1, 1, generator=gen) * 0.04  # per-channel colour shift
    x = x * (1 + torch.randn(b, 1, 1, 1, generator=gen) * 0.05)  # brightness
    x = x + torch.randn(x.shape, generator=gen) * torch.rand(b, 1, 1, 1, generator=gen) * 0.08  # noise
    flip = torch.rand(b, generator=gen) < 0.5
    x[flip] = x[flip].flip(-1)
    return x.clamp(-1, 1)


def train(out: Path = CHECKER_DIR, n_train: int = 16000, steps: int = 1200, batch: int = 64, seed: int = 0,
          threads: int = 1) -> dict:
    import torch
    import torch.nn.functional as F
    from safetensors.torch import save_file

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    t0 = time.time()
    imgs, y = _labelled(range(10**8 + seed * 10**6, 10**8 + seed * 10**6 + n_train))
    X, Y = _to_tensor(imgs), torch.from_numpy(y)
    net = _net()
    opt = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps)))
    gen = torch.Generator().manual_seed(seed)
    net.train()
    for step in range(steps):
        idx = torch.randint(0, len(X), (batch,), generator=gen)
        x = _augment(X[idx], gen)
        ls, lc, lb = net(x)
        loss = F.cross_entropy(ls, Y[idx, 0]) + F.cross_entropy(lc, Y[idx, 1]) + F.cross_entropy(lb, Y[idx, 2])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0:
            print(f"checker step {step}/{steps} loss {loss.item():.3f}", flush=True)
    net.eval()
    out.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(out / WEIGHTS))
    acc = evaluate_rendered(Checker(net), n=1000, seed=7)
    info = dict(train_images=n_train, steps=steps, batch=batch, seed=seed, train_seconds=round(time.time() - t0),
                rendered_accuracy=acc)
    (out / "checker.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


class Checker:
    """``Checker.load()(images)`` -> list of ``{"shape", "color", "background"}`` dicts."""

    def __init__(self, net):
        self.net = net.eval()

    @classmethod
    def load(cls, folder: str | Path = CHECKER_DIR) -> "Checker":
        from safetensors.torch import load_file

        net = _net()
        net.load_state_dict(load_file(str(Path(folder) / WEIGHTS)))
        return cls(net)

    def __call__(self, images) -> list[dict]:
        """``images``: PIL images or a uint8 array ``[N, 64, 64, 3]`` (or float in [0, 1])."""
        import torch

        if isinstance(images, np.ndarray):
            arr = images
            if arr.dtype != np.uint8:
                arr = (np.clip(arr, 0, 1) * 255).round().astype(np.uint8)
        else:
            arr = np.stack([np.asarray(im.convert("RGB").resize((world.SIZE, world.SIZE))) for im in images])
        with torch.no_grad():
            ls, lc, lb = self.net(_to_tensor(arr))
        return [dict(shape=world.SHAPES[s], color=world.COLOR_NAMES[c], background=world.COLOR_NAMES[b])
                for s, c, b in zip(ls.argmax(1).tolist(), lc.argmax(1).tolist(), lb.argmax(1).tolist())]


def evaluate_rendered(checker: Checker, n: int = 500, seed: int = 1, styles=None) -> dict:
    """The checker's own accuracy on freshly rendered single-shape images (all styles)."""
    seeds = range(2 * 10**8 + seed * 10**5, 2 * 10**8 + seed * 10**5 + n)
    imgs, y = _labelled(seeds, styles)
    pred = checker(imgs)
    s = np.mean([world.SHAPES.index(p["shape"]) == t[0] for p, t in zip(pred, y)])
    c = np.mean([world.COLOR_NAMES.index(p["color"]) == t[1] for p, t in zip(pred, y)])
    b = np.mean([world.COLOR_NAMES.index(p["background"]) == t[2] for p, t in zip(pred, y)])
    return dict(n=n, shape_accuracy=round(float(s), 4), color_accuracy=round(float(c), 4),
                background_accuracy=round(float(b), 4))


def prompt_following(pipe, n: int = 100, seed: int = 0, *, num_inference_steps: int | None = None,
                     guidance_scale: float | None = None, batch: int = 25, checker: Checker | None = None,
                     return_samples: bool = False) -> dict:
    """Generate ``n`` images for random single-shape prompts and score them with the checker.

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
    images = []
    for start in range(0, n, batch):
        chunk = prompts[start:start + batch]
        g = torch.Generator().manual_seed(seed * 100003 + start)
        out = pipe([p for p, _, _ in chunk], num_inference_steps=steps, guidance_scale=scale, generator=g,
                   height=world.SIZE, width=world.SIZE, output_type="np")
        images.append(out.images)
    images = np.concatenate(images)
    preds = checker(images)
    col = [p["color"] == c for p, (_, c, _) in zip(preds, prompts)]
    shp = [p["shape"] == s for p, (_, _, s) in zip(preds, prompts)]
    bgs = [p["background"] == world.parse_caption(q)[1] for p, (q, _, _) in zip(preds, prompts)]
    res = dict(n=n, seed=seed, num_inference_steps=steps, guidance_scale=scale,
               color_accuracy=round(float(np.mean(col)), 4), shape_accuracy=round(float(np.mean(shp)), 4),
               background_accuracy=round(float(np.mean(bgs)), 4),
               both_accuracy=round(float(np.mean([a and b for a, b in zip(col, shp)])), 4))
    if return_samples:
        res["samples"] = (images, prompts, preds)
    return res


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description="train or evaluate the shapes-world checker")
    p.add_argument("--train", action="store_true")
    p.add_argument("--steps", type=int, default=1200)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, default=CHECKER_DIR)
    args = p.parse_args(argv)
    if args.train:
        print(json.dumps(train(args.out, steps=args.steps, threads=args.threads), indent=2))
    print(json.dumps(evaluate_rendered(Checker.load(args.out), n=1000, seed=3), indent=2))


if __name__ == "__main__":
    main()
