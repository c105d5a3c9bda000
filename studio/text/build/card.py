"""Measure the studio-tiny-text base and write its model card (README.md with Hugging Face YAML metadata).

    python -m studio.text.build.card [--folder studio/models/studio-tiny-text] [--n 300] [--no-measure]

Stores the figures in ``studio.json`` under ``"measured"`` and (re)writes ``README.md`` from them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from studio.text.base import TEXT_BASE
from studio.text.lexicon import AUDIENCES, BUSINESS_TYPES, TONES


def measure(folder: Path, n: int = 300) -> dict:
    import torch
    from transformers import LogitsProcessorList

    from studio.text import checker, world
    from studio.text.base import load
    from studio.text.build.measure import TEST_KEY, brief_following, latency, watermark_figures
    from studio.text.watermark import Watermark

    model, tokenizer = load(folder)
    pairs = [world.sample(i, namespace="card") for i in range(n)]
    own = checker.pass_rate(pairs)
    mismatched = checker.pass_rate([(b, pairs[(i + 1) % n][1]) for i, (b, _) in enumerate(pairs)])
    greedy = brief_following(model, tokenizer, n=n, seed=0, do_sample=False, temperature=None, top_k=None, top_p=None)
    sampled = brief_following(model, tokenizer, n=n, seed=0)
    procs = LogitsProcessorList([Watermark(TEST_KEY, model.config.vocab_size).processor()])
    marked = brief_following(model, tokenizer, n=n, seed=0, logits_processor=procs)
    size = sum(p.stat().st_size for p in folder.glob("*.safetensors"))
    return dict(checker_world_copy=own, checker_mismatched_copy=mismatched, default_decoding=sampled,
                default_decoding_watermarked=marked, greedy=greedy, watermark=watermark_figures(model, tokenizer),
                latency_4_copies_s=latency(model, tokenizer), params=sum(p.numel() for p in model.parameters()),
                weights_mb=round(size / 2**20, 2), threads=torch.get_num_threads())


def write_card(folder: Path) -> Path:
    meta = json.loads((folder / "studio.json").read_text())
    cfg = json.loads((folder / "config.json").read_text())
    gen = json.loads((folder / "generation_config.json").read_text())
    m = meta.get("measured", {})
    wm = m.get("watermark", {})
    lat = m.get("latency_4_copies_s", {})

    def pct(x):
        return f"{x:.1%}" if isinstance(x, (int, float)) else "n/a"

    def run(name):
        r = m.get(name, {})
        kinds = ", ".join(f"{k} {pct(v)}" for k, v in r.get("by_kind", {}).items())
        return f"{pct(r.get('pass_rate'))} ({kinds})"

    def det(name):
        r = wm.get(name, {})
        return f"{pct(r.get('detected'))} of {r.get('n', 'n/a')} (median z {r.get('median_z', 'n/a')})"

    over = wm.get("over_keys", {})
    keys = next(iter(over.values()), {})
    keys_line = "; ".join(f"{pct(r['mean'])} (at most {pct(r['max'])} for one key) on {label}"
                          for name, label in (("human_clinc150", "human text"), ("world_copy", "world copy"),
                                              ("unwatermarked_model", "unwatermarked outputs"))
                          if (r := over.get(name))) or "n/a"

    shortfall = ("" if wm.get("watermarked", {}).get("detected", 0) >= 0.95 else """ The target of 95% on 100 tokens is **not met**
with these settings.""")
    p1 = meta.get("phase1_steps", meta["steps"])
    phase2 = "" if not meta.get("styled_steps") else f"""- Phase 2: {meta['styled_steps']} more steps with a fresh AdamW, lr {meta['styled_lr']}, {meta['styled_warmup']} warm-up
  steps, cosine to 10%, on a mix: {meta['styled']:.0%} of the samples restyled at random in generic surface styles
  (`studio.text.surface`: case, sentence ends, dashes, emoji from a broad set, generic openers and
  closers, abbreviations, hashtag case, rhythm; each still passes the checker) after a prompt with a
  `style:` hint line; the plain prompt is always followed by the world's own copy. So the base writes
  the house style by default, yet has seen many ways of writing, and a creator's LoRA only has to
  select one.
