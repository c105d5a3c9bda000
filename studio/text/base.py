"""The embedded text base, studio-tiny-text: where it lives, loading it offline, writing copy with it.

    model, tokenizer = load()                       # plain transformers, CPU, float32
    texts = generate(model, tokenizer, [brief], seed=0)

The folder is a plain ``save_pretrained`` layout (``config.json``, ``model.safetensors``,
``generation_config.json``, ``tokenizer.json``), so ``AutoModelForCausalLM.from_pretrained`` and
``AutoTokenizer.from_pretrained`` load it too; a local real base works through the same calls.
It is built by ``python -m studio.text.build``.
"""

from __future__ import annotations

import os
from pathlib import Path

from studio.text.world import Brief, parse_prompt, prompt, relexicalise

TEXT_BASE = Path(__file__).resolve().parents[1] / "models" / "studio-tiny-text"


def load(folder: str | Path = TEXT_BASE):
    """``(model, tokenizer)`` from a local folder, never from a hub; the model in eval mode."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = Path(folder)
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(f"{folder} holds no model (config.json missing)")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(str(folder), local_files_only=True, dtype="float32")
    return model.eval(), tokenizer


def generate(model, tokenizer, briefs: list[Brief | str], *, seed: int = 0, logits_processor=None, **settings) -> list[str]:
    """The copy the model writes for each brief (or prompt text), in one batch, with the business's
    name filled into the name slot (``world.NAME_SLOT``; a model that writes the name itself is unaffected).

    Decoding follows the model's ``generation_config.json`` unless ``settings`` override it
    (e.g. ``do_sample=False`` for greedy); ``seed`` makes sampling reproducible."""
    import torch

    prompts = [b if isinstance(b, str) else prompt(b) for b in briefs]
    tokenizer.padding_side = "left"  # batched decoding continues every prompt from its last token
    enc = tokenizer(prompts, return_tensors="pt", padding=True)
    torch.manual_seed(seed)
    with torch.no_grad():
        out = model.generate(**enc, logits_processor=logits_processor, **settings)
    texts = [t.strip() for t in tokenizer.batch_decode(out[:, enc.input_ids.shape[1]:], skip_special_tokens=True)]
    return [relexicalise(_brief(b), t) if _brief(b) else t for b, t in zip(briefs, texts)]


def _brief(b: Brief | str) -> Brief | None:
    if isinstance(b, Brief):
        return b
    try:
        return parse_prompt(b)
    except ValueError:
        return None
