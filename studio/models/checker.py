"""A quality checker for the shapes world: does an image show the prompted shape and colours?

A small CNN predicts the shape, the colour of the shape and the background colour of a
single-shape image. Its weights ship in ``studio/models/checker/`` (safetensors) and were
trained on rendered images by ``python -m studio.models.build.train_checker --train``;
``studio.models.build.measure`` scores a pipeline's prompt following with it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.models import world

CHECKER_DIR = Path(__file__).parent / "checker"
WEIGHTS = "checker.safetensors"


def checker_net():
    """The checker's CNN, untrained: 64x64 RGB in [-1, 1] -> shape, colour and background logits."""
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


def to_tensor(imgs: np.ndarray):
    """uint8 images ``[N, H, W, 3]`` -> a float tensor ``[N, 3, H, W]`` in [-1, 1]."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(imgs)).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


class Checker:
    """``Checker.load()(images)`` -> list of ``{"shape", "color", "background"}`` dicts."""

    def __init__(self, net):
        self.net = net.eval()

    @classmethod
    def load(cls, folder: str | Path = CHECKER_DIR) -> "Checker":
        from safetensors.torch import load_file

        net = checker_net()
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
            ls, lc, lb = self.net(to_tensor(arr))
        return [dict(shape=world.SHAPES[s], color=world.COLOR_NAMES[c], background=world.COLOR_NAMES[b])
                for s, c, b in zip(ls.argmax(1).tolist(), lc.argmax(1).tolist(), lb.argmax(1).tolist())]