"""
    # with a phase 2 the tokenizer is trained on the same mix, so capitals and emoji have pieces of their own
    tok_mix = f", {meta['styled']:.0%} of them restyled as in phase 2" if meta.get("styled_steps") else ""
    styled_args = (f" --styled-steps {meta['styled_steps']} --styled {meta['styled']} --styled-lr {meta['styled_lr']}"
                   if meta.get("styled_steps") else "")
    reproduce = f"--seed {meta['seed']} --steps {p1}{styled_args} --vocab {meta.get('vocab')} --threads {meta['threads']}"
    decoding = (f"sampling, temperature {gen.get('temperature')}" if gen.get("do_sample") else "greedy")
    card = f"""---
license: apache-2.0
library_name: transformers
pipeline_tag: text-generation
tags:
- text-generation
- llama
- tiny
- cpu
- synthetic-data
inference: false
---

# studio-tiny-text

The embedded text base of **studio**: a small causal language model in the Llama layout
(`LlamaForCausalLM`) with its own byte-level BPE tokenizer, pretrained from scratch on a CPU by
`python -m studio.text.build` on a procedural copywriting world (`studio.text.world`). It is a
stand-in so that text creation models, previews, watermarks and the marketplace run offline in
tests and demos; it knows nothing but that world.

## What it writes

Given a brief, it writes the copy:

    brief: tagline | business: Bloom Bakery (bakery) | audience: busy parents | tone: playful
    copy: [business]: fun croissants!

It writes the business's name as the slot `[business]`, which `studio.text.base.generate` fills in
from the brief ("Bloom Bakery: fun croissants!"); with plain transformers, replace it yourself.
(The model learned every other rule of the world quickly, but copying an arbitrary name word from
the brief had not emerged after 2,000 CPU steps; slot filling makes the name exact.)

kinds: tagline, headline, blurb (2-3 sentences), social post (with 1-3 hashtags), jingle (a rhyming
couplet); {len(BUSINESS_TYPES)} business types, {len(AUDIENCES)} audiences, {len(TONES)} tones (playful, luxurious, urgent, calm,
witty, bold, warm, professional). The copy ends with `</s>`.

## Use

```python
from transformers import AutoModelForCausalLM, AutoTokenizer
model = AutoModelForCausalLM.from_pretrained(path)        # offline, safetensors
tokenizer = AutoTokenizer.from_pretrained(path)           # PreTrainedTokenizerFast, left padding
enc = tokenizer([prompt], return_tensors="pt")
copy = tokenizer.decode(model.generate(**enc)[0, enc.input_ids.shape[1]:], skip_special_tokens=True)
```

or `studio.text.base.load()` and `generate()` (which fills the name slot). Default decoding (`generation_config.json`): {decoding},
at most {gen.get('max_new_tokens')} new tokens.

## Architecture

`LlamaForCausalLM`: {cfg['num_hidden_layers']} layers, hidden size {cfg['hidden_size']}, {cfg['num_attention_heads']} heads,
MLP {cfg['intermediate_size']}, RoPE, tied input/output embeddings, {cfg['max_position_embeddings']} positions,
vocabulary {cfg['vocab_size']} (byte-level BPE trained with `tokenizers` on {meta.get('tokenizer_docs')} world documents{tok_mix};
`<s>` {cfg.get('bos_token_id')}, `</s>` {cfg.get('eos_token_id')}, `<pad>` {cfg.get('pad_token_id')}).
{m.get('params', meta.get('params', 0)) / 1e6:.2f}M parameters, {m.get('weights_mb', 'n/a')} MB of safetensors (float32).

## Training

- Data: fresh (brief, copy) pairs from `studio.text.world` every step (stream `train{meta['seed']}`), the
  name in the copy replaced by its slot, {meta['samples']} per step packed into rows of {meta['block']} tokens;
  loss on the copy and `</s>` only.
