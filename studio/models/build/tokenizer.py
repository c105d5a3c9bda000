"""A byte-level BPE tokenizer in CLIP's file format, trained on the caption vocabulary.

We write ``vocab.json`` + ``merges.txt`` ourselves (the format of
openai/clip-vit-* tokenizers) and load them back with
``CLIPTokenizer.from_pretrained(folder, model_max_length=77)``. Constructing a
``CLIPTokenizer(vocab_file=..., merges_file=...)`` directly is avoided on
purpose: in transformers 5 it can silently ignore the files.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

BOS = "<|startoftext|>"
EOS = "<|endoftext|>"


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP's reversible byte -> printable unicode character table."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def train_bpe(word_counts: dict[str, int]) -> list[tuple[str, str]]:
    """Learn merges (most frequent adjacent pair first, ties broken alphabetically)
    until every word of ``word_counts`` is a single token."""
    b2u = bytes_to_unicode()
    words = {}
    for w, c in word_counts.items():
        syms = [b2u[b] for b in w.encode("utf-8")]
        syms[-1] = syms[-1] + "</w>"
        words[w] = (syms, c)
    merges: list[tuple[str, str]] = []
    while True:
        pairs: Counter = Counter()
        for syms, c in words.values():
            for a, b in zip(syms, syms[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], tuple(-ord(ch) for ch in kv[0][0] + " " + kv[0][1])))[0]
        merges.append(best)
        for w, (syms, c) in words.items():
            out, i = [], 0
            while i < len(syms):
                if i + 1 < len(syms) and (syms[i], syms[i + 1]) == best:
                    out.append(syms[i] + syms[i + 1])
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            words[w] = (out, c)
    return merges


def build_vocab(merges: list[tuple[str, str]]) -> dict[str, int]:
    """CLIP's vocab layout: 256 byte symbols, the same with ``</w>``, the merges, then BOS/EOS."""
    base = list(bytes_to_unicode().values())
    tokens = base + [t + "</w>" for t in base] + ["".join(m) for m in merges] + [BOS, EOS]
    vocab: dict[str, int] = {}
    for t in tokens:
        if t not in vocab:
            vocab[t] = len(vocab)
    return vocab


def save_tokenizer(folder: str | Path, word_counts: dict[str, int], model_max_length: int = 77) -> Path:
    """Train on ``word_counts`` and write a CLIPTokenizer-loadable folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    merges = train_bpe(word_counts)
    vocab = build_vocab(merges)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, indent=0), encoding="utf-8")
    with open(folder / "merges.txt", "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    config = {
        "tokenizer_class": "CLIPTokenizer",
        "model_max_length": model_max_length,
        "bos_token": BOS,
        "eos_token": EOS,
        "unk_token": EOS,
        "pad_token": EOS,
        "do_lower_case": True,
        "clean_up_tokenization_spaces": False,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    (folder / "special_tokens_map.json").write_text(json.dumps(
        {"bos_token": BOS, "eos_token": EOS, "unk_token": EOS, "pad_token": EOS}, indent=2), encoding="utf-8")
    return folder


def load_tokenizer(folder: str | Path, model_max_length: int = 77):
    from transformers import CLIPTokenizer

    return CLIPTokenizer.from_pretrained(str(folder), model_max_length=model_max_length)
