"""LoRA training of a creator's personal creation model (diffusers + peft, on accelerate).

    from studio.training import TrainConfig, train
    result = train(TrainConfig(base="studio-tiny", steps=300, trigger="mirastyle"), examples, out_dir)

- ``lora.py``   the training loop, top to bottom in one file;
- ``data.py``   examples from a portfolio or folder, and the latent/caption cache;
- ``export.py`` diffusers and kohya adapter files, training manifest, model card;
- ``cli.py``    ``studio train``, ``studio generate`` and ``studio model ...``.

Heavy libraries (torch, diffusers, peft, accelerate) are imported inside functions.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from studio.errors import StudioError


TINY_LR = 3e-3  # measured on studio-tiny: closer to a sample creator's style in 300 steps than 1e-3
SD_LR = 1e-4  # the usual LoRA learning rate for Stable Diffusion 1.5


@dataclass
class TrainConfig:
    """Every knob of a training run; recorded verbatim in the manifest."""

    base: str = "studio-tiny"  # "studio-tiny" or a local diffusers folder (e.g. Stable Diffusion 1.5)
    steps: int = 300
    rank: int = 8
    alpha: float | None = None  # LoRA alpha; None = rank (scale 1)
    lr: float | None = None  # None: 3e-3 for studio-tiny-style bases (a studio.json), else 1e-4 as for SD 1.5
    batch_size: int = 4
    resolution: int | None = None  # None: the base's default image size
    trigger: str | None = None  # the creator's style token, added to every caption
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    mixed_precision: str = "auto"  # auto (bf16 on CUDA, else no) | no | fp16 | bf16
    gradient_checkpointing: bool = False
    train_text_encoder: bool = False
    cache_latents: bool = True  # encode images and captions once (off only to measure the difference)
    checkpoint_every: int = 100
    keep_checkpoints: int = 2
    sample_every: int = 100  # 0: no preview samples during training
    sample_prompts: list[str] = field(default_factory=list)  # default: the first held-out/training captions
    holdout: float = 0.15  # share of items held out for the quality gate (none below 4 items)
    warmup_steps: int = 10
    threads: int | None = None  # torch CPU threads (None: see `cpu_threads`)
    name: str | None = None  # model name (file names, card title)

    def __post_init__(self):
        for name in ("steps", "rank", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise StudioError(f"--{name.replace('_', '-')} must be at least 1, not {getattr(self, name)}")
        if self.lr is not None and not (0 < float(self.lr) < 1):
            raise StudioError(f"--lr must be between 0 and 1, not {self.lr}")
        if self.mixed_precision not in ("auto", "no", "fp16", "bf16"):
            raise StudioError(f"--mixed-precision must be auto, no, fp16 or bf16, not {self.mixed_precision!r}")
        if self.trigger is not None and (not self.trigger.strip() or " " in self.trigger.strip()):
            raise StudioError(f"--trigger must be one word, not {self.trigger!r}")

    def learning_rate(self, base: Path) -> float:
        """The learning rate to use on ``base``: as given, else a default that suits the base."""
        if self.lr is not None:
            return float(self.lr)
        return TINY_LR if (Path(base) / "studio.json").is_file() else SD_LR

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrainEvent:
    """One progress report: start, step, samples, checkpoint, done or cancelled."""

    kind: str
    step: int = 0
    total: int = 0
    loss: float | None = None
    steps_per_s: float | None = None
    eta_s: float | None = None
    images: list = field(default_factory=list)  # PIL images (samples)
    prompts: list[str] = field(default_factory=list)
    path: str | None = None  # checkpoint or model folder
    message: str | None = None


def cpu_threads(threads: int | None = None) -> int:
    """Set torch's CPU threads: as asked, else 1 on a busy machine (load >= cores), else torch's default.

    On a shared CPU, torch's worker threads spin waiting for each other: one thread was
    6-50x faster per step than two on the 2-core machine this was written on.
    """
    import torch

    if threads is None:
        busy = hasattr(os, "getloadavg") and os.getloadavg()[0] >= (os.cpu_count() or 1) - 0.5
        threads = 1 if busy else torch.get_num_threads()
    torch.set_num_threads(max(1, int(threads)))
    return torch.get_num_threads()


def quiet_libraries() -> None:
    """No loading bars or 'no LoRA keys for the text encoder' notices from diffusers/transformers."""
    import diffusers
    import transformers

    diffusers.utils.logging.disable_progress_bar()
    diffusers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()


def default_base() -> str:
    """The base new models train on: ``$STUDIO_BASE`` if set, else the embedded studio-tiny."""
    return os.environ.get("STUDIO_BASE") or "studio-tiny"


def resolve_base(name_or_path: str | Path) -> Path:
    """The base's folder, or a clear error if it is not a local diffusers model."""
    from studio.models import base_path

    from studio.models import BUILTIN

    try:
        path = base_path(name_or_path)
    except ValueError as exc:
        if str(name_or_path) in BUILTIN:
            raise StudioError(f"the embedded {name_or_path} weights are not built yet (run "
                              "`python -m studio.models.pretrain_tiny`), or pass --base PATH / set STUDIO_BASE") from None
        raise StudioError(f"base {str(name_or_path)!r} is not a diffusers model: {exc}") from None
    index = json.loads((path / "model_index.json").read_text())
    missing = [c for c in ("unet", "vae", "text_encoder", "tokenizer", "scheduler") if c not in index]
    if missing:
        raise StudioError(f"base {path} is not a Stable Diffusion-style model (no {', '.join(missing)})")
    return path


_HASHES: dict[tuple, str] = {}


def base_sha256(path: Path) -> str:
    """One digest over the base's configs, tokenizer and weights (cached per process by size and mtime).

    The studio's own notes and measurements (studio.json, the model card) are left out: editing
    them does not change the model an adapter was trained on.
    """
    files = sorted(p for p in Path(path).rglob("*") if p.is_file() and p.suffix in (".json", ".safetensors", ".txt")
                   and p.name != "studio.json")
    key = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    if key not in _HASHES:
        h = hashlib.sha256()
        for p in files:
            h.update(p.relative_to(path).as_posix().encode() + b"\0")
            with open(p, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
        _HASHES[key] = h.hexdigest()
    return _HASHES[key]


def train(*args, **kwargs):
    """See :func:`studio.training.lora.train`."""
    from studio.training.lora import train as _train

    return _train(*args, **kwargs)


__all__ = ["TrainConfig", "TrainEvent", "base_sha256", "default_base", "resolve_base", "train"]
