"""Pretrain the studio-tiny-text base on the copywriting world, on a CPU.

    python -m studio.text.build [--seed 0] [--out studio/models/studio-tiny-text] [--steps 2000] [--threads 1]

Reads top to bottom:

1. train a byte-level BPE tokenizer (``tokenizers``) on world documents (brief + copy);
2. build a small ``LlamaForCausalLM`` from a config (tied embeddings);
3. train it on fresh world samples every step: each step draws ``--samples`` (brief, copy) pairs,
   packs them into rows of ``--block`` tokens and takes the loss on the copy tokens and the end
   token only (the brief is context, not something to write); AdamW with warm-up + cosine decay.
   An optional phase 2 (``--styled-steps``, 0 by default: the shipped base is phase 1 only) goes on
   with a ``--styled`` share of the samples restyled in random generic surface styles after a prompt
   with a ``style:`` hint line (:func:`studio.text.surface.sample`; the plain prompt always gets the
   world's own copy), so that a writer's LoRA would only have to select a style; see docs/DESIGN.md
   for what it measured;
4. save with ``save_pretrained`` (safetensors) plus the tokenizer, the default decoding in
   ``generation_config.json`` and ``studio.json`` (how it was trained), written to a temporary
   folder and renamed into place. ``python -m studio.text.build.card`` then measures it and writes README.md.

A checkpoint (weights, optimizer moments, step) is written every ``--checkpoint-every`` steps
to ``--checkpoint-dir``; ``--resume`` continues from it with the same data, since step ``k``
always draws the samples with seeds ``k * samples ...``. Same seed, steps and threads: same weights.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import time
from pathlib import Path

from studio.text import surface, world
from studio.text.base import TEXT_BASE

SPECIALS = {"pad_token": "<pad>", "bos_token": "<s>", "eos_token": "</s>"}
# Decoding stored with the model at first; ``studio.text.build.settings`` then measures candidates and keeps the best.
# Phase 2 (see the module docstring): steps, share of restyled samples, peak learning rate, warm-up.
# Off by default: the shipped base is phase 1 only (an experiment with 500 steps is in docs/DESIGN.md).
STYLED_STEPS, STYLED_SHARE, STYLED_LR, STYLED_WARMUP = 0, 0.5, 1e-3, 50
GENERATION = dict(do_sample=True, temperature=0.7, top_k=0, top_p=1.0, max_new_tokens=96)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def train_tokenizer(n_docs: int, vocab_size: int, seed: int, styled: float = 0.0):
    """A byte-level BPE (any text encodes, emoji included) whose output starts with ``<s>``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    def doc(i: int) -> str:
        p, brief, copy = surface.sample(i, namespace=f"tokenizer{seed}", share=styled)
        return f"{p} {world.delexicalise(brief, copy)}"

    docs = (doc(i) for i in range(n_docs))
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = list(SPECIALS.values())
    tok.train_from_iterator(docs, trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials, show_progress=False,
                                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    bos = SPECIALS["bos_token"]
    tok.post_processor = processors.TemplateProcessing(single=f"{bos} $A", special_tokens=[(bos, tok.token_to_id(bos))])
    return PreTrainedTokenizerFast(tokenizer_object=tok, model_max_length=256, padding_side="left", **SPECIALS)


def build_model(tokenizer, hidden: int, layers: int, heads: int, intermediate: int, max_positions: int = 256):
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=intermediate,
                      num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=heads,
                      max_position_embeddings=max_positions, tie_word_embeddings=True, rope_theta=10000.0,
                      bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                      pad_token_id=tokenizer.pad_token_id)
    return LlamaForCausalLM(cfg)


def encode(tokenizer, brief: world.Brief, copy: str, prompt: str | None = None) -> tuple[list[int], list[int]]:
    """Token ids of ``<s> prompt copy </s>`` and labels that score only the copy and ``</s>``.

    The copy has the business's name as a slot (``world.delexicalise``). The prompt and the copy
    are tokenized apart, so generation from the prompt alone sees exactly the tokens training saw.
    ``prompt`` defaults to the brief's plain prompt (a restyled copy comes with its ``style:`` prompt)."""
    p = tokenizer(prompt or world.prompt(brief)).input_ids
    c = tokenizer(" " + world.delexicalise(brief, copy), add_special_tokens=False).input_ids + [tokenizer.eos_token_id]
    return p + c, [-100] * len(p) + c


def batch(tokenizer, step: int, samples: int, block: int, seed: int, styled: float = 0.0):
    """Step ``step``'s samples, packed whole into rows of at most ``block`` tokens (right-padded)."""
    import torch

    rows, cur_ids, cur_lab = [], [], []
    for k in range(step * samples, (step + 1) * samples):
        prompt, brief, copy = surface.sample(k, namespace=f"train{seed}", share=styled)
        ids, lab = encode(tokenizer, brief, copy, prompt)
        if cur_ids and len(cur_ids) + len(ids) > block:
            rows.append((cur_ids, cur_lab))
            cur_ids, cur_lab = [], []
        cur_ids, cur_lab = cur_ids + ids[:block], cur_lab + lab[:block]
    rows.append((cur_ids, cur_lab))
    width = max(len(r[0]) for r in rows)
    pad = tokenizer.pad_token_id
    ids = torch.tensor([r[0] + [pad] * (width - len(r[0])) for r in rows])
    labels = torch.tensor([r[1] + [-100] * (width - len(r[1])) for r in rows])
    return ids, labels


