"""Training data: examples from a studio portfolio or a plain folder, and the latent cache.

An :class:`Example` is one image with its caption and where it came from (item id,
sha256, consent record). :func:`encode` turns a list of examples into the tensors
the loop trains on — VAE posterior mean/std and caption embeddings — once per
dataset; :func:`load_or_encode` keeps them in ``MODEL_DIR/cache/`` keyed by the
base, the resolution and every image and caption, so a resumed or repeated run
does not encode again. (The reference diffusers scripts re-encode every step.)
"""

from __future__ import annotations

import hashlib
import io
import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path

from studio.config import DEFAULT_POLICY, Policy
from studio.errors import StudioError


@dataclass(frozen=True)
class Example:
    data: bytes  # the image file's bytes
    caption: str  # with the trigger word
    sha256: str
    item_id: str | None = None  # portfolio item, when trained from a studio home
    consent_id: str | None = None
    consent: str | None = None  # "own", "client:REF", or "folder" outside a studio home
    source: str | None = None

    def record(self, role: str) -> dict:
        d = asdict(self)
        d.pop("data")
        d["role"] = role  # "train" or "holdout" (held out for the quality gate)
        return d


def with_trigger(caption: str | None, trigger: str | None) -> str:
    """Add the creator's style token to a caption, once: ``"a red circle, mirastyle"``."""
    caption = (caption or "").strip()
    if not trigger:
        return caption
    words = {w.strip(" ,.;") for w in caption.split()}
    if trigger in words:
        return caption
    return f"{caption}, {trigger}" if caption else trigger


def without_trigger(caption: str, trigger: str | None) -> str:
    """The caption with the style token taken out: what the base alone is asked (prior preservation)."""
    if not trigger:
        return caption
    words = [w for w in caption.replace(",", " , ").split() if w != trigger]
    return " ".join(words).replace(" ,", ",").strip(" ,") or caption


def from_items(handle: str, items: list, blobs, trigger: str | None) -> list[Example]:
    """Examples from a creator's portfolio items (`ItemView`s with active consent) and the blob store."""
    items = [v for v in items if v.kind == "image" and v.active]
    if not items:
        raise StudioError(f"{handle!r} has no images with active consent to train on "
                          "(add some with `studio portfolio add`, or check revoked consent)")
    return [Example(blobs.get(v.sha256), with_trigger(v.caption, trigger), v.sha256, v.id, v.consent_id,
                    v.consent, v.source) for v in items]


def from_folder(folder: Path, trigger: str | None, policy: Policy = DEFAULT_POLICY,
                skipped: list[str] | None = None) -> list[Example]:
    """Images with same-name ``.txt`` captions (kohya) or ``metadata.jsonl`` (imagefolder).

    The folder is read like a portfolio intake: links and special files inside it are
    refused, and each file's type and size are checked before it is read. Each refused
    file's one-line reason is appended to ``skipped``, if given.
    """
    from studio.portfolio import Accepted, collect, validate

    folder = Path(folder)
    if not folder.is_dir():
        raise StudioError(f"{folder} is not a folder of images")
    candidates, rejected = collect([folder], policy)
    examples, problems = [], [str(r) for r in rejected]
    for c in candidates:
        result = validate(c, policy)
        if not isinstance(result, Accepted):
            problems.append(str(result))
        elif result.kind == "image":
            sha = hashlib.sha256(result.data).hexdigest()
            examples.append(Example(result.data, with_trigger(result.caption, trigger), sha, None, None, "folder",
                                    result.name))
    if skipped is not None:
        skipped.extend(problems)
    if not examples:
        detail = f" ({'; '.join(problems[:3])})" if problems else ""
        raise StudioError(f"{folder} holds no readable images to train on{detail}")
    return examples


def split_holdout(examples: list[Example], fraction: float, seed: int) -> tuple[list[Example], list[Example]]:
    """Hold back a few items (by seed) whose captions the quality gate prompts with."""
    n = len(examples)
    k = 0 if n < 4 or fraction <= 0 else max(1, round(n * fraction))
    order = sorted(range(n), key=lambda i: examples[i].sha256)
    held = set(random.Random(f"holdout:{seed}").sample(order, k))
    return [e for i, e in enumerate(examples) if i not in held], [e for i, e in enumerate(examples) if i in held]


def check_captions(tokenizer, captions: list[str], what: str = "caption") -> None:
    """A clear error for text the text encoder would silently cut off."""
    limit = tokenizer.model_max_length
    for text in captions:
        n = len(tokenizer(text).input_ids)
        if n > limit:
            raise StudioError(f"{what} is {n} tokens, over the text encoder's limit of {limit}: {text[:80]!r}...")


def load_image(data: bytes, resolution: int):
    """Centre-crop to a square and resize: a float tensor [3, R, R] in [-1, 1]."""
    import numpy as np
    import torch
    from PIL import Image

    img = Image.open(io.BytesIO(data)).convert("RGB")
    w, h = img.size
    side = min(w, h)
    img = img.crop(((w - side) // 2, (h - side) // 2, (w - side) // 2 + side, (h - side) // 2 + side))
    if side != resolution:
        img = img.resize((resolution, resolution), Image.BICUBIC)
    arr = torch.from_numpy(np.asarray(img, dtype=np.float32).copy()).permute(2, 0, 1)
    return arr / 127.5 - 1.0


def tokenize(tokenizer, captions: list[str]):
    return tokenizer(captions, padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                     return_tensors="pt").input_ids


def cache_key(base_sha256: str, resolution: int, examples: list[Example], embeddings: bool, grain=None) -> str:
    h = hashlib.sha256(json.dumps([base_sha256, resolution, embeddings] + ([grain] if grain else [])).encode())
    for e in examples:
        h.update(f"{e.sha256}\n{e.caption}\n".encode())
    return h.hexdigest()[:16]


def encode(vae, text_encoder, tokenizer, examples: list[Example], resolution: int, device, dtype,
           embeddings: bool = True, batch: int = 8, pixels=None) -> dict:
    """Encode every image once (posterior mean and std) and, unless the text encoder is
    being trained, every caption once (its hidden states). ``pixels``: the images as already
    loaded (and cleaned of grain), else they are loaded from the examples."""
    import torch

    means, stds, embeds = [], [], []
    ids = tokenize(tokenizer, [e.caption for e in examples])
    with torch.no_grad():
        for start in range(0, len(examples), batch):
            chunk = examples[start:start + batch]
            x = (pixels[start:start + batch] if pixels is not None
                 else torch.stack([load_image(e.data, resolution) for e in chunk])).to(device, dtype)
            posterior = vae.encode(x).latent_dist
            means.append(posterior.mean.float().cpu())
            stds.append(posterior.std.float().cpu())
            if embeddings:
                embeds.append(text_encoder(ids[start:start + batch].to(device))[0].float().cpu())
    out = {"latent_mean": torch.cat(means), "latent_std": torch.cat(stds), "input_ids": ids}
    if embeddings:
        out["embeddings"] = torch.cat(embeds)
    return out


def load_or_encode(cache_dir: Path, key: str, *args, **kwargs) -> tuple[dict, bool]:
    """The cached tensors for ``key`` if present, else encode and store them. Returns (tensors, hit)."""
    from safetensors.torch import load_file, save_file

    path = Path(cache_dir) / f"latents-{key}.safetensors"
    if path.is_file():
        return load_file(str(path)), True
    tensors = encode(*args, **kwargs)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp))
    tmp.replace(path)
    return tensors, False
