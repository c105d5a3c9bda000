"""The per-model green-list watermark: a watermarked generation is detected, text written
without it (or under another model's key) is not. A tiny random Llama built in memory."""

from __future__ import annotations

import numpy as np
import pytest

from studio.text import world
from studio.text.watermark import GAMMA, Watermark

pytestmark = pytest.mark.filterwarnings("ignore")
KEY = b"0123456789abcdef-model-A"


@pytest.fixture(scope="module")
def tiny():
    import torch

    from studio.text.build.pretrain import build_model, train_tokenizer

    torch.manual_seed(0)
    tokenizer = train_tokenizer(n_docs=1500, vocab_size=600, seed=0)
    model = build_model(tokenizer, hidden=32, layers=1, heads=2, intermediate=64).eval()
    return model, tokenizer


def generate_ids(model, tokenizer, mark=None, seed=0, n=100):
    import torch
    from transformers import LogitsProcessorList

    enc = tokenizer([world.prompt(world.briefs(1, seed)[0])], return_tensors="pt")
    torch.manual_seed(seed)
    procs = LogitsProcessorList([mark.processor()]) if mark else None
    out = model.generate(**enc, logits_processor=procs, do_sample=True, min_new_tokens=n, max_new_tokens=n,
                         pad_token_id=tokenizer.pad_token_id)
    return out[0, enc.input_ids.shape[1]:].tolist()


def test_green_lists_are_keyed_deterministic_and_gamma_sized():
    a, b = Watermark(KEY, 600), Watermark(KEY, 600)
    assert np.array_equal(a.green_mask(5), b.green_mask(5))
    assert a.green_mask(5).sum() == round(GAMMA * 600)
    assert not np.array_equal(a.green_mask(5), a.green_mask(6))  # the previous token reseeds the list
    assert not np.array_equal(a.green_mask(5), Watermark(b"another model's secret key", 600).green_mask(5))
    with pytest.raises(ValueError):
        Watermark(b"short", 600)


def test_watermarked_generation_is_detected_and_plain_text_is_not(tiny):
    model, tokenizer = tiny
    mark = Watermark(KEY, model.config.vocab_size)
    for seed in range(3):
        ids = generate_ids(model, tokenizer, mark, seed)
        d = mark.detect(ids)
        assert d.detected and d.z > 6 and d.p_value < 1e-6, d
        assert mark.detect_text(tokenizer.decode(ids), tokenizer).detected
        plain = mark.detect(generate_ids(model, tokenizer, None, seed))
        assert not plain.detected and plain.p_value > 1e-3, plain
        other = Watermark(b"another model's secret key", model.config.vocab_size).detect(ids)
        assert not other.detected  # the key is per model


def test_repeats_count_once_and_short_text_gets_no_verdict(tiny):
    _, tokenizer = tiny
    mark = Watermark(KEY, len(tokenizer))
    ids = tokenizer("Bloom Bakery: fun croissants!", add_special_tokens=False).input_ids
    assert mark.detect(ids * 20).scored == mark.detect(ids + ids[:1]).scored  # the loop adds one new pair at most
    short = mark.detect(ids)
    assert not short.detected and short.p_value == 1.0
