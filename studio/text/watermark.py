"""A statistical watermark for generated text, keyed per model (a green-list bias, Kirchenbauer et al. 2023).

    mark = Watermark(secret, vocab_size=model.config.vocab_size)
    model.generate(..., logits_processor=LogitsProcessorList([mark.processor()]))
    mark.detect_text(text, tokenizer)   # Detection(z, p_value, green, scored, detected)

At every generation step the previous token and the model's key choose a "green" share
``gamma`` of the vocabulary; ``delta`` is added to the green logits, so a watermarked text holds
more green tokens than chance. The detector re-tokenizes a text, counts green tokens and
returns the z-score against ``gamma`` and the one-sided p-value of the count (exact binomial
tail: with a small ``gamma`` the normal approximation is too kind in the tail); a text is
flagged when ``p <= P_THRESHOLD``. Neither needs the model, only the key and the tokenizer.

``gamma`` is small on purpose: a tiny model's copy is mostly near-certain tokens (a business
name copied from the brief) that the bias cannot move and that come out green at the rate
``gamma``; the fewer green tokens chance allows, the more the others stand out, and the fewer
green alternatives there are to pull a near-certain token off course.

What it can reach depends on the model's entropy, not on this code: studio-tiny-text's copy is
mostly determined by its brief (about 0.65 nats per token; only about a quarter of its tokens are
real choices), so 100 tokens carry too few choices for a confident verdict; the model card gives
the measured detection by length.

Repeated (previous token, token) pairs are counted once: a text that repeats itself (a
jingle's chorus, a list of hashtags) would otherwise count the same coin flip many times, and
the p-value assumes independent flips.

The key is a per-model secret (bytes); it is stretched with HMAC-SHA256 so the green lists
depend on all of it. A green list is a NumPy ``Philox`` permutation seeded from the key and the
previous token: counter-based, so the same key gives the same lists on every platform.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

GAMMA = 0.1  # share of the vocabulary that is green at each step
DELTA = 3.0  # logit bias added to green tokens
P_THRESHOLD = 1e-3  # flagged when the one-sided p-value is at most this (the false-positive rate it allows)
MIN_SCORED = 16  # fewer distinct scored pairs than this: no verdict


@dataclass(frozen=True)
class Detection:
    z: float
    p_value: float
    green: int
    scored: int  # distinct (previous, token) pairs counted
    detected: bool


class Watermark:
    def __init__(self, secret: bytes, vocab_size: int, *, gamma: float = GAMMA, delta: float = DELTA,
                 p_threshold: float = P_THRESHOLD):
        if not isinstance(secret, (bytes, bytearray)) or len(secret) < 16:
            raise ValueError("a watermark key is a secret of at least 16 bytes")
        if not 0 < gamma < 1 or vocab_size < 2:
            raise ValueError("gamma in (0, 1) and a vocabulary of at least 2 tokens")
        self.key = hmac.new(bytes(secret), b"studio text watermark v1", hashlib.sha256).digest()
        self.vocab_size, self.gamma, self.delta, self.p_threshold = vocab_size, gamma, delta, p_threshold
        self.n_green = max(1, int(round(gamma * vocab_size)))
        self._green = lru_cache(maxsize=8192)(self._green_uncached)

    def _green_uncached(self, prev: int) -> np.ndarray:
        seed = int.from_bytes(hashlib.blake2b(prev.to_bytes(8, "little"), key=self.key, digest_size=16).digest(), "little")
        mask = np.zeros(self.vocab_size, dtype=bool)
        mask[np.random.Generator(np.random.Philox(key=seed)).permutation(self.vocab_size)[:self.n_green]] = True
        mask.flags.writeable = False
        return mask

    def green_mask(self, prev: int) -> np.ndarray:
        """A read-only boolean mask over the vocabulary: the green tokens after ``prev``."""
        return self._green(int(prev))

    def processor(self):
        """A ``transformers`` ``LogitsProcessor`` that biases every step towards the green list."""
        from transformers import LogitsProcessor

        mark = self

        class GreenListLogitsProcessor(LogitsProcessor):
            def __call__(self, input_ids, scores):
                import torch

                masks = np.stack([mark.green_mask(t) for t in input_ids[:, -1].tolist()])
                bias = torch.from_numpy(masks[:, :scores.shape[-1]]).to(scores.device)
                return scores + mark.delta * bias.to(scores.dtype)

        return GreenListLogitsProcessor()

    def detect(self, token_ids: list[int]) -> Detection:
        """Score a token sequence; each distinct (previous, token) pair counts once."""
        pairs = {(int(a), int(b)) for a, b in zip(token_ids, token_ids[1:]) if 0 <= b < self.vocab_size}
        scored = len(pairs)
        green = sum(bool(self.green_mask(a)[b]) for a, b in pairs)
        if scored < MIN_SCORED:
            return Detection(0.0, 1.0, green, scored, False)
        from scipy.stats import binom

        z = (green - self.gamma * scored) / math.sqrt(scored * self.gamma * (1 - self.gamma))
        p = float(binom.sf(green - 1, scored, self.gamma))  # P(at least `green` green tokens by chance)
        return Detection(round(z, 4), p, green, scored, p <= self.p_threshold)

    def detect_text(self, text: str, tokenizer) -> Detection:
        # verbose=False: a long text is only counted here, never fed to a model, so no length warning
        return self.detect(tokenizer(text, add_special_tokens=False, verbose=False).input_ids)
