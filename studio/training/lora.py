"""The LoRA training loop. It reads top to bottom: setup, data, model, loop, save.

    result = train(TrainConfig(steps=300, trigger="mirastyle"), examples, Path("models/mira"))

It fine-tunes low-rank adapters on a Stable Diffusion-layout base (the embedded
studio-tiny, or a local Stable Diffusion 1.5 folder) with diffusers + peft, on
accelerate, so ``accelerate launch -m studio.cli train ...`` runs this same loop on
several GPUs (each process draws its own batches; gradients are averaged).

What it does differently from the reference diffusers script, and why:
- images and captions are encoded once and cached (``data.load_or_encode``): the
  frozen VAE and text encoder would otherwise run every step for the same inputs;
- checkpoints are written without pickle: adapter as safetensors, optimizer state
  loaded back with ``weights_only=True``, RNG states as tensors, the rest as JSON;
- progress is reported through ``on_event(TrainEvent)`` and a ``cancel`` Event is
  honoured between steps, so a notebook widget can drive it from a worker thread.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from studio.errors import StudioError
from studio.models import decoder, grain
from studio.models.bases import LOAD_LOCK, base_sha256, cpu_threads, quiet_libraries, resolve_base
from studio.training import checkpoints, data, export
from studio.training.config import TrainConfig, TrainEvent

# Attention and feed-forward layers of every transformer block: kohya-ss's standard SD LoRA layers, and
# the ones whose kohya export diffusers reads back exactly (tested)
UNET_TARGETS = {"attention": ["to_q", "to_k", "to_v", "to_out.0", "ff.net.0.proj", "ff.net.2"]}
UNET_TARGETS["attention+resnets"] = UNET_TARGETS["attention"] + ["conv1", "conv2", "conv_shortcut", "time_emb_proj"]
TEXT_TARGETS = ["q_proj", "k_proj", "v_proj", "out_proj"]


def train(cfg: TrainConfig, examples: list[data.Example], out: Path | str, *,
          on_event: Callable[[TrainEvent], None] | None = None, cancel: threading.Event | None = None,
          resume: bool = False, creator: str | None = None) -> dict:
    """Train a LoRA on ``examples`` into ``out``.

    Returns ``{"status": "done" | "cancelled", "step", "path", "manifest" (when done)}``. Events, in
    order: [resumed], start, step (every step), samples (every ``sample_every``), checkpoint (every
    ``checkpoint_every``), and done or cancelled.
    """
    import numpy as np
    import torch
    import torch.nn.functional as F
    from accelerate import Accelerator
    from diffusers import AutoencoderKL, DDPMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from diffusers.training_utils import cast_training_params
    from peft import LoraConfig
    from transformers import CLIPTextModel, CLIPTokenizer

    quiet_libraries()
    out = Path(out)
    emit = on_event or (lambda event: None)
    cancel = cancel or threading.Event()

    # --- 1. check everything before writing anything ----------------------------------------
    base = resolve_base(cfg.base)
    if not examples:
        raise StudioError("no training images (the portfolio is empty, or every item's consent is revoked)")
    if (out / export.WEIGHTS_NAME).exists() and not resume:
        raise StudioError(f"{out} already holds a trained model; choose another --out")
    tokenizer = CLIPTokenizer.from_pretrained(str(base), subfolder="tokenizer")
    data.check_captions(tokenizer, [e.caption for e in examples], "a training caption")

    # --- 2. devices and precision ------------------------------------------------------------------
    device = cfg.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    precision = cfg.mixed_precision
    if precision == "auto":
        precision = "bf16" if device.startswith("cuda") and torch.cuda.is_bf16_supported() else "no"
    accelerator = Accelerator(mixed_precision=precision, cpu=device == "cpu")
    if accelerator.device.type == "cpu":
        cpu_threads(cfg.threads)
    frozen_dtype = {"no": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[precision]
    main = accelerator.is_main_process

    # --- 3. the base model: everything frozen, then LoRA adapters on the attention layers ---------
    # Under the lock: loading patches torch globally (see LOAD_LOCK), and the adapters' initial
    # weights come from torch's global seed, which another run in this process must not move.
    with LOAD_LOCK:
        text_encoder = CLIPTextModel.from_pretrained(str(base), subfolder="text_encoder", use_safetensors=True)
        vae = AutoencoderKL.from_pretrained(str(base), subfolder="vae", use_safetensors=True)
        unet = UNet2DConditionModel.from_pretrained(str(base), subfolder="unet", use_safetensors=True)
        for model in (text_encoder, vae, unet):
            model.requires_grad_(False)
            model.to(accelerator.device, dtype=frozen_dtype)
        alpha = cfg.alpha or cfg.rank
        torch.manual_seed(cfg.seed)  # the adapters' initial weights depend on it
        unet.add_adapter(LoraConfig(r=cfg.rank, lora_alpha=alpha, init_lora_weights="gaussian",
                                    target_modules=UNET_TARGETS[cfg.lora_layers]))
        if cfg.train_text_encoder:
            text_encoder.add_adapter(LoraConfig(r=cfg.rank, lora_alpha=alpha, init_lora_weights="gaussian",
                                                target_modules=TEXT_TARGETS))
    noise_scheduler = DDPMScheduler.from_config(DDPMScheduler.load_config(str(base), subfolder="scheduler"))
    resolution = cfg.resolution or int(vae.config.sample_size)
    trained = [unet] + ([text_encoder] if cfg.train_text_encoder else [])
    cast_training_params(trained, dtype=torch.float32)  # adapters train in float32 even under bf16
    if cfg.gradient_checkpointing:
        unet.enable_gradient_checkpointing()
        if cfg.train_text_encoder:
            text_encoder.gradient_checkpointing_enable()

    # --- 4. data: hold a few items out for the quality gate, encode the rest once ------------------
    train_set, holdout = data.split_holdout(examples, cfg.holdout, cfg.seed)
    base_hash = base_sha256(base)
    out.mkdir(parents=True, exist_ok=True)
    t_encode = time.perf_counter()
    # what the base's VAE cannot draw back: grain is measured and taken out before encoding (added again
    # after decoding, studio.models.grain), and the decoder is taught the creator's colours (studio.models.decoder)
    pixels_all = torch.stack([data.load_image(e.data, resolution) for e in train_set])
    fitted_grain = grain.fit(list(pixels_all), vae, accelerator.device, frozen_dtype) if cfg.grain else None
    pixels_all = grain.remove(pixels_all, fitted_grain)
    encode_args = (vae, text_encoder, tokenizer, train_set, resolution, accelerator.device, frozen_dtype)
    if cfg.cache_latents:
        key = data.cache_key(base_hash, resolution, train_set, not cfg.train_text_encoder, fitted_grain)
        with accelerator.main_process_first():  # one process encodes and writes; the others read it
            cached, cache_hit = data.load_or_encode(out / "cache", key, *encode_args,
                                                    embeddings=not cfg.train_text_encoder, pixels=pixels_all)
    else:
        cached, cache_hit = {"input_ids": data.tokenize(tokenizer, [e.caption for e in train_set])}, False
    tuned_decoder = decoder.adapt(vae, pixels_all, cfg.decoder_steps if main else 0, cfg.seed, cancel)
    sample_vae = vae
    if tuned_decoder:  # training previews draw through the creator's decoder, as the finished model will
        sample_vae = copy.deepcopy(vae)
        decoder.load_state(sample_vae, tuned_decoder)
    plain_ids = data.tokenize(tokenizer, [data.without_trigger(e.caption, cfg.trigger) for e in train_set])
    empty_ids = data.tokenize(tokenizer, [""])  # caption dropout's empty caption, as the pipeline's unconditional
    with torch.no_grad():
        empty_states = text_encoder(empty_ids.to(accelerator.device))[0].to(frozen_dtype)
    t_encode = time.perf_counter() - t_encode
    n = len(train_set)
    scaling = float(vae.config.scaling_factor)
    guidance = cfg.model_guidance(base)  # what the finished model generates with (None: the base's own)
    sample_prompts = cfg.sample_prompts or list(dict.fromkeys(e.caption for e in holdout + train_set))[:4]

    # --- 5. optimiser, schedule (linear warm-up, then constant) and accelerate -------------------
    params = [p for m in trained for p in m.parameters() if p.requires_grad]
    lr = cfg.learning_rate(base)
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=1e-2)
    lr_schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / max(1, cfg.warmup_steps)))
    unet, optimizer = accelerator.prepare(unet, optimizer)
    if cfg.train_text_encoder:
        text_encoder = accelerator.prepare(text_encoder)
    gen = torch.Generator().manual_seed(cfg.seed * 1000 + accelerator.process_index)  # batches, noise, timesteps
    step, losses, elapsed_before = 0, [], 0.0

    # --- 6. resume from the last complete checkpoint -------------------------------------------------
    ckpt = checkpoints.latest(out) if resume else None
    if ckpt is not None:
        export.load_adapter(ckpt, accelerator.unwrap_model(unet),
                            accelerator.unwrap_model(text_encoder) if cfg.train_text_encoder else None)
        rng, state = checkpoints.read(ckpt, optimizer)
        lr_schedule.load_state_dict(state["lr_schedule"])
        gen.set_state(rng["batches"])
        torch.set_rng_state(rng["torch"])
        step, losses, elapsed_before = state["step"], state["losses"], state["seconds"]
        emit(TrainEvent("resumed", step, cfg.steps, path=str(ckpt), message=f"resumed from step {step}"))
    elif resume:
        emit(TrainEvent("resumed", 0, cfg.steps, message="no checkpoint to resume from; starting at step 0"))

    def save_checkpoint(at: int) -> Path:
        """adapter + optimiser + schedule + RNG + step (`checkpoints.write`: atomic, the newest kept)."""
        return checkpoints.write(
            out, at, write_adapter=lambda folder: export.save_adapter(
                folder, accelerator.unwrap_model(unet),
                accelerator.unwrap_model(text_encoder) if cfg.train_text_encoder else None),
            optimizer=optimizer, rng={"batches": gen.get_state(), "torch": torch.get_rng_state()},
            state={"losses": losses, "seconds": elapsed_before + (time.perf_counter() - t_start),
                   "lr_schedule": lr_schedule.state_dict(), "config": cfg.as_dict()},
            keep=cfg.keep_checkpoints)

    def samples() -> list:
        """Preview images for fixed prompts and seeds, from the adapters as they are now."""
        from studio.models import load_defaults

        defaults = load_defaults(base)
        pipe = StableDiffusionPipeline(
            vae=sample_vae, text_encoder=accelerator.unwrap_model(text_encoder), tokenizer=tokenizer,
            unet=accelerator.unwrap_model(unet), safety_checker=None, feature_extractor=None,
            requires_safety_checker=False, scheduler=_inference_scheduler(base))
        pipe.set_progress_bar_config(disable=True)
        g = [torch.Generator().manual_seed(i) for i in range(len(sample_prompts))]
        with torch.no_grad(), accelerator.autocast():
            images = pipe(sample_prompts, num_inference_steps=defaults["num_inference_steps"],
                          guidance_scale=defaults["guidance_scale"] if guidance is None else guidance,
                          height=resolution, width=resolution,
                          generator=g).images
        return [grain.apply(img, fitted_grain, i) for i, img in enumerate(images)]

    # --- 7. the loop ----------------------------------------------------------------------------------
    where = f"{accelerator.device}" + (f" ({torch.get_num_threads()} threads)" if accelerator.device.type == "cpu" else "")
    emit(TrainEvent("start", step, cfg.steps, path=str(out), message=f"{n} images, {len(holdout)} held out, "
                    f"{'cache hit' if cache_hit else 'encoded'} in {t_encode:.1f}s, on {where}"))
    unet.train()
    t_start = time.perf_counter()
    t_steps, steps_timed, status = 0.0, 0, "done"
    while step < cfg.steps:
        if cancel.is_set():
            status = "cancelled"
            break
        t0 = time.perf_counter()
        idx = torch.randint(0, n, (cfg.batch_size,), generator=gen)
        if cfg.cache_latents:  # sample from the cached posterior: mean + std * noise
            mean, std = cached["latent_mean"][idx], cached["latent_std"][idx]
            latents = (mean + std * torch.randn(mean.shape, generator=gen)) * scaling
        else:  # what the reference scripts do: run the VAE on every batch
            with torch.no_grad():
                post = vae.encode(pixels_all[idx].to(accelerator.device, frozen_dtype)).latent_dist
                latents = (post.mean.float().cpu() + post.std.float().cpu()
                           * torch.randn(post.mean.shape, generator=gen)) * scaling
        noise = torch.randn(latents.shape, generator=gen)
        if cfg.noise_offset:  # offset noise: a per-image, per-channel constant the model must learn to remove
            noise = noise + cfg.noise_offset * torch.randn((*latents.shape[:2], 1, 1), generator=gen)
        timesteps = _timesteps(cfg, noise_scheduler.config.num_train_timesteps, gen)
        noisy = noise_scheduler.add_noise(latents, noise, timesteps)
        if noise_scheduler.config.prediction_type == "v_prediction":
            target = noise_scheduler.get_velocity(latents, noise, timesteps)
        else:
            target = noise
        dev = accelerator.device
        with accelerator.accumulate(unet), accelerator.autocast():
            # caption dropout: drawn only when on, so runs without it keep their random sequence
            drop = torch.rand(len(idx), generator=gen) < cfg.caption_dropout if cfg.caption_dropout else None
            if "embeddings" in cached:
                states = cached["embeddings"][idx].to(dev, frozen_dtype)
                if drop is not None:
                    states = torch.where(drop[:, None, None].to(dev), empty_states.to(states.dtype), states)
            else:  # the text encoder trains too: the empty caption goes through it like any other
                ids = cached["input_ids"][idx]
                if drop is not None:
                    ids = torch.where(drop[:, None], empty_ids, ids)
                states = text_encoder(ids.to(dev))[0]
            pred = unet(noisy.to(dev, frozen_dtype), timesteps.to(dev), states).sample
            if cfg.snr_gamma:  # min-SNR-gamma: per-example MSE weighted by min(SNR, gamma) / SNR
                loss = F.mse_loss(pred.float(), target.to(dev).float(), reduction="none").mean(dim=(1, 2, 3))
                loss = (loss * _min_snr_weights(noise_scheduler, timesteps, cfg.snr_gamma).to(dev)).mean()
            else:
                loss = F.mse_loss(pred.float(), target.to(dev).float())
            if cfg.prior_weight:  # the caption without the style word: the adapted UNet must agree with the base
                with torch.set_grad_enabled(cfg.train_text_encoder):
                    plain = text_encoder(plain_ids[idx].to(dev))[0]
                adapted = accelerator.unwrap_model(unet)
                with torch.no_grad():
                    adapted.disable_adapters()
                    reference = unet(noisy.to(dev, frozen_dtype), timesteps.to(dev), plain).sample.float()
                    adapted.enable_adapters()
                prior = unet(noisy.to(dev, frozen_dtype), timesteps.to(dev), plain).sample.float()
                loss = loss + cfg.prior_weight * F.mse_loss(prior, reference)
            accelerator.backward(loss)
            if accelerator.sync_gradients:
                accelerator.clip_grad_norm_(params, 1.0)
            optimizer.step()
            lr_schedule.step()
            optimizer.zero_grad(set_to_none=True)
        step += 1
        losses.append(round(float(accelerator.gather(loss.detach()).mean()), 6))
        t_steps += time.perf_counter() - t0
        steps_timed += 1
        rate = steps_timed / t_steps
        emit(TrainEvent("step", step, cfg.steps, loss=losses[-1], steps_per_s=rate,
                        eta_s=(cfg.steps - step) / rate))
        if main and cfg.sample_every and (step % cfg.sample_every == 0 or step == cfg.steps):
            emit(TrainEvent("samples", step, cfg.steps, images=samples(), prompts=sample_prompts))
        if main and cfg.checkpoint_every and step % cfg.checkpoint_every == 0 and step < cfg.steps:
            emit(TrainEvent("checkpoint", step, cfg.steps, path=str(save_checkpoint(step))))
        accelerator.wait_for_everyone()

    # --- 8. save: adapter (diffusers + kohya), manifest, model card --------------------------------
    seconds = elapsed_before + (time.perf_counter() - t_start)
    if status == "cancelled":
        if main and step > 0 and not (out / f"checkpoint-{step}").exists():
            save_checkpoint(step)
        emit(TrainEvent("cancelled", step, cfg.steps, message=f"stopped at step {step}; resume with --resume"))
        return {"status": "cancelled", "step": step, "path": str(out), "main": main}
    name = cfg.name or out.name
    unet_final = accelerator.unwrap_model(unet)
    te_final = accelerator.unwrap_model(text_encoder) if cfg.train_text_encoder else None
    manifest = {
        "name": name,
        "creator": creator,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "base": {"name": str(cfg.base), "path": str(base.resolve()), "sha256": base_hash},
        "config": {**cfg.as_dict(), "lr": lr},
        "resolution": resolution,
        "seed": cfg.seed,
        "sample_prompts": sample_prompts,
        "holdout_captions": [e.caption for e in holdout],
        "inference": {"guidance_scale": guidance} if guidance is not None else {},
        "grain": fitted_grain,
        "decoder": decoder.DECODER_FILE if tuned_decoder else None,
        "items": [e.record("train") for e in train_set] + [e.record("holdout") for e in holdout],
        "metrics": {
            "steps": step,
            "final_loss": round(float(np.mean(losses[-20:])), 5) if losses else None,
            "loss_curve": losses[::max(1, len(losses) // 200)],
            "seconds": round(seconds, 2),
            "steps_per_s": round(steps_timed / t_steps, 3) if t_steps else None,
            "encode_seconds": round(t_encode, 3),
            "cache": "hit" if cache_hit else ("encoded" if cfg.cache_latents else "off"),
            "device": str(accelerator.device),
            "mixed_precision": precision,
        },
    }
    if main:
        export.save_adapter(out, unet_final, te_final)
        decoder.save(out, tuned_decoder)
        export.save_kohya(out, name, unet_final, te_final, base=cfg.base)
        export.write_manifest(out, manifest)
        export.write_card(out, manifest)
    accelerator.wait_for_everyone()
    emit(TrainEvent("done", step, cfg.steps, loss=manifest["metrics"]["final_loss"], path=str(out)))
    return {"status": "done", "step": step, "path": str(out), "manifest": manifest, "main": main}


def _timesteps(cfg: TrainConfig, total: int, gen):
    """The batch's timesteps: uniform, or with density proportional to (t/T)^bias (noisier ones more often)."""
    import torch

    if not cfg.timestep_bias:
        return torch.randint(0, total, (cfg.batch_size,), generator=gen)
    u = torch.rand((cfg.batch_size,), generator=gen)
    return (u ** (1.0 / (1.0 + cfg.timestep_bias)) * total).long().clamp(0, total - 1)


def _min_snr_weights(scheduler, timesteps, gamma: float):
    """min(SNR, gamma) / SNR per example (/(SNR + 1) for v-prediction), Hang et al. 2023."""
    import torch

    alpha_bar = scheduler.alphas_cumprod.to(torch.float32)[timesteps]
    snr = alpha_bar / (1 - alpha_bar)
    weights = torch.clamp(snr, max=gamma)
    return weights / (snr + 1 if scheduler.config.prediction_type == "v_prediction" else snr)


def _inference_scheduler(base: Path):
    """The base's own inference scheduler, as saved with it."""
    import importlib

    from diffusers import DDPMScheduler

    config = DDPMScheduler.load_config(str(base), subfolder="scheduler")
    cls = getattr(importlib.import_module("diffusers"), config.get("_class_name", "DDPMScheduler"))
    return cls.from_config(config)
