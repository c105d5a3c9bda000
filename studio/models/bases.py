"""Which base a model runs on: its folder, its identity (a digest) and the torch settings to run it.

The bottom layer: inference, training and the quality gate all come here to find a base;
nothing here imports any of them.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

from studio.errors import StudioError
from studio.models import BUILTIN, EMBEDDED_DEFAULT, base_path

# diffusers and transformers build a model on torch's meta device by patching torch globally while
# from_pretrained runs: two loads at once in one process (two training runs, or a run and a
# preview) corrupt each other. Every load of base weights holds this lock.
LOAD_LOCK = threading.RLock()


def default_base() -> str:
    """The base new models train on: ``$STUDIO_BASE`` if set, else the newest embedded base."""
    return os.environ.get("STUDIO_BASE") or EMBEDDED_DEFAULT


def resolve_base(name_or_path: str | Path) -> Path:
    """The base's folder, or a clear error if it is not a local diffusers model."""
    try:
        path = base_path(name_or_path)
    except ValueError as exc:
        if str(name_or_path) in BUILTIN:
            raise StudioError(f"the embedded {name_or_path} weights are not built yet (run "
                              "`python -m studio.models.build.pretrain_tiny`), or pass --base PATH / set STUDIO_BASE"
                              ) from None
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
