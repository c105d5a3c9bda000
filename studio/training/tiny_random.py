"""A randomly initialised studio-tiny-shaped base, built from config and saved in diffusers layout.

Tests, notebooks' dry runs and the browser tests use it so that they never depend on
the shipped weights being trained (or present). It draws noise; that is all it has to do.

    python -m studio.training.tiny_random OUT_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from studio.models import tiny, world
from studio.models.tokenizer import load_tokenizer, save_tokenizer

TEST_INFERENCE = dict(num_inference_steps=4, guidance_scale=5.0, scheduler="DPMSolverMultistepScheduler",
                      height=64, width=64)

# Smaller than the shipped studio-tiny so a test trains in a second or two.
SMALL_UNET = dict(block_out_channels=(16, 32, 32), norm_num_groups=8, attention_head_dim=2,
                  cross_attention_dim=32, addition_embed_type_num_heads=2)
SMALL_TEXT = dict(hidden_size=32, intermediate_size=64, num_attention_heads=2, projection_dim=32)
SMALL_VAE = dict(block_out_channels=(8, 16, 16), norm_num_groups=4)


def make_random_base(folder: str | Path, seed: int = 0, small: bool = True) -> Path:
    """Write a random base to ``folder`` (once; an existing base there is reused)."""
    import torch
    from diffusers import StableDiffusionPipeline

    folder = Path(folder)
    if (folder / "model_index.json").is_file():
        return folder
    torch.manual_seed(seed)
    tok_dir = folder.parent / (folder.name + "-tokenizer-src")
    save_tokenizer(tok_dir, {w: 1 for w in world.vocabulary()})
    tokenizer = load_tokenizer(tok_dir)
    vae = tiny.build_vae(**(SMALL_VAE if small else {}))
    text_encoder = tiny.build_text_encoder(tokenizer, **(SMALL_TEXT if small else {}))
    unet = tiny.build_unet(**(SMALL_UNET if small else {}))
    pipe = StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                   scheduler=tiny.build_inference_scheduler(), safety_checker=None,
                                   feature_extractor=None, requires_safety_checker=False)
    pipe.save_pretrained(str(folder), safe_serialization=True)
    for f in (folder / "tokenizer").iterdir():  # ship the BPE files, as studio-tiny does
        f.unlink()
    for f in tok_dir.iterdir():
        (folder / "tokenizer" / f.name).write_bytes(f.read_bytes())
        f.unlink()
    tok_dir.rmdir()
    (folder / "studio.json").write_text(json.dumps({"inference": TEST_INFERENCE, "random": True}, indent=2) + "\n")
    return folder


if __name__ == "__main__":
    print(make_random_base(sys.argv[1]))
