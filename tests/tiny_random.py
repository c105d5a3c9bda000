"""A randomly initialised studio-tiny-shaped base, built from config and saved in diffusers layout.

The unit and browser tests and ``bench/bench_training.py`` use it so that they never depend on
the shipped weights being trained (or present). It draws noise; that is all it has to do.
It is built and saved by the same code as studio-tiny (``studio.models.build.tiny``).

    python -m tests.tiny_random OUT_DIR
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from studio.models.build import tiny

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

    folder = Path(folder)
    if (folder / "model_index.json").is_file():
        return folder
    torch.manual_seed(seed)
    tok_dir = folder.parent / (folder.name + "-tokenizer-src")
    tokenizer = tiny.build_tokenizer(tok_dir)
    vae = tiny.build_vae(**(SMALL_VAE if small else {}))
    text_encoder = tiny.build_text_encoder(tokenizer, **(SMALL_TEXT if small else {}))
    unet = tiny.build_unet(**(SMALL_UNET if small else {}))
    tiny.save_pipeline(folder, vae, text_encoder, tokenizer, unet, tok_dir)  # with the BPE files, as studio-tiny
    shutil.rmtree(tok_dir)
    (folder / "studio.json").write_text(json.dumps({"inference": TEST_INFERENCE, "random": True}, indent=2) + "\n")
    return folder


if __name__ == "__main__":
    print(make_random_base(sys.argv[1]))
