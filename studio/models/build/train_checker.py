"""Train the shapes-world checker whose weights ship in ``studio/models/checker/``.

    python -m studio.models.build.train_checker [--train] [--steps 1200] [--threads 1] [--out studio/models/checker]

A small CNN (:func:`studio.models.checker.checker_net`), trained on rendered single-shape
images (ground truth known, every world style, plus blur/noise/colour-shift augmentation so
it tolerates the softness of generated images), predicts the shape, the colour of the shape
and the background colour. Without ``--train`` it only reports the accuracy of the weights in ``--out``.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

from studio.models.build.measure import evaluate_rendered, labelled
from studio.models.checker import CHECKER_DIR, WEIGHTS, Checker, checker_net, to_tensor


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
    imgs, y = labelled(range(10**8 + seed * 10**6, 10**8 + seed * 10**6 + n_train))
    X, Y = to_tensor(imgs), torch.from_numpy(y)
    net = checker_net()
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
