"""studio-tiny-text: the shipped base loads offline with plain transformers and writes copy;
the builder's tokenizer, batches and model work from config in memory."""

from __future__ import annotations

import json

import pytest

from studio.text import checker, world
from studio.text.base import TEXT_BASE, generate, load

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def shipped():
    return load(TEXT_BASE)


def test_shipped_base_loads_offline_with_auto_classes(monkeypatch):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = AutoModelForCausalLM.from_pretrained(str(TEXT_BASE))
    tokenizer = AutoTokenizer.from_pretrained(str(TEXT_BASE))
    assert type(model).__name__ == "LlamaForCausalLM"
    assert (tokenizer.bos_token, tokenizer.eos_token, tokenizer.pad_token) == ("<s>", "</s>", "<pad>")
    assert model.config.vocab_size == len(tokenizer) and model.config.eos_token_id == tokenizer.eos_token_id
    assert tokenizer("copy:").input_ids[0] == tokenizer.bos_token_id
    weights = list(TEXT_BASE.glob("*.safetensors"))
    assert weights and sum(p.stat().st_size for p in weights) < 20 * 2**20
    assert not list(TEXT_BASE.glob("*.bin")) and not list(TEXT_BASE.glob("*.pt"))
    assert json.loads((TEXT_BASE / "generation_config.json").read_text())["max_new_tokens"] > 0
    assert (TEXT_BASE / "README.md").read_text().startswith("---\nlicense:")


def test_shipped_base_writes_copy_that_follows_briefs(shipped):
    model, tokenizer = shipped
    briefs = world.briefs(20, seed=7, namespace="test-base")
    greedy = generate(model, tokenizer, briefs, do_sample=False, temperature=None, top_k=None, top_p=None)
    assert len(greedy) == 20 and all(isinstance(t, str) and t for t in greedy)
    assert checker.pass_rate(zip(briefs, greedy)) >= 0.7
    as_prompt = generate(model, tokenizer, [world.prompt(briefs[0])], do_sample=False, temperature=None, top_k=None,
                         top_p=None)
    assert world.NAME_SLOT not in as_prompt[0]  # the slot is filled from a prompt's text too
    a = generate(model, tokenizer, briefs[:4], seed=1)
    assert a == generate(model, tokenizer, briefs[:4], seed=1)  # sampling is seeded


@pytest.fixture(scope="module")
def small_tokenizer():
    from studio.text.build.pretrain import train_tokenizer

    return train_tokenizer(n_docs=1500, vocab_size=600, seed=0)


def test_training_pairs_score_the_copy_only(small_tokenizer):
    from studio.text.build.pretrain import batch, encode

    tok = small_tokenizer
    brief, copy = world.sample(3)
    ids, labels = encode(tok, brief, copy)
    n_prompt = len(tok(world.prompt(brief)).input_ids)
    assert ids[:n_prompt] == tok(world.prompt(brief)).input_ids and ids[0] == tok.bos_token_id
    assert labels[:n_prompt] == [-100] * n_prompt and labels[n_prompt:] == ids[n_prompt:]
    assert ids[-1] == tok.eos_token_id
    written = tok.decode(ids[n_prompt:-1]).strip()
    assert world.NAME_SLOT in written and brief.business not in written
    assert world.relexicalise(brief, written) == copy
    x, y = batch(tok, step=2, samples=16, block=192, seed=0)
    assert x.shape == y.shape and x.shape[1] <= 192
    assert int((y != -100).sum()) > 0 and (x, y)[0].tolist() == batch(tok, 2, 16, 192, 0)[0].tolist()


def test_a_model_built_from_config_round_trips(small_tokenizer, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from studio.text.build.pretrain import build_model

    model = build_model(small_tokenizer, hidden=32, layers=1, heads=2, intermediate=64)
    model.save_pretrained(tmp_path)
    small_tokenizer.save_pretrained(tmp_path)
    again = AutoModelForCausalLM.from_pretrained(str(tmp_path))
    tok = AutoTokenizer.from_pretrained(str(tmp_path))
    assert tok.pad_token == "<pad>" and tok.padding_side == "left"
    enc = tok(["brief: tagline", "x"], return_tensors="pt", padding=True)
    assert (again(**enc).logits - model(**enc).logits).abs().max() < 1e-5
