"""Inference: loading a model folder, rendering images, previews and perceptual hashes.

It knows no studio home: it turns (model folder or base, prompt, seeds) into images. The
services above it (the quality gate, the marketplace's generations) record what it makes.

- One loaded pipeline per model, reused across requests (:func:`pipeline`, a small LRU cache).
- One image per seed, generated on its own: the same prompt and seed always give the same
  image, whether it comes from ``studio generate`` or a plain diffusers pipeline.
- A buyer sees a downscaled, visibly watermarked preview (:func:`watermark`).
- :func:`memorisation_flag` compares an output with training images by perceptual hash.
- A trained model folder holds ``pytorch_lora_weights.safetensors`` and
  ``training_manifest.json`` (:func:`read_manifest`); `studio.training.export` writes them.
"""

from __future__ import annotations

import io
import json
import re
import threading
import warnings
from collections import OrderedDict
from pathlib import Path

from studio.errors import StudioError
from studio.models import decoder, grain

MAX_PIPELINES = 3
MEMORISED_BITS = 6  # perceptual-hash distance (of 64 bits) at or under which an output counts as a copy
PREVIEW_SCALE = 0.5
PREVIEW_MIN_SIDE = 48

WEIGHTS_NAME = "pytorch_lora_weights.safetensors"
MANIFEST_NAME = "training_manifest.json"

_PIPES: OrderedDict = OrderedDict()
_LOCK = threading.RLock()
LOADS = {"count": 0}  # how many pipelines were loaded from disk (tests and bench read it)


# --- pipelines ---------------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict:
    """What a trained model folder records about itself: base, config, items, metrics."""
    path = Path(folder) / MANIFEST_NAME
    if not path.is_file():
        raise StudioError(f"{folder} is not a trained model folder (no {MANIFEST_NAME})")
    return json.loads(path.read_text())



def base_of(manifest: dict) -> str:
    """The base a trained model folder runs on: a built-in name, else the recorded path."""
    from studio.models import BUILTIN

    name = manifest["base"]["name"]
    return name if name in BUILTIN else manifest["base"]["path"]


def pipeline(model_dir: Path | str | None = None, base: str | Path | None = None, device: str = "cpu"):
    """A ready pipeline for a trained model folder (its base + adapter), or a base alone. Cached."""
    from studio.models import load_base
    from studio.models.bases import LOAD_LOCK, base_sha256, cpu_threads, default_base, quiet_libraries, resolve_base

    quiet_libraries()
    model_dir = Path(model_dir).resolve() if model_dir is not None else None
    manifest = read_manifest(model_dir) if model_dir is not None else None
    base = base or (base_of(manifest) if manifest else default_base())
    base_dir = resolve_base(base)
    key = (str(base_dir.resolve()), str(model_dir), device)
    with _LOCK:
        if key in _PIPES:
            _PIPES.move_to_end(key)
            return _PIPES[key]
        if manifest is not None and manifest["base"]["sha256"] != base_sha256(base_dir):
            raise StudioError(f"model {model_dir.name} was trained on a different version of base {base!r} "
                              f"(sha256 {manifest['base']['sha256'][:12]}...); retrain it on the current base")
        if device == "cpu":
            cpu_threads()
        with LOAD_LOCK, warnings.catch_warnings():  # diffusers' torch_dtype deprecation notice, from load_base
            warnings.simplefilter("ignore", FutureWarning)
            pipe = load_base(base_dir, device=device)
            if model_dir is not None:
                pipe.load_lora_weights(str(model_dir))
                decoder.load_into(pipe.vae, model_dir)  # the creator's own decoder, when the model has one
        pipe.studio_path = base_dir
        pipe.studio_grain = manifest.get("grain") if manifest else None  # added after decoding (render_many)
        pipe.studio_inference = (manifest or {}).get("inference") or {}  # the model's own settings over the base's
        LOADS["count"] += 1
        _PIPES[key] = pipe
        while len(_PIPES) > MAX_PIPELINES:
            _PIPES.popitem(last=False)
        return pipe


def forget_pipelines() -> None:
    with _LOCK:
        _PIPES.clear()


def check_prompt(pipe, prompt: str) -> str:
    prompt = (prompt or "").strip()
    if not prompt:
        raise StudioError("a prompt is needed")
    n = len(pipe.tokenizer(prompt).input_ids)
    limit = pipe.tokenizer.model_max_length
    if n > limit:
        raise StudioError(f"prompt is {n} tokens, over the model's limit of {limit}; shorten it")
    return prompt


