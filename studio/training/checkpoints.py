"""Resumable checkpoints of a training run, without pickle, written atomically.

``MODEL_DIR/checkpoint-N/`` holds the adapter (written by the caller's ``write_adapter``), the
optimiser state (``optimizer.pt``, read back with ``weights_only=True``), the RNG states as
tensors (``rng.safetensors``) and the rest as JSON (``state.json``: step, losses, seconds, the
schedule and the config). A checkpoint is written to a temporary folder and renamed into place,
so a kill at any moment leaves the previous checkpoint whole; only the newest ``keep`` are kept.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path


def _number(p: Path) -> int:
    return int(p.name.split("-")[1])


def latest(out: Path) -> Path | None:
    """The newest complete checkpoint in ``out`` (one with its state.json), or None."""
    done = [p for p in Path(out).glob("checkpoint-*") if (p / "state.json").is_file()]
    return max(done, key=_number) if done else None


def write(out: Path, at: int, *, write_adapter: Callable[[Path], object], optimizer, rng: dict, state: dict,
          keep: int) -> Path:
    """Write ``checkpoint-{at}`` (adapter, optimiser, RNG, state) and remove all but the newest ``keep``."""
    import torch
    from safetensors.torch import save_file

    out = Path(out)
    final, tmp = out / f"checkpoint-{at}", out / f".checkpoint-{at}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    write_adapter(tmp)
    torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
    save_file(rng, str(tmp / "rng.safetensors"))
    (tmp / "state.json").write_text(json.dumps({**state, "step": at}))
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    old = sorted((p for p in out.glob("checkpoint-*") if p != final), key=_number)
    for p in old[:max(0, len(old) - keep + 1)]:
        shutil.rmtree(p, ignore_errors=True)
    return final


def read(ckpt: Path, optimizer) -> tuple[dict, dict]:
    """Load the optimiser state in place; return (the RNG tensors, the state dict)."""
    import torch
    from safetensors.torch import load_file

    optimizer.load_state_dict(torch.load(ckpt / "optimizer.pt", weights_only=True, map_location="cpu"))
    return load_file(str(ckpt / "rng.safetensors")), json.loads((ckpt / "state.json").read_text())
