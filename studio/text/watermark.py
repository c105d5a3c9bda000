"""A statistical watermark for generated text, keyed per model (a green-list bias, Kirchenbauer et al. 2023),
added and detected only where the model had a real choice (entropy-aware, SWEET: Lee et al. 2023).

    mark = Watermark(secret, vocab_size=model.config.vocab_size)
    model.generate(..., logits_processor=LogitsProcessorList([mark.processor()]))
    mark.detect_text(text, tokenizer, model=model)   # Detection(z, p_value, green, scored, detected, ...)
    reading = read_text(text, tokenizer, model=model)  # or read once (no key needed) ...
    mark.score(reading)                                # ... and score under each model's key

Generation: at each step the previous token and the model's key choose a "green" share ``gamma``
of the vocabulary, and where the model has a choice (its entropy is at least
``bias_min_entropy``) ``delta`` is added to the green logits (before the temperature), so it
mostly takes a green token. Where it has none (a template word, the audience the brief names, the
end of a rhyme) the text is left as the model writes it, so the copy still follows its brief.

Detection reads only the text (a buyer's file has no brief) and returns the one-sided p-value of
the green count (exact binomial tail) among the tokens it scores; a text is flagged when
``p <= P_THRESHOLD``. What it scores:

1. Paragraphs (split at blank lines) are read as the model writes copy: after the studio's prompt
   (``... copy:``) and one space, so a paragraph's tokens, its first one included, are keyed by
   the previous tokens they had when generated.
2. With the ``model`` (optional; the studio has it when it identifies a file) the business name is
   put back into its slot: the model writes ``[business]`` and generation fills in the name from
   the brief, so the name's tokens were never generated, the token after it followed ``]`` (or
   ``]:``, ``],`` ...) and the model, reading a name it never writes, is lost for the rest of the
   copy. Where the model expects the slot (probability at least ``SLOT_P``) and the text has a
   token it would not write (probability at most ``SLOT_TOKEN_P``), the slot replaces 1 to
   ``SLOT_MAX_TOKENS`` tokens or none, whichever best explains the next tokens (a name's tokens
   cost ``NAME_TOKEN_P`` each), and what follows is tokenized again after it.
3. With the model, only tokens where it had a real choice count: its entropy before the token,
   averaged over a fixed set of generic briefs (:func:`detection_prompts`, one per kind; the
   real brief is unknown, and with a wrong brief the model still sees the audience or the
   product as decided, only by another brief), must be at least ``min_entropy``. Near-certain
   tokens come out green at the rate ``gamma`` whether watermarked or not; leaving them out is
   what lets a short, low-entropy copy show its watermark. Without the model every token counts,
   names included (much weaker: see the model card).

Why the false-positive rate holds: every step above (paragraphs, tokens, restored slots,
entropies, the choice of scored tokens) is a function of the text and the model only, never of
the key. For text not written under this key each scored token is green with probability
``gamma`` whichever tokens were chosen, so the binomial p-value stays exact (conservative:
counts are whole numbers, and distinct tokens after the same previous token are drawn from one
green list without replacement) and ``P_THRESHOLD`` bounds the false-positive rate.

Repeated (previous token, token) pairs are counted once: a text that repeats itself (a jingle's
chorus, a list of hashtags) would otherwise count the same coin flip many times.

The key is a per-model secret (bytes); it is stretched with HMAC-SHA256 so the green lists
depend on all of it. A green list is a NumPy ``Philox`` permutation seeded from the key and the
previous token: counter-based, so the same key gives the same lists on every platform.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

GAMMA = 0.2  # share of the vocabulary that is green at each step
DELTA = 3.0  # logit bias added to green tokens (before the temperature)
BIAS_MIN_ENTROPY = 1.5  # nats: the bias is added only at steps where the model's entropy is at least this
# flagged when the one-sided p-value is at most this: the false-positive rate it allows, half the 1% the studio
# accepts on human text (at 1e-3, 100-token copies were missed 2-6% of the time for want of evidence, not of bias)
P_THRESHOLD = 5e-3
MIN_SCORED = 8  # fewer distinct scored pairs than this: no verdict
MIN_ENTROPY = 1.25  # nats: with the model, only tokens where its entropy (generic briefs) is at least this count
SLOT_P = 0.1  # the model expects the name slot where its first token has at least this probability
SLOT_TOKEN_P = 1e-3  # ... and the text's own token there at most this: a name the model would not have written
SLOT_MAX_TOKENS = 4  # a filled-in name is put back over at most this many tokens
NAME_TOKEN_P = 1e-3  # what a token of a filled-in name costs when deciding where a name ends
BATCH_ROWS = 64  # rows per forward pass when reading with the model
PARAGRAPH_RE = re.compile(r"\n[ \t]*\n")


@lru_cache(maxsize=1)
def detection_prompts() -> tuple[str, ...]:
    """The generic briefs detection reads a text after: one fixed brief of each kind (the real one is unknown)."""
    from studio.text import world

    pool = world.briefs(200, 0, namespace="watermark-detection")
    return tuple(world.prompt(next(b for b in pool if b.kind == kind)) for kind in world.KINDS)


@dataclass(frozen=True)
class Detection:
    z: float
    p_value: float
    green: int
    scored: int  # distinct (previous, token) pairs counted
    detected: bool
    tokens: int = 0  # tokens read (after the name slots were put back)
    entropy_aware: bool = False  # scored only where the model had a choice (detection with the model)


class Watermark:
    def __init__(self, secret: bytes, vocab_size: int, *, gamma: float = GAMMA, delta: float = DELTA,
                 p_threshold: float = P_THRESHOLD, min_entropy: float = MIN_ENTROPY,
                 bias_min_entropy: float = BIAS_MIN_ENTROPY):
        if not isinstance(secret, (bytes, bytearray)) or len(secret) < 16:
            raise ValueError("a watermark key is a secret of at least 16 bytes")
        if not 0 < gamma < 1 or vocab_size < 2:
            raise ValueError("gamma in (0, 1) and a vocabulary of at least 2 tokens")
        self.key = hmac.new(bytes(secret), b"studio text watermark v1", hashlib.sha256).digest()
        self.vocab_size, self.gamma, self.delta, self.p_threshold = vocab_size, gamma, delta, p_threshold
        self.min_entropy, self.bias_min_entropy = min_entropy, bias_min_entropy
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
        """A ``transformers`` ``LogitsProcessor`` that biases towards the green list every step where
        the model has a choice: its entropy (of the logits it is given, before the temperature) is
        at least ``bias_min_entropy``. Elsewhere the text is left as the model writes it."""
        from transformers import LogitsProcessor

        mark = self

        class GreenListLogitsProcessor(LogitsProcessor):
            def __call__(self, input_ids, scores):
                import torch

                masks = np.stack([mark.green_mask(t) for t in input_ids[:, -1].tolist()])
                bias = torch.from_numpy(masks[:, :scores.shape[-1]]).to(scores.device).to(scores.dtype)
                if mark.bias_min_entropy > 0:
                    logp = torch.log_softmax(scores.float(), -1)
                    entropy = -(logp.exp() * logp.nan_to_num()).sum(-1, keepdim=True)  # -inf logits: 0 * -inf
                    bias = bias * (entropy >= mark.bias_min_entropy).to(scores.dtype)
                return scores + mark.delta * bias

        return GreenListLogitsProcessor()

    # --- detection ------------------------------------------------------------------------------

    def detect(self, token_ids: list[int], *, model=None, tokenizer=None) -> Detection:
        """Score a token sequence (its first token has no previous one, so it is not scored).
        With ``model`` (and its ``tokenizer``): entropy-aware, name slots put back (see the module)."""
        return self.score(read_ids(token_ids, model=model, tokenizer=tokenizer))

    def detect_text(self, text: str, tokenizer, *, model=None) -> Detection:
        """Score a text as the model would have written it, each paragraph continuing the studio's
        prompt. With ``model`` (recommended): entropy-aware, name slots put back (see the module)."""
        return self.score(read_text(text, tokenizer, model=model))

    def score(self, reading: Reading) -> Detection:
        """The verdict on a text read once by :func:`read_text` (reading needs no key, so one reading
        can be scored under many models' keys; testing many keys, divide the threshold by their number)."""
        pairs = {(a, b) for a, b, h in reading.items
                 if 0 <= b < self.vocab_size and (h is None or h >= self.min_entropy)}
        scored = len(pairs)
        green = sum(bool(self.green_mask(a)[b]) for a, b in pairs)
        aware = reading.entropy_aware
        if scored < MIN_SCORED:
            return Detection(0.0, 1.0, green, scored, False, reading.tokens, aware)
        from scipy.stats import binom

        z = (green - self.gamma * scored) / math.sqrt(scored * self.gamma * (1 - self.gamma))
        p = float(binom.sf(green - 1, scored, self.gamma))  # P(at least `green` green tokens by chance)
        return Detection(round(z, 4), p, green, scored, p <= self.p_threshold, reading.tokens, aware)


@dataclass(frozen=True)
class Reading:
    """A text as detection reads it, before any key: (previous token, token, the model's entropy
    there or None without a model) for every token with a previous one, and the tokens read."""
    items: tuple[tuple[int, int, float | None], ...]
    tokens: int
    entropy_aware: bool


def read_text(text: str, tokenizer, *, model=None) -> Reading:
    """Read a text as the model writes copy: each paragraph continuing the studio's prompt after one
    space (its first token keyed by the prompt's last). With ``model``: name slots put back, entropies."""
    # verbose=False: a long text is only counted here, so no length warning
    conts = [tokenizer(" " + p, add_special_tokens=False, verbose=False).input_ids for p in paragraphs(text)]
    return _read(conts, _prompt_end(tokenizer), model, tokenizer)


def read_ids(token_ids: list[int], *, model=None, tokenizer=None) -> Reading:
    """Read a token sequence (its first token not scored); with ``model`` its ``tokenizer`` is needed too."""
    if model is not None and tokenizer is None:
        raise ValueError("reading with a model needs its tokenizer (for the generic briefs)")
    return _read([[int(t) for t in token_ids]], None, model, tokenizer)


def _read(conts: list[list[int]], lead: int | None, model, tokenizer) -> Reading:
    if model is None:
        items = [(a, b, None) for c in conts for a, b in zip([lead] + c[:-1], c) if a is not None]
        return Reading(tuple(items), sum(map(len, conts)), False)
    items, n = _Reader(model, tokenizer).items(conts, lead)
    return Reading(tuple((int(a), int(b), float(h)) for a, b, h in items), n, True)


def paragraphs(text: str) -> list[str]:
    """The text's paragraphs (split at blank lines), stripped; a copy is one paragraph."""
    return [p.strip() for p in PARAGRAPH_RE.split(text) if p.strip()]


def _prompt_end(tokenizer) -> int:
    """The last token of the studio's prompts (``copy:``): the token before a copy's first token."""
    ends = {tokenizer(p, add_special_tokens=False).input_ids[-1] for p in detection_prompts()}
    if len(ends) != 1:
        raise ValueError("the generic briefs do not end with one token")
    return ends.pop()


class _Reader:
    """Reads continuations with the model after each generic brief: the model's entropy before every
    token (averaged over the briefs), with the name slots put back first."""

    def __init__(self, model, tokenizer):
        from studio.text.world import NAME_SLOT

        self.model, self.tokenizer = model, tokenizer
        self.prompts = [tokenizer(p).input_ids for p in detection_prompts()]
        self.slot_text = " " + NAME_SLOT
        self.slot = tokenizer(self.slot_text, add_special_tokens=False).input_ids
        self.head = self.slot[:-1]  # the slot's tokens but its last, which may merge with what follows ("]:")
        self.pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.eos = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else self.pad
        positions = getattr(model.config, "max_position_embeddings", None) or 2048
        self.window = max(16, positions - max(map(len, self.prompts)) - 32)  # room for a few slots put back

    def items(self, conts: list[list[int]], lead: int | None) -> tuple[list[tuple[int, int, float]], int]:
        """(previous, token, entropy) for every token but a leading one without a previous token; and
        the number of tokens read. ``lead``: the token before each continuation (None: not scored)."""
        chunks, leads = [], []
        for c in conts:  # continuations longer than the model's window are read in windows
            for s in range(0, len(c), self.window):
                chunks.append(list(c[s:s + self.window]))
                leads.append(lead if s == 0 else c[s - 1])
        entropies = self._restore_and_read(chunks)
        items = []
        for c, first, h in zip(chunks, leads, entropies):
            prev = [first] + c[:-1]
            items += [(a, b, e) for a, b, e in zip(prev, c, h) if a is not None]
        return items, sum(map(len, chunks))

    def _with_slot(self, c: list[int], j: int, n: int) -> list[int]:
        """``c`` with its tokens ``j .. j+n-1`` (a name) replaced by the slot, the rest tokenized again
        after it as the model writes it (the slot's ``]`` merges with punctuation: ``]:``)."""
        rest = self.tokenizer.decode(c[j + n:], clean_up_tokenization_spaces=False)
        again = self.tokenizer(self.slot_text + rest, add_special_tokens=False, verbose=False).input_ids
        return c[:j] + (again if again[:len(self.head)] == self.head else self.slot + c[j + n:])

    def _restore_and_read(self, chunks: list[list[int]]) -> list[list[float]]:
        """Puts the name slots back into ``chunks`` (in place); the entropy before each token."""
        start = [0] * len(chunks)
        entropies: list[list[float] | None] = [[] if not c else None for c in chunks]
        todo = [i for i, c in enumerate(chunks) if c]
        while todo:
            fixes = []
            for i, (h, p_slot, p_tok) in zip(todo, self._stats([chunks[i] for i in todo])):
                c = chunks[i]
                at = next((j for j in range(start[i], len(c)) if c[j] != self.slot[0] and p_slot[j] >= SLOT_P
                           and p_tok[j] <= SLOT_TOKEN_P), None)
                if at is None:
                    entropies[i] = h.tolist()
                else:
                    fixes.append((i, at))
            # Put a slot back over n = 1..SLOT_MAX_TOKENS tokens, or not at all (n = 0): the hypothesis that
            # best explains the next SLOT_MAX_TOKENS + 1 tokens wins; a name's tokens cost NAME_TOKEN_P each
            # (they come from the brief, not from the model), every other token what the model gives it.
            span = SLOT_MAX_TOKENS + 1
            hyps = []
            for i, j in fixes:
                c = chunks[i]
                end = [self.eos] if len(c) <= j + span else []  # the paragraph ends within the span
                hyps.append((i, j, c, 0.0, c[:j + span] + end, len(c[j:j + span]) + len(end)))
                for n in range(1, min(SLOT_MAX_TOKENS, len(c) - j) + 1):
                    seq = self._with_slot(c[:j + span], j, n) + end  # the same text, the slot over n tokens
                    hyps.append((i, j, self._with_slot(c, j, n), n * math.log(NAME_TOKEN_P), seq, len(seq) - j))
            fits = self._tail_logprob([h[4] for h in hyps], [h[5] for h in hyps])
            best: dict[int, tuple[float, list[int], int]] = {}
            for (i, j, o, cost, _, _), fit in zip(hyps, fits):
                if i not in best or cost + fit > best[i][0]:
                    best[i] = (cost + fit, o, j)
            for i, (_, o, j) in best.items():
                chunks[i], start[i] = o, j + (len(self.head) if o is not chunks[i] else 1)
            todo = [i for i, _ in fixes]
        return entropies

    def _stats(self, conts: list[list[int]]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """For each continuation, at each position j: the entropy of the model's distribution for
        token j, the probability it gives the slot's first token and the probability of token j;
        each the mean over the generic briefs."""
        import torch

        per = [np.zeros((len(self.prompts), 3, len(c))) for c in conts]
        seen = [0] * len(conts)
        for ci, logits in self._logits(conts, keep=None):
            c = conts[ci]  # the logits end at the continuation's end
            lp = torch.log_softmax(logits[-len(c) - 1:-1], -1)  # predicts c[0] .. c[-1]
            probs = lp.exp()
            per[ci][seen[ci]] = np.stack([(-(probs * lp).sum(-1)).numpy(), probs[:, self.slot[0]].numpy(),
                                          probs.gather(1, torch.tensor(c)[:, None])[:, 0].numpy()])
            seen[ci] += 1
        return [tuple(x.mean(0)) for x in per]

    def _tail_logprob(self, seqs: list[list[int]], tails: list[int]) -> list[float]:
        """The log-probability of the last ``tails[i]`` tokens of each sequence given the ones before
        (token by token, the mean probability over the generic briefs)."""
        import torch

        if not seqs:
            return []
        sums = [np.zeros(n) for n in tails]
        for ci, logits in self._logits(seqs, keep=max(tails) + 1):
            n = tails[ci]
            probs = torch.softmax(logits[-n - 1:-1], -1)
            sums[ci] += probs.gather(1, torch.tensor(seqs[ci][-n:])[:, None])[:, 0].numpy()
        return [float(np.log(np.maximum(x / len(self.prompts), 1e-30)).sum()) for x in sums]

    def _logits(self, conts: list[list[int]], keep: int | None):
        """(continuation index, float logits on the CPU) for every generic brief followed by each
        continuation, in batches; rows are left-padded so every sequence ends at the right edge.
        ``keep``: only the last positions' logits (None: as many as the continuations have, plus one)."""
        import torch

        rows = [(ci, p + list(c)) for ci, c in enumerate(conts) for p in self.prompts]
        device = getattr(self.model, "device", None)
        for b in range(0, len(rows), BATCH_ROWS):
            part = rows[b:b + BATCH_ROWS]
            width = max(len(r) for _, r in part)
            ids = torch.full((len(part), width), self.pad, dtype=torch.long)
            mask = torch.zeros((len(part), width), dtype=torch.long)
            for r, (_, seq) in enumerate(part):
                ids[r, width - len(seq):] = torch.tensor(seq)
                mask[r, width - len(seq):] = 1
            last = keep or max(len(conts[ci]) for ci, _ in part) + 1
            with torch.no_grad():
                logits = self.model(input_ids=ids.to(device), attention_mask=mask.to(device),
                                    position_ids=((mask.cumsum(1) - 1).clamp(min=0)).to(device), logits_to_keep=last).logits
            logits = logits.float().cpu()
            for r, (ci, _) in enumerate(part):
                yield ci, logits[r]