def render(pipe, prompt: str, seed: int, **overrides):
    """One image for one prompt and seed, with the model's default inference settings."""
    return render_many(pipe, prompt, [seed], **overrides)[0]


def render_many(pipe, prompt: str, seeds: list[int], batch_size: int = 8, **overrides) -> list:
    """One image per seed, in batches: each image's starting noise comes from its own seed.

    The same call gives the same images, bit for bit. The same seed in a batch of another
    size (or with another CPU thread count) can differ by 1/255 in a few pixels, because
    float sums are ordered differently; batching is what makes four previews take about
    half the time of four single images. A model that learned its creator's grain
    (`studio.models.grain`) gets it added here, drawn from each image's seed.
    """
    import torch

    from studio.models import load_defaults

    settings = {k: v for k, v in {**load_defaults(pipe), **getattr(pipe, "studio_inference", {})}.items()
                if k in ("num_inference_steps", "guidance_scale", "height", "width")}
    settings.update({k: v for k, v in overrides.items() if v is not None})
    prompt = check_prompt(pipe, prompt)
    images = []
    for start in range(0, len(seeds), batch_size):  # bounded batches: a real base at 512px fills a GPU
        chunk = seeds[start:start + batch_size]
        generators = [torch.Generator().manual_seed(int(s)) for s in chunk]
        with _LOCK, torch.no_grad():  # one pipeline is not safe to call from two threads at once
            images += pipe([prompt] * len(chunk), generator=generators, **settings).images
    fitted = getattr(pipe, "studio_grain", None)
    return [grain.apply(img, fitted, s) for img, s in zip(images, seeds)] if fitted else images


# --- previews and perceptual hashes ------------------------------------------------------------


def png_bytes(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def watermark(img):
    """A downscaled copy with diagonal bands and (when there is room) the word PREVIEW."""
    from PIL import Image, ImageDraw

    w, h = img.size
    side = max(PREVIEW_MIN_SIDE, int(round(max(w, h) * PREVIEW_SCALE)))
    scale = min(1.0, side / max(w, h))
    small = img.convert("RGB").resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.LANCZOS)
    sw, sh = small.size
    overlay = Image.new("RGBA", small.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    step = max(8, sw // 6)
    band = max(2, step // 4)
    for x in range(-sh, sw + sh, step):
        draw.line([(x, sh), (x + sh, 0)], fill=(255, 255, 255, 140), width=band)
        draw.line([(x + band, sh), (x + band + sh, 0)], fill=(0, 0, 0, 90), width=max(1, band // 2))
    if sw >= 96:
        draw.text((sw // 2, sh // 2), "PREVIEW", fill=(255, 255, 255, 220), anchor="mm",
                  stroke_width=2, stroke_fill=(0, 0, 0, 200))
    return Image.alpha_composite(small.convert("RGBA"), overlay).convert("RGB")


def phash(img) -> str:
    """64-bit DCT perceptual hash (hex): low frequencies of a 32x32 grey image vs their median."""
    import numpy as np
    from PIL import Image

    g = np.asarray(img.convert("L").resize((32, 32), Image.LANCZOS), dtype=np.float64)
    n = 32
    k = np.arange(n)
    dct = np.cos(np.pi * (2 * k[None, :] + 1) * k[:, None] / (2 * n))  # DCT-II basis (unnormalised)
    low = (dct @ g @ dct.T)[:8, :8].flatten()
    bits = low > np.median(low[1:])
    return f"{int(''.join('1' if b else '0' for b in bits), 2):016x}"


def hamming(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def nearest(hash_: str, references: dict[str, str]) -> tuple[str | None, int]:
    """The reference (id -> phash) closest to ``hash_`` and its distance in bits."""
    best, dist = None, 65
    for ref_id, ref_hash in references.items():
        d = hamming(hash_, ref_hash)
        if d < dist:
            best, dist = ref_id, d
    return best, dist


def memorisation_flag(img_hash: str, references: dict[str, str], max_bits: int | None = None) -> str | None:
    """Why an output may not be sold (it copies a training item), or None."""
    ref, dist = nearest(img_hash, references)
    if ref is not None and dist <= (MEMORISED_BITS if max_bits is None else max_bits):
        return f"too close to training item {ref} (perceptual-hash distance {dist} of 64 bits)"
    return None


def slug(prompt: str, limit: int = 40) -> str:
    return re.sub(r"[^a-z0-9]+", "-", prompt.lower()).strip("-")[:limit].strip("-") or "image"
