"""The LoRA training loop for text models. It reads top to bottom: setup, data, model, loop, save.

    result = train(TextTrainConfig(steps=150), examples, Path("models/ada"))

It fine-tunes low-rank adapters on every attention and MLP projection of a causal language model
(the embedded studio-tiny-text, or a local transformers folder such as a small instruction-tuned
model on a GPU) with peft, so the saved adapter loads into plain transformers + peft:
``PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), MODEL_DIR)``.

Like the image loop (`studio.training.lora`): everything is checked before anything is written;
checkpoints are atomic and pickle-free (`studio.training.checkpoints`), so a run killed at any
moment resumes from its last one; progress goes to ``on_event(TrainEvent)`` (samples carry the
copy written for fixed held-out briefs in ``texts``) and a ``cancel`` Event is honoured between
steps. The loss is taken on the copy only, never on the brief.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from studio.errors import StudioError
from studio.models.bases import LOAD_LOCK, base_sha256, cpu_threads, quiet_libraries
from studio.text import inference as text_inference
from studio.training import checkpoints, data, export, text_data
from studio.training.config import TextTrainConfig, TrainEvent

# Every attention and MLP projection of a Llama-layout block (the layout of current open LMs)
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def train(cfg: TextTrainConfig, examples: list[text_data.TextExample], out: Path | str, *,
          on_event: Callable[[TrainEvent], None] | None = None, cancel: threading.Event | None = None,
          resume: bool = False, creator: str | None = None) -> dict:
    """Train a text LoRA on ``examples`` into ``out``; the same contract as `studio.training.lora.train`.

    Returns ``{"status": "done" | "cancelled", "step", "path", "manifest" (when done), "main"}``.
    """
    import numpy as np
    import torch
    from peft import LoraConfig, get_peft_model, get_peft_model_state_dict, set_peft_model_state_dict
    from safetensors.torch import load_file, save_file

    quiet_libraries()
    out = Path(out)
    emit = on_event or (lambda event: None)
    cancel = cancel or threading.Event()

    # --- 1. check everything before writing anything ----------------------------------------
    base = text_inference.resolve_base(cfg.base)
    if not examples:
        raise StudioError("no writing samples (the portfolio is empty, or every item's consent is revoked)")
    if (out / text_inference.ADAPTER_NAME).exists() and not resume:
        raise StudioError(f"{out} already holds a trained model; choose another --out")
    device = cfg.device if cfg.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu":
        cpu_threads(cfg.threads)
    with LOAD_LOCK:  # loading patches torch globally; the adapter's initial weights come from the global seed
        from studio.text.base import load as load_base

        model, tokenizer = load_base(base)
        limit = int(getattr(model.config, "max_position_embeddings", 0) or tokenizer.model_max_length)
        train_set, holdout = data.split_holdout(examples, cfg.holdout, cfg.seed)
        encoded = text_data.check_lengths(tokenizer, train_set, limit)
        model.requires_grad_(False)
        torch.manual_seed(cfg.seed)
        model = get_peft_model(model, LoraConfig(r=cfg.rank, lora_alpha=cfg.alpha or cfg.rank, lora_dropout=0.0,
                                                 target_modules=TARGETS, task_type="CAUSAL_LM"))
    model.to(device)

    # --- 2. data: fixed briefs for previews, one padded batch per step ------------------------------
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    sample_briefs = list(dict.fromkeys(e.brief for e in holdout + train_set))[:4]
    n = len(train_set)

    def batch(idx: list[int]):
        rows = [encoded[i] for i in idx]
        width = max(len(ids) for ids, _ in rows)
        input_ids = torch.full((len(rows), width), pad, dtype=torch.long)
        labels = torch.full((len(rows), width), -100, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for r, (ids, n_prompt) in enumerate(rows):
            input_ids[r, :len(ids)] = torch.tensor(ids)
            labels[r, n_prompt:len(ids)] = torch.tensor(ids[n_prompt:])
            mask[r, :len(ids)] = 1
        return input_ids.to(device), mask.to(device), labels.to(device)

    # --- 3. optimiser and schedule (linear warm-up, then constant) -------------------------------------
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.learning_rate(base), weight_decay=1e-2)
    lr_schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / max(1, cfg.warmup_steps)))
    gen = torch.Generator().manual_seed(cfg.seed * 1000)
    step, losses, elapsed_before = 0, [], 0.0

    def write_adapter(folder: Path) -> None:
        save_file({k: v.detach().cpu().contiguous() for k, v in get_peft_model_state_dict(model).items()},
                  str(Path(folder) / text_inference.ADAPTER_NAME), metadata={"format": "pt"})

    # --- 4. resume from the last complete checkpoint -------------------------------------------------
    ckpt = checkpoints.latest(out) if resume else None
    if ckpt is not None:
        set_peft_model_state_dict(model, load_file(str(ckpt / text_inference.ADAPTER_NAME)))
        rng, state = checkpoints.read(ckpt, optimizer)
        lr_schedule.load_state_dict(state["lr_schedule"])
        gen.set_state(rng["batches"])
        torch.set_rng_state(rng["torch"])
        step, losses, elapsed_before = state["step"], state["losses"], state["seconds"]
        emit(TrainEvent("resumed", step, cfg.steps, path=str(ckpt), message=f"resumed from step {step}"))
    elif resume:
        emit(TrainEvent("resumed", 0, cfg.steps, message="no checkpoint to resume from; starting at step 0"))
    out.mkdir(parents=True, exist_ok=True)

    def save_checkpoint(at: int) -> Path:
        return checkpoints.write(out, at, write_adapter=write_adapter, optimizer=optimizer,
                                 rng={"batches": gen.get_state(), "torch": torch.get_rng_state()},
                                 state={"losses": losses, "seconds": elapsed_before + (time.perf_counter() - t_start),
                                        "lr_schedule": lr_schedule.state_dict(), "config": cfg.as_dict()},
                                 keep=cfg.keep_checkpoints)

    def samples() -> list[str]:
        model.eval()
        texts = text_inference.write(model, tokenizer, sample_briefs, seed=0)
        model.train()
        return texts

    # --- 5. the loop ----------------------------------------------------------------------------------
    where = device + (f" ({torch.get_num_threads()} threads)" if device == "cpu" else "")
    emit(TrainEvent("start", step, cfg.steps, path=str(out), message=f"{n} writing samples, {len(holdout)} held out, "
                    f"on {where}"))
    model.train()
    t_start = time.perf_counter()
    t_steps, steps_timed, status = 0.0, 0, "done"
    while step < cfg.steps:
        if cancel.is_set():
            status = "cancelled"
            break
        t0 = time.perf_counter()
        input_ids, mask, labels = batch(torch.randint(0, n, (cfg.batch_size,), generator=gen).tolist())
        loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        lr_schedule.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        losses.append(round(float(loss.detach()), 6))
        t_steps += time.perf_counter() - t0
        steps_timed += 1
        rate = steps_timed / t_steps
        emit(TrainEvent("step", step, cfg.steps, loss=losses[-1], steps_per_s=rate, eta_s=(cfg.steps - step) / rate))
        if cfg.sample_every and (step % cfg.sample_every == 0 or step == cfg.steps):
            emit(TrainEvent("samples", step, cfg.steps, texts=samples(), prompts=[b or "" for b in sample_briefs]))
        if cfg.checkpoint_every and step % cfg.checkpoint_every == 0 and step < cfg.steps:
            emit(TrainEvent("checkpoint", step, cfg.steps, path=str(save_checkpoint(step))))

    # --- 6. save: the peft adapter, manifest, model card ------------------------------------------------
    seconds = elapsed_before + (time.perf_counter() - t_start)
    if status == "cancelled":
        if step > 0 and not (out / f"checkpoint-{step}").exists():
            save_checkpoint(step)
        emit(TrainEvent("cancelled", step, cfg.steps, message=f"stopped at step {step}; resume with --resume"))
        return {"status": "cancelled", "step": step, "path": str(out), "main": True}
    manifest = {
        "kind": "text",
        "name": cfg.name or out.name,
        "creator": creator,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "base": {"name": str(cfg.base), "path": str(base.resolve()), "sha256": base_sha256(base)},
        "weights_file": text_inference.ADAPTER_NAME,
        "config": {**cfg.as_dict(), "lr": cfg.learning_rate(base)},
        "seed": cfg.seed,
        "sample_prompts": [b or "" for b in sample_briefs],
        "holdout_captions": [e.brief for e in holdout],
        "items": [e.record("train") for e in train_set] + [e.record("holdout") for e in holdout],
        "metrics": {
            "steps": step,
            "final_loss": round(float(np.mean(losses[-20:])), 5) if losses else None,
            "loss_curve": losses[::max(1, len(losses) // 200)],
            "seconds": round(seconds, 2),
            "steps_per_s": round(steps_timed / t_steps, 3) if t_steps else None,
            "device": device,
        },
    }
    model.save_pretrained(str(out), safe_serialization=True)  # adapter_config.json + adapter_model.safetensors
    export.write_manifest(out, manifest)
    export.write_text_card(out, manifest)
    emit(TrainEvent("done", step, cfg.steps, loss=manifest["metrics"]["final_loss"], path=str(out)))
    return {"status": "done", "step": step, "path": str(out), "manifest": manifest, "main": True}