def save_atomic(out: Path, model, tokenizer, meta: dict) -> None:
    """Everything into ``out.tmp``, then one rename: a crash never leaves a half-written model."""
    from transformers import GenerationConfig

    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    GenerationConfig(**GENERATION, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                     pad_token_id=tokenizer.pad_token_id).save_pretrained(tmp)
    (tmp / "studio.json").write_text(json.dumps(meta, indent=2) + "\n")
    old = out.with_name(out.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def save_checkpoint(work: Path, model, tokenizer, opt, meta: dict) -> None:
    from safetensors.torch import save_file

    save_atomic(work / "checkpoint", model, tokenizer, meta)
    moments = {f"{i}.{k}": v.contiguous() for i, p in enumerate(model.parameters())
               for k, v in opt.state.get(p, {}).items() if k in ("exp_avg", "exp_avg_sq")}
    save_file(moments, str(work / "optimizer.safetensors.tmp"))
    os.replace(work / "optimizer.safetensors.tmp", work / "optimizer.safetensors")


def resume(work: Path, model, opt) -> int:
    """Weights and optimizer moments from ``work``; returns the step to continue from."""
    import torch
    from safetensors.torch import load_file

    model.load_state_dict(load_file(str(work / "checkpoint" / "model.safetensors")), strict=False)
    model.tie_weights()
    meta = json.loads((work / "checkpoint" / "studio.json").read_text())
    moments = load_file(str(work / "optimizer.safetensors"))
    step = meta["checkpoint_step"]
    for i, p in enumerate(model.parameters()):
        if f"{i}.exp_avg" in moments:
            opt.state[p] = dict(step=torch.tensor(float(step)), exp_avg=moments[f"{i}.exp_avg"],
                                exp_avg_sq=moments[f"{i}.exp_avg_sq"])
    return step


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=TEXT_BASE)
    p.add_argument("--steps", type=int, default=2000, help="phase 1: steps on the world's own copy")
    p.add_argument("--samples", type=int, default=32, help="(brief, copy) pairs per step")
    p.add_argument("--block", type=int, default=192, help="packed row length in tokens")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--vocab", type=int, default=4096, help="BPE vocabulary size (at most)")
    p.add_argument("--tokenizer-docs", type=int, default=30000)
    p.add_argument("--styled-steps", type=int, default=STYLED_STEPS,
                   help="phase 2: steps on a mix of the world's copy and restyled copy (0: none)")
    p.add_argument("--styled", type=float, default=STYLED_SHARE,
                   help="phase 2: share of samples restyled in random generic surface styles (studio.text.surface)")
    p.add_argument("--styled-lr", type=float, default=STYLED_LR, help="phase 2: peak learning rate")
    p.add_argument("--init", type=Path, default=None,
                   help="start phase 2 from this phase-1 model folder (built with the same seed and options) "
                        "instead of training phase 1 again")
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--intermediate", type=int, default=704)
    p.add_argument("--checkpoint-every", type=int, default=250)
    p.add_argument("--checkpoint-dir", type=Path, default=None)
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in --checkpoint-dir")
    p.add_argument("--threads", type=int, default=1, help="1 is fastest on a busy shared CPU")
    args = p.parse_args(argv)

    import torch

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    work = args.checkpoint_dir or (Path("runs") / f"pretrain-text-seed{args.seed}")
    if args.resume and not (work / "optimizer.safetensors").is_file():
        raise SystemExit(f"--resume: no checkpoint in {work}")
    work.mkdir(parents=True, exist_ok=True)
    t_start = time.time()
    total_steps = args.steps + args.styled_steps

    # 1. tokenizer (rebuilt on resume: same seed, same merges), trained on the documents pretraining will see:
    #    with a phase 2, restyled copy too, so capitals and emoji get pieces of their own rather than bytes
    tokenizer = train_tokenizer(args.tokenizer_docs, args.vocab, args.seed, args.styled if args.styled_steps else 0.0)
    log(f"tokenizer: {len(tokenizer)} tokens, trained in {time.time() - t_start:.0f}s")

    # 2. model
    model = build_model(tokenizer, args.hidden, args.layers, args.heads, args.intermediate)
    n_params = sum(q.numel() for q in model.parameters())
    log(f"model: {n_params / 1e6:.2f}M parameters")

    # 3. training: phase 1 (world copy, steps [0, steps)), then phase 2 (styled mix, [steps, steps + styled_steps))
    #    with a fresh optimiser and its own warm-up + cosine schedule, so phase 2 depends on phase 1's weights only.
    def new_opt(lr: float):
        decay = [q for n, q in model.named_parameters() if q.ndim >= 2]
        no_decay = [q for n, q in model.named_parameters() if q.ndim < 2]
        return torch.optim.AdamW([dict(params=decay, weight_decay=0.1), dict(params=no_decay, weight_decay=0.0)],
                                 lr=lr, betas=(0.9, 0.95))

    def cosine(peak: float, s: int, n: int, warmup: int) -> float:
        return peak * min(1.0, (s + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(s, n) / n)))

    def lr_at(s: int) -> float:
        if s < args.steps:
            return cosine(args.lr, s, args.steps, args.warmup)
        return cosine(args.styled_lr, s - args.steps, args.styled_steps, STYLED_WARMUP)

    opt = new_opt(args.lr)
    earlier = 0.0  # seconds spent before a resume, so train_seconds is the whole pretraining
    phase1 = None
    if args.resume:
        start = resume(work, model, opt if json.loads((work / "checkpoint" / "studio.json").read_text())[
            "checkpoint_step"] <= args.steps else (opt := new_opt(args.styled_lr)))
        earlier = json.loads((work / "checkpoint" / "studio.json").read_text()).get("elapsed_seconds", 0.0)
        log(f"resumed at step {start}")
    elif args.init is not None:
        from safetensors.torch import load_file

        phase1 = json.loads((args.init / "studio.json").read_text())
        for k in ("seed", "samples", "block", "lr", "warmup", "tokenizer_docs"):
            if phase1.get(k) != getattr(args, k):
                raise SystemExit(f"--init {args.init}: built with {k}={phase1.get(k)}, not {getattr(args, k)}")
        if phase1.get("styled_steps"):
            raise SystemExit(f"--init {args.init}: not a phase-1 model (it had {phase1['styled_steps']} styled steps)")
        if phase1.get("steps") != args.steps:
            raise SystemExit(f"--init {args.init}: phase 1 had {phase1.get('steps')} steps, not {args.steps}")
        if json.loads((args.init / "tokenizer.json").read_text())["model"] != json.loads(
                tokenizer.backend_tokenizer.to_str())["model"]:
            raise SystemExit(f"--init {args.init}: its tokenizer is not the one this seed trains")
        model.load_state_dict(load_file(str(args.init / "model.safetensors")), strict=False)
        model.tie_weights()
        start = args.steps
        earlier = phase1.get("phase1_seconds", phase1.get("train_seconds", 0.0))
        log(f"phase 1 ({args.steps} steps) from {args.init}")
    else:
        start = 0
    meta_base = dict(seed=args.seed, steps=total_steps, phase1_steps=args.steps, samples=args.samples, block=args.block,
                     lr=args.lr, warmup=args.warmup, vocab=len(tokenizer), tokenizer_docs=args.tokenizer_docs,
                     styled_steps=args.styled_steps, styled=args.styled, styled_lr=args.styled_lr,
                     styled_warmup=STYLED_WARMUP, threads=args.threads, params=n_params,
                     data="studio.text.world, namespace train{seed}; in phase 2 a share of the samples restyled "
                          "by studio.text.surface after a 'style:' hint")
    model.train()
    t0, tokens, loss_avg = time.time(), 0, None
    phase1_seconds = earlier if start >= args.steps else None
    for step in range(start, total_steps):
        if step == args.steps:  # phase 2 starts: a fresh optimiser (whether phase 1 ran here or came from --init)
            phase1_seconds = phase1_seconds if phase1_seconds is not None else round(earlier + time.time() - t_start)
            opt = new_opt(args.styled_lr)
            loss_avg = None
        styled = args.styled if step >= args.steps else 0.0
        ids, labels = batch(tokenizer, step, args.samples, args.block, args.seed, styled)
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        loss = model(input_ids=ids, labels=labels).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        tokens += ids.numel()
        loss_avg = loss.item() if loss_avg is None else 0.95 * loss_avg + 0.05 * loss.item()
        if step % 25 == 0 or step == total_steps - 1:
            el = time.time() - t0
            done = step + 1 - start
            log(f"step {step}/{total_steps} loss {loss_avg:.4f} lr {lr_at(step):.2e} {tokens / el:.0f} tok/s "
                f"({el / done:.2f} s/step, eta {el / done * (total_steps - step - 1) / 60:.1f} min)")
        if args.checkpoint_every and (step + 1) % args.checkpoint_every == 0 and step + 1 < total_steps:
            save_checkpoint(work, model, tokenizer, opt, dict(meta_base, checkpoint_step=step + 1, loss=round(loss_avg, 4),
                                                              elapsed_seconds=round(earlier + time.time() - t_start)))
            log(f"checkpoint at step {step + 1} -> {work / 'checkpoint'}")

    # 4. save
    total = earlier + time.time() - t_start
    meta = dict(meta_base, train_seconds=round(total), phase1_seconds=phase1_seconds, final_loss=round(loss_avg, 4),
                resumed_at=start if args.resume else None, phase1_from=str(args.init) if phase1 else None)
    save_atomic(args.out, model.eval(), tokenizer, meta)
    log(f"saved {args.out}; pretraining took {total / 60:.1f} min")
    print(f"measure it and write the model card with: python -m studio.text.build.card --folder {args.out}", flush=True)


if __name__ == "__main__":
    main()
