"""Text models: a base or a creator's adapter folder, loaded once, writing copy for briefs.

    model, tokenizer = load(folder)                     # a trained folder, or load(base="studio-tiny-text")
    texts = write(model, tokenizer, ["brief: tagline | business: ..."], seed=0, watermark=mark)

It knows no studio home: (folder, briefs, seed) -> texts; the services above it (the quality
gate, the marketplace) record what it writes. A trained text model folder holds a peft adapter
(``adapter_model.safetensors`` and ``adapter_config.json``: ``PeftModel.from_pretrained(base, folder)``
loads it into plain transformers) and ``training_manifest.json`` with ``"kind": "text"`` and its base.

A brief is one line. The world's own brief line (``brief: tagline | business: Bloom Bakery (bakery) |
audience: ... | tone: ...``) is what the embedded base reads best; any other line is passed as
``brief: LINE``, and no brief at all as the bare copy mark.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from pathlib import Path

from studio.errors import StudioError
from studio.text import world
from studio.text.base import TEXT_BASE, generate

TEXT_BASES = {"studio-tiny-text": TEXT_BASE}
ADAPTER_NAME = "adapter_model.safetensors"
MANIFEST_NAME = "training_manifest.json"  # the same file name as an image model's
MAX_MODELS = 3

_MODELS: OrderedDict = OrderedDict()
_LOCK = threading.RLock()


def manifest_of(folder: Path | str) -> dict | None:
    path = Path(folder) / MANIFEST_NAME
    return json.loads(path.read_text()) if path.is_file() else None


def is_text_model(folder: Path | str) -> bool:
    """Does ``folder`` hold a trained text model (rather than an image one)?"""
    manifest = manifest_of(folder)
    return bool(manifest and manifest.get("kind") == "text")


def resolve_base(name_or_path: str | Path) -> Path:
    """A text base's folder (a built-in name or a local transformers folder), or a clear error."""
    path = TEXT_BASES.get(str(name_or_path)) or Path(name_or_path).expanduser()
    if not (path / "config.json").is_file():
        raise StudioError(f"text base {str(name_or_path)!r} is not a transformers model folder (no config.json); "
                          f"use {', '.join(TEXT_BASES)} or a local causal-LM folder")
    return path


def base_name(manifest: dict) -> str:
    name = manifest["base"]["name"]
    return name if name in TEXT_BASES else manifest["base"]["path"]


def brief_line(brief) -> str:
    """A world :class:`~studio.text.world.Brief` as its one-line text (what a writing sample records)."""
    return world.prompt(brief).split("\n", 1)[0]


def brief_prompt(brief: str | None) -> str:
    """What the model reads for a brief line (or none), ending where the copy starts."""
    line = " ".join((brief or "").split())
    if not line:
        return world.COPY_MARK
    try:
        return world.prompt(world.parse_prompt(f"{line}\n{world.COPY_MARK}"))
    except ValueError:
        return f"brief: {line.removeprefix('brief:').strip()}\n{world.COPY_MARK}"


def parsed_brief(brief: str | None):
    """The world Brief a line states, or None (free-form briefs are not checked against the world's rules)."""
    try:
        return world.parse_prompt(brief_prompt(brief))
    except ValueError:
        return None


def load(model_dir: Path | str | None = None, base: str | Path | None = None):
    """``(model, tokenizer)`` for a trained folder (its adapter on its recorded base) or a base alone,
    from local files only; the last few are kept loaded."""
    key = str(Path(model_dir).resolve()) if model_dir is not None else f"base:{base or 'studio-tiny-text'}"
    with _LOCK:
        if key in _MODELS:
            _MODELS.move_to_end(key)
            return _MODELS[key]
        from studio.models.bases import LOAD_LOCK
        from studio.text.base import load as load_base

        manifest = manifest_of(model_dir) if model_dir is not None else None
        if model_dir is not None and (manifest is None or manifest.get("kind") != "text"):
            raise StudioError(f"{model_dir} is not a trained text model folder (no text {MANIFEST_NAME})")
        with LOAD_LOCK:
            model, tokenizer = load_base(resolve_base(base_name(manifest) if manifest else (base or "studio-tiny-text")))
            if model_dir is not None:
                from peft import PeftModel

                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                model = PeftModel.from_pretrained(model, str(model_dir)).merge_and_unload().eval()
        _MODELS[key] = (model, tokenizer)
        while len(_MODELS) > MAX_MODELS:
            _MODELS.popitem(last=False)
        return model, tokenizer


def forget_models() -> None:
    with _LOCK:
        _MODELS.clear()


def write(model, tokenizer, briefs: list[str | None], *, seed: int = 0, watermark=None, **settings) -> list[str]:
    """One copy per brief line, in one batch; the same briefs and seed give the same copy.

    ``watermark`` (a :class:`~studio.text.watermark.Watermark`) biases every step toward its green list."""
    procs = None
    if watermark is not None:
        from transformers import LogitsProcessorList

        procs = LogitsProcessorList([watermark.processor()])
    with _LOCK:  # generation of one loaded model at a time: its RNG and cache are shared
        return generate(model, tokenizer, [brief_prompt(b) for b in briefs], seed=seed, logits_processor=procs,
                        **settings)
