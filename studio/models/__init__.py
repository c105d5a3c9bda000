"""Base models: the embedded ``studio-tiny`` base and local copies of real bases.

    from studio.models import load_base
    pipe = load_base()                               # the shipped studio-tiny-v2, CPU, float32
    pipe = load_base("/models/stable-diffusion-v1-5", device="cuda", dtype="bfloat16")

torch and diffusers are imported inside the functions, so ``import studio`` stays fast.
Weights are read from disk only (never downloaded) and only from safetensors files.
"""

from __future__ import annotations

import json
from pathlib import Path

MODELS_DIR = Path(__file__).parent
# Embedded bases by name. New models train on the newest (EMBEDDED_DEFAULT); an older one stays
# loadable for the adapters already trained on it (a manifest records its base's name and digest).
BUILTIN = {"studio-tiny": MODELS_DIR / "studio-tiny", "studio-tiny-v2": MODELS_DIR / "studio-tiny-v2"}
EMBEDDED_DEFAULT = "studio-tiny-v2"

# used when a model folder has no studio.json (e.g. a real Stable Diffusion base)
FALLBACK_INFERENCE = dict(num_inference_steps=25, guidance_scale=7.5, height=512, width=512)


def base_path(name_or_path: str | Path = EMBEDDED_DEFAULT) -> Path:
    """Resolve a built-in name ("studio-tiny-v2") or check that a path is a diffusers model folder."""
    key = str(name_or_path)
    if key in BUILTIN:
        path = BUILTIN[key]
    else:
        path = Path(name_or_path).expanduser()
    if not (path / "model_index.json").is_file():
        raise ValueError(f"{path} is not a diffusers model folder (no model_index.json)")
    return path


def load_defaults(pipe_or_path) -> dict:
    """Default inference settings recorded with a model (``studio.json``), else generic SD ones."""
    if isinstance(pipe_or_path, (str, Path)):
        folder = base_path(pipe_or_path)
    else:
        folder = getattr(pipe_or_path, "studio_path", None) or getattr(pipe_or_path, "name_or_path", None) \
            or pipe_or_path.config.get("_name_or_path")
        folder = Path(folder) if folder else None
    if folder is not None and (folder / "studio.json").is_file():
        meta = json.loads((folder / "studio.json").read_text())
        return {**FALLBACK_INFERENCE, **meta.get("inference", {})}
    return dict(FALLBACK_INFERENCE)


def _dtype(dtype):
    import torch

    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype or torch.float32
    names = {"float32": torch.float32, "fp32": torch.float32, "float16": torch.float16, "fp16": torch.float16,
             "bfloat16": torch.bfloat16, "bf16": torch.bfloat16}
    if str(dtype) not in names:
        raise ValueError(f"unknown dtype {dtype!r}; use one of {sorted(names)}")
    return names[str(dtype)]


def load_base(name_or_path: str | Path = EMBEDDED_DEFAULT, device: str = "cpu", dtype=None):
    """Load a base model as a ``StableDiffusionPipeline`` (no safety checker, no progress bar).

    ``dtype`` defaults to float32; pass "bfloat16"/"float16" (or a torch dtype) for a GPU.
    """
    from diffusers import StableDiffusionPipeline

    path = base_path(name_or_path)
    pipe = StableDiffusionPipeline.from_pretrained(
        str(path), safety_checker=None, feature_extractor=None, requires_safety_checker=False,
        dtype=_dtype(dtype), use_safetensors=True, local_files_only=True)
    pipe = pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    pipe.studio_path = path
    return pipe


__all__ = ["BUILTIN", "EMBEDDED_DEFAULT", "base_path", "load_base", "load_defaults"]
