"""The per-model green-list watermark: a watermarked generation is detected, text written
without it (or under another model's key) is not, edits wear it down gradually; with the shipped
studio-tiny-text, detection reads the copy alone (names back in their slot, only real choices scored).
A tiny random Llama built in memory, and the shipped base for a few copies."""

from __future__ import annotations

import numpy as np
import pytest

from studio.text import world
from studio.text.watermark import GAMMA, Watermark, read_text

pytestmark = pytest.mark.filterwarnings("ignore")
KEY = b"0123456789abcdef-model-A"
OTHER = b"another model's secret key"
HUMAN = ("Can you tell me how long it takes to get a new passport? I lost my card yesterday and need to block it. "
         "What is the weather going to be like in Boston this weekend? Please add milk and eggs to my shopping list. "
         "How many calories are in a slice of cheesecake? Remind me to call my sister at six tonight. "
         "I would like to book a table for four at an Italian place near the station.")


@pytest.fixture(scope="module")
def tiny():
    import torch

    from studio.text.build.pretrain import build_model, train_tokenizer

    torch.manual_seed(0)
    tokenizer = train_tokenizer(n_docs=1500, vocab_size=600, seed=0)
    model = build_model(tokenizer, hidden=32, layers=1, heads=2, intermediate=64).eval()
    return model, tokenizer


@pytest.fixture(scope="module")
def shipped():
    from studio.text.base import load

    return load()


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
    assert not np.array_equal(a.green_mask(5), Watermark(OTHER, 600).green_mask(5))
    with pytest.raises(ValueError):
        Watermark(b"short", 600)


def test_the_bias_is_added_only_where_the_model_has_a_choice():
    import torch

    mark = Watermark(KEY, 600)
    sure = torch.full((1, 600), -10.0)
    sure[0, 7] = 10.0  # one token the model is sure of: left as it is
    open_choice = torch.zeros((1, 600))  # every token alike: the green ones get the bias
    ids = torch.tensor([[3, 5]])
    assert torch.equal(mark.processor()(ids, sure.clone()), sure)
    biased = mark.processor()(ids, open_choice.clone()) - open_choice
    assert torch.equal(biased[0] > 0, torch.from_numpy(mark.green_mask(5)))
    assert float(biased.max()) == mark.delta


def test_watermarked_generation_is_detected_and_plain_text_is_not(tiny):
    model, tokenizer = tiny
    mark = Watermark(KEY, model.config.vocab_size)
    other = Watermark(OTHER, model.config.vocab_size)
    for seed in range(3):
        ids = generate_ids(model, tokenizer, mark, seed)
        d = mark.detect(ids)
        assert d.detected and d.z > 6 and d.p_value < 1e-6, d
        with_model = mark.detect(ids, model=model, tokenizer=tokenizer)
        assert with_model.detected and with_model.entropy_aware, with_model
        assert mark.detect_text(tokenizer.decode(ids), tokenizer).detected
        assert mark.detect_text(tokenizer.decode(ids), tokenizer, model=model).detected
        plain = mark.detect(generate_ids(model, tokenizer, None, seed), model=model, tokenizer=tokenizer)
        assert not plain.detected and plain.p_value > 1e-3, plain
        assert not other.detect(ids).detected  # the key is per model
    with pytest.raises(ValueError):
        mark.detect(ids, model=model)  # reading with a model needs its tokenizer


def test_edits_wear_the_watermark_down_gradually(tiny):
    model, tokenizer = tiny
    mark = Watermark(KEY, model.config.vocab_size)
    ids = generate_ids(model, tokenizer, mark, seed=4)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(ids))
    zs = []
    for share in (0.0, 0.1, 0.3, 0.6, 1.0):  # replace this share of the tokens with random ones
        edited = list(ids)
        for i in order[:int(share * len(ids))]:
            edited[i] = int(rng.integers(3, model.config.vocab_size))
        d = mark.detect(edited)
        zs.append(d.z)
        if share <= 0.3 or share == 1.0:
            assert d.detected == (share <= 0.3), (share, d)  # a light edit keeps it, a rewrite removes it
    assert zs == sorted(zs, reverse=True)


def test_repeats_count_once_and_short_text_gets_no_verdict(tiny):
    _, tokenizer = tiny
    mark = Watermark(KEY, len(tokenizer))
    ids = tokenizer("Bloom Bakery: fun croissants!", add_special_tokens=False).input_ids
    assert mark.detect(ids * 20).scored == mark.detect(ids + ids[:1]).scored  # the loop adds one new pair at most
    short = mark.detect(ids[:6])  # five pairs: too few for a verdict
    assert not short.detected and short.p_value == 1.0 and short.scored == 5


def _copies(shipped, mark, n=8, seed=3):
    from transformers import LogitsProcessorList

    from studio.text.base import generate

    model, tokenizer = shipped
    briefs = world.briefs(n, seed, namespace="test-watermark")
    procs = LogitsProcessorList([mark.processor()]) if mark else None
    return briefs, generate(model, tokenizer, briefs, seed=seed, logits_processor=procs)


def test_the_shipped_model_s_copy_is_detected_from_the_text_alone(shipped):
    model, tokenizer = shipped
    mark = Watermark(KEY, model.config.vocab_size)
    _, copies = _copies(shipped, mark)
    text = "\n\n".join(copies)  # about 150 tokens of copy, names filled in; no brief
    reading = read_text(text, tokenizer, model=model)
    d = mark.score(reading)
    assert d.detected and d.entropy_aware and d.scored < d.tokens / 2, d  # only real choices are scored
    assert mark.detect_text(text, tokenizer, model=model) == d
    assert d.p_value < mark.detect_text(text, tokenizer).p_value  # reading with the model finds more
    assert not Watermark(OTHER, model.config.vocab_size).score(reading).detected  # one reading, any key
    _, plain = _copies(shipped, None)
    assert not mark.detect_text("\n\n".join(plain), tokenizer, model=model).detected
    human = mark.detect_text(HUMAN, tokenizer, model=model)
    assert not human.detected and human.p_value > 0.01, human


def test_names_are_put_back_into_their_slot(shipped):
    model, tokenizer = shipped
    briefs, copies = _copies(shipped, Watermark(KEY, model.config.vocab_size))
    restored = 0
    for brief, copy in zip(briefs, copies):
        assert brief.business in copy and world.NAME_SLOT not in copy
        read = [b for _, b, _ in read_text(copy, tokenizer, model=model).items]
        written = tokenizer(" " + world.delexicalise(brief, copy), add_special_tokens=False).input_ids
        restored += read == written  # the tokens the model wrote, slot and all
    assert restored >= len(briefs) - 2  # a name now and then is put back a token off
