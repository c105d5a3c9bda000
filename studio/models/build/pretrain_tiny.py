"""Pretrain the studio-tiny base on the procedural shapes world, on a CPU.

    python -m studio.models.build.pretrain_tiny [--seed 0] [--out studio/models/studio-tiny] [--steps 3000]

Reads top to bottom:

1. train a BPE tokenizer on the caption vocabulary;
2. train the VAE (64x64x3 <-> 16x16x4) on rendered images in all styles;
3. render a fixed dataset, encode it once to cached latents (posterior mean and std)
   and tokenize its captions, so UNet steps never re-run the VAE encoder;
4. train the UNet and the text encoder together with the epsilon objective,
   min-SNR weighting, 10% empty captions (for classifier-free guidance), AdamW
   with warmup + cosine decay, and an exponential moving average of the weights;
5. fine-tune the VAE decoder on whole images (encoder frozen);
6. save a ``StableDiffusionPipeline`` (EMA weights) with ``save_pretrained``
   (safetensors), plus ``studio.json`` holding the default inference settings.
   ``python -m studio.models.build.card --folder OUT`` then measures it and writes README.md.

Everything is seeded: the same seed, steps and batch size give the same weights
(up to floating-point non-determinism of multithreaded CPU kernels).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import random
import time
from pathlib import Path

import numpy as np

from studio.models import BUILTIN, world
from studio.models.build import tiny

DEFAULT_OUT = BUILTIN["studio-tiny-v2"]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def to_tensor(imgs: np.ndarray):
    import torch

    return torch.from_numpy(imgs).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def train_vae(vae, steps: int, batch: int, seed: int, lr: float = 2e-3, crop: int = 32):
    """Plain L1 reconstruction + a tiny KL term, on images in every world style.

    The VAE is fully convolutional, so it trains on random ``crop`` x ``crop``
    patches (4x cheaper than whole images) and is used on 64x64 images."""
    import torch

    styles = list(world.STYLES.values())
    rng = random.Random(seed)
    opt = torch.optim.AdamW(vae.parameters(), lr=lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 50) * 0.5 * (1 + math.cos(math.pi * s / steps)))
    vae.train()
    t0 = time.time()
    for step in range(steps):
        seeds = [rng.randrange(10**9) for _ in range(batch)]
        imgs = np.stack([np.asarray(world.render(s, styles[i % len(styles)])[0]) for i, s in enumerate(seeds)])
        x = to_tensor(imgs)
        if crop and crop < world.SIZE:
            i, j = rng.randrange(0, world.SIZE - crop + 1, 4), rng.randrange(0, world.SIZE - crop + 1, 4)
            x = x[:, :, i:i + crop, j:j + crop]
        post = vae.encode(x).latent_dist
        rec = vae.decode(post.sample()).sample
        l1 = (rec - x).abs().mean()
        kl = post.kl().mean() / (4 * 16 * 16)
        loss = l1 + 1e-5 * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 50 == 0 or step == steps - 1:
            log(f"vae step {step}/{steps} l1 {l1.item():.4f} kl {kl.item():.2f} ({(time.time() - t0) / (step + 1):.2f} s/step)")
    vae.eval()
    return vae


def finetune_decoder(vae, steps: int, batch: int, seed: int, lr: float = 1e-3):
    """Fine-tune the decoder (encoder frozen, so cached latents stay valid) on whole 64x64 images.

    The VAE's first stage trains on crops, which is cheap but leaves the decoder off on whole
    images (muddy colours, rings at the borders); this stage fixes that. It has its own random
    generator and runs after the UNet, so it changes nothing upstream."""
    import torch

    styles = list(world.STYLES.values())
    rng = random.Random(seed + 1)
    gen = torch.Generator().manual_seed(seed + 1)
    vae.requires_grad_(False)
    params = list(vae.decoder.parameters()) + list(vae.post_quant_conv.parameters())
    for q in params:
        q.requires_grad_(True)
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 50) * 0.5 * (1 + math.cos(math.pi * s / steps)))
    vae.decoder.train()
    t0 = time.time()
    for step in range(steps):
        seeds = [rng.randrange(10**9) for _ in range(batch)]
        imgs = np.stack([np.asarray(world.render(s, styles[i % len(styles)])[0]) for i, s in enumerate(seeds)])
        x = to_tensor(imgs)
        with torch.no_grad():
            z = vae.encode(x).latent_dist.sample(generator=gen)
        rec = vae.decode(z).sample
        l1 = (rec - x).abs().mean()
        loss = l1 + (rec - x).pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 50 == 0 or step == steps - 1:
            log(f"decoder step {step}/{steps} l1 {l1.item():.4f} ({(time.time() - t0) / (step + 1):.2f} s/step)")
    vae.eval()
    vae.requires_grad_(False)
    return vae


def encode_dataset(vae, n: int, seed: int, look_share: float, batch: int = 256):
    """Render ``n`` scenes (a ``look_share`` of them drawn in a random look, the rest in the default
    style) and cache their posterior mean/std and their content (objects, background)."""
    import torch

    rng = random.Random(f"looks:{seed}")
    means, stds, content = [], [], []
    with torch.no_grad():
        for start in range(0, n, batch):
            imgs = []
            for s in range(seed * 10**7 + start, seed * 10**7 + min(n, start + batch)):
                style = world.random_look(rng) if rng.random() < look_share else world.DEFAULT_STYLE
                im, cap, objs = world.render(s, style)
                imgs.append(np.asarray(im))
                content.append((objs, world.parse_caption(cap)[1]))
            post = vae.encode(to_tensor(np.stack(imgs))).latent_dist
            means.append(post.mean)
            stds.append(post.std)
    return torch.cat(means), torch.cat(stds), content


def tokenize(tokenizer, captions):
    return tokenizer(captions, padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                     return_tensors="pt").input_ids


def min_snr_weights(scheduler, t, gamma: float = 5.0):
    ac = scheduler.alphas_cumprod[t]
    snr = ac / (1 - ac)
    return torch_minimum(snr, gamma) / snr


def torch_minimum(x, v):
    import torch

    return torch.clamp(x, max=v)


def save_pipeline(out: Path, vae, text_encoder, tokenizer, unet, meta: dict) -> None:
    """The pipeline with its BPE tokenizer files (``meta["tokenizer_dir"]``), plus ``studio.json``."""
    tiny.save_pipeline(out, vae, text_encoder, tokenizer, unet, meta["tokenizer_dir"])
    (out / "studio.json").write_text(json.dumps(meta, indent=2) + "\n")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--steps", type=int, default=5000, help="UNet + text encoder steps")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--vae-steps", type=int, default=1200)
    p.add_argument("--vae-batch", type=int, default=32)
    p.add_argument("--decoder-steps", type=int, default=1200)
    p.add_argument("--decoder-batch", type=int, default=16)
    p.add_argument("--dataset", type=int, default=32000, help="rendered images cached as latents")
    p.add_argument("--look-share", type=float, default=0.2,
                   help="share of the cached images drawn in a random look (outlines, grain, blur) instead of the default style")
    p.add_argument("--caption-variation", type=float, default=1.0,
                   help="share of steps whose captions are varied (partial, reordered, with unknown words); 0 = grammar only")
    p.add_argument("--unet-channels", default="48,96,144", help="UNet block widths")
    p.add_argument("--ema", type=float, default=0.998)
    p.add_argument("--cfg-dropout", type=float, default=0.1)
    p.add_argument("--checkpoint-every", type=int, default=500)
    p.add_argument("--checkpoint-dir", type=Path, default=None)
    p.add_argument("--threads", type=int, default=1,
                   help="1 is fastest on a busy shared CPU (no OpenMP spin-waiting)")
    args = p.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    t_start = time.time()
    out: Path = args.out
    work = args.checkpoint_dir or (Path("runs") / f"pretrain-seed{args.seed}")
    work.mkdir(parents=True, exist_ok=True)

    # 1. tokenizer
    tok_dir = work / "tokenizer"
    tokenizer = tiny.build_tokenizer(tok_dir)
    assert tokenizer.unk_token_id not in tokenizer("a red circle on a blue background").input_ids[1:-1]
    log(f"tokenizer: {len(tokenizer)} tokens")

    # 2. VAE
    vae = tiny.build_vae()
    log(f"vae: {tiny.n_params(vae) / 1e6:.3f}M params")
    t0 = time.time()
    vae = train_vae(vae, args.vae_steps, args.vae_batch, args.seed)
    t_vae = time.time() - t0
    log(f"vae trained in {t_vae / 60:.1f} min")
    vae.requires_grad_(False)

    # 3. cached latents
    t0 = time.time()
    means, stds, content = encode_dataset(vae, args.dataset, args.seed, args.look_share)
    scale = float(1.0 / means.std())
    vae.register_to_config(scaling_factor=scale)
    empty_ids = tokenize(tokenizer, [""])[0]
    t_enc = time.time() - t0
    log(f"encoded {len(content)} images in {t_enc:.0f}s; latent std {means.std():.3f} -> scaling_factor {scale:.4f}")

    # 4. UNet + text encoder
    text_encoder = tiny.build_text_encoder(tokenizer)
    channels = tuple(int(c) for c in args.unet_channels.split(","))
    unet = tiny.build_unet(block_out_channels=channels)
    log(f"unet: {tiny.n_params(unet) / 1e6:.3f}M, text encoder: {tiny.n_params(text_encoder) / 1e6:.3f}M params")
    noise_sched = tiny.build_train_scheduler()
    params = list(unet.parameters()) + list(text_encoder.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01, betas=(0.9, 0.99))
    warm = 100
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(s, args.steps) / args.steps))))
    ema_unet, ema_text = copy.deepcopy(unet).requires_grad_(False), copy.deepcopy(text_encoder).requires_grad_(False)
    ema_pairs = list(zip(list(ema_unet.parameters()) + list(ema_text.parameters()), params))
    gen = torch.Generator().manual_seed(args.seed)
    caption_rng = random.Random(f"captions:{args.seed}")
    n = means.shape[0]
    unet.train()
    text_encoder.train()
    t0 = time.time()
    loss_avg = None
    meta_base = dict(seed=args.seed, steps=args.steps, batch=args.batch, lr=args.lr, dataset=args.dataset,
                     vae_steps=args.vae_steps, vae_batch=args.vae_batch,
                     decoder_steps=args.decoder_steps, decoder_batch=args.decoder_batch, ema=args.ema, cfg_dropout=args.cfg_dropout,
                     look_share=args.look_share, caption_variation=args.caption_variation, unet_channels=list(channels),
                     threads=args.threads, inference=tiny.DEFAULT_INFERENCE, tokenizer_dir=str(tok_dir))
    for step in range(args.steps):
        idx = torch.randint(0, n, (args.batch,), generator=gen)
        lat = (means[idx] + stds[idx] * torch.randn(means[idx].shape, generator=gen)) * scale
        captions = []
        for i in idx.tolist():
            objs, bg = content[i]
            vary = caption_rng.random() < args.caption_variation
            captions.append(world.vary_caption(objs, bg, caption_rng) if vary else world.make_caption(objs, bg))
        tok = tokenize(tokenizer, captions)
        drop = torch.rand(args.batch, generator=gen) < args.cfg_dropout
        tok[drop] = empty_ids
        noise = torch.randn(lat.shape, generator=gen)
        t = torch.randint(0, noise_sched.config.num_train_timesteps, (args.batch,), generator=gen)
        noisy = noise_sched.add_noise(lat, noise, t)
        enc = text_encoder(tok)[0]
        pred = unet(noisy, t, enc).sample
        w = min_snr_weights(noise_sched, t)
        loss = (w * (pred - noise).pow(2).mean(dim=(1, 2, 3))).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        decay = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, pp in ema_pairs:
                pe.lerp_(pp, 1 - decay)
        loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()
        if step % 25 == 0 or step == args.steps - 1:
            el = time.time() - t0
            log(f"unet step {step}/{args.steps} loss {loss_avg:.4f} lr {sched.get_last_lr()[0]:.2e} "
                f"({el / (step + 1):.2f} s/step, eta {el / (step + 1) * (args.steps - step - 1) / 60:.1f} min)")
        if args.checkpoint_every and (step + 1) % args.checkpoint_every == 0 and step + 1 < args.steps:
            save_pipeline(work / "checkpoint", vae, ema_text, tokenizer, ema_unet,
                          dict(meta_base, checkpoint_step=step + 1))
            log(f"checkpoint at step {step + 1} -> {work / 'checkpoint'}")
    t_unet = time.time() - t0

    # 5. decoder fine-tune on whole images (encoder frozen: the UNet's latents are unchanged)
    t0 = time.time()
    vae = finetune_decoder(vae, args.decoder_steps, args.decoder_batch, args.seed)
    t_dec = time.time() - t0
    total = time.time() - t_start
    meta = dict(meta_base, train_seconds=dict(vae=round(t_vae), encode=round(t_enc), unet=round(t_unet),
                                              decoder=round(t_dec), total=round(total)), final_loss=round(loss_avg, 4))
    save_pipeline(out, vae, ema_text, tokenizer, ema_unet, meta)
    meta.pop("tokenizer_dir")
    (out / "studio.json").write_text(json.dumps(meta, indent=2) + "\n")
    log(f"saved {out}")
    print(f"pretraining took {total / 60:.1f} min (vae {t_vae / 60:.1f}, encode {t_enc / 60:.1f}, "
          f"unet {t_unet / 60:.1f}, decoder {t_dec / 60:.1f})", flush=True)
    print(f"measure it and write the model card with: python -m studio.models.build.card --folder {out}", flush=True)


if __name__ == "__main__":
    main()