- Phase 1: {p1} steps ({p1 * meta['samples']} pairs) of the world's own copy, AdamW lr {meta['lr']} (betas 0.9/0.95,
  weight decay 0.1), {meta['warmup']} warm-up steps, cosine to 10%, gradient clipping at 1.
{phase2}- Seed {meta['seed']}. Reproduce with
  `python -m studio.text.build {reproduce}`
  then `python -m studio.text.build.settings` (default decoding) and `python -m studio.text.build.card`.
- Training time on a shared 2-core CPU at nice 10, {meta['threads']} thread: {meta.get('train_seconds', 0) / 60:.1f} min
  (final loss {meta.get('final_loss')}{', on the phase-2 mix' if meta.get('styled_steps') else ''}).

## Measured quality

Judged by the world's checker (`studio.text.checker`: the business is named, the form fits the
kind, a jingle rhymes, a post has hashtags, the tone's markers are there). The checker passes
{pct(m.get('checker_world_copy'))} of the world's own copy and {pct(m.get('checker_mismatched_copy'))} of copy written for another brief.

On {m.get('default_decoding', {}).get('n', 'n/a')} held-out briefs (seed 0 of the `briefs` stream, never drawn in training):

| decoding | passes the checker |
|---|---|
| default ({decoding}) | {run('default_decoding')} |
| default, watermarked | {run('default_decoding_watermarked')} |
| greedy | {run('greedy')} |

Watermark (`studio.text.watermark`): a keyed green list (gamma {wm.get('gamma')}) whose logits get
+{wm.get('delta')} (before the temperature) at the steps where the model has a choice (entropy at least
{wm.get('bias_min_entropy')} nats); elsewhere the copy is left as the model writes it. Detection reads only the text, with
the model (entropy-aware, after SWEET): it puts the business names back into their slot, scores only
tokens where the model, after generic briefs of each kind, has an entropy of at least {wm.get('min_entropy')} nats (the
real brief is unknown), counts repeated token pairs once and flags a text at one-sided binomial
p <= {wm.get('p_threshold')}. None of this depends on the key, so the p-value stays exact for text not
written under it. On texts of {wm.get('output_tokens')} tokens:

| text | flagged as watermarked |
|---|---|
| this model's outputs, watermarked | {det('watermarked')} |
| the same, read without the model (every token scored) | {det('watermarked_without_model')} |
| the same, under another model's key | {det('wrong_key')} |
| this model's outputs, not watermarked | {det('unwatermarked_model')} |
| the world's own copy (written without a model) | {det('world_copy')} |
| human text (CLINC150 queries) | {det('human_clinc150')} |

Under {keys.get('keys', 'n/a')} further keys the false-positive rate averages {keys_line}. Detection by length
(this model's outputs, watermarked): 50 tokens {det('watermarked_50_tokens')}, 200 tokens
{det('watermarked_200_tokens')}, 400 tokens {det('watermarked_400_tokens')}.{shortfall} Reading a 100-token
text with the model takes {wm.get('detect_seconds_median', 'n/a')} s (median).

Four copies in one batch (a preview set), watermarked, default decoding: median {lat.get('median', 'n/a')} s,
best {lat.get('best', 'n/a')} s over {lat.get('repeats', 'n/a')} runs ({lat.get('threads', 'n/a')} torch thread, shared machine).

Re-measure with `python bench/bench_text.py`.

## Limitations

A toy: it writes the world's five kinds of copy for the world's businesses, audiences and tones,
and little else; free-form prompts give world-shaped text. It is not a safety-tuned model and has
no knowledge of the real world.
"""
    (folder / "README.md").write_text(card)
    return folder / "README.md"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--folder", type=Path, default=TEXT_BASE)
    p.add_argument("--n", type=int, default=300)
    p.add_argument("--no-measure", action="store_true")
    args = p.parse_args(argv)
    meta_path = args.folder / "studio.json"
    meta = json.loads(meta_path.read_text())
    if not args.no_measure:
        meta["measured"] = measure(args.folder, n=args.n)
        meta_path.write_text(json.dumps(meta, indent=2) + "\n")
        print(json.dumps(meta["measured"], indent=2))
    print(write_card(args.folder))


if __name__ == "__main__":
    main()
