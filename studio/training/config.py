"""`TrainConfig`: every option of a training run, declared once with its default, bounds and help.

The `studio train` flags and the Train panel's fields are built from these declarations,
so a default changed here changes everywhere. The whole config is recorded in the manifest.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from studio.errors import StudioError
from studio.models import EMBEDDED_DEFAULT
from studio.options import check_bounds, option

# noise_offset 0.15 and snr_gamma 5 (issue 10), measured on the tuning portfolios (bench/tune_style.py, seeds 0
# and 1): mean palette ratio 0.60 vs 0.83 without them; each alone did less (offset 0.15: 0.65; min-SNR, seed 0: 0.85)
TINY_LR = 3e-3  # measured on studio-tiny: closer to a sample creator's style in 300 steps than 1e-3
SD_LR = 1e-4  # the usual LoRA learning rate for Stable Diffusion 1.5
# a creator's model on the embedded base generates at guidance 2 (the base alone: 6), trained with caption dropout
# 0.1: at 6 the adapter's colours overshoot (guidance multiplies them with the content). Five tuning portfolios
# (bench/tune_style.py), mean palette ratio: guidance 6 0.54 (worst 0.96); 2 0.39 (0.55); with dropout 0.38 (0.52)
TINY_GUIDANCE = 2.0


@dataclass
class TrainConfig:
    """Every knob of a training run; recorded verbatim in the manifest."""

    base: str = option(EMBEDDED_DEFAULT, "studio-tiny-v2 (the embedded base; studio-tiny is its first version), "
                       "or a local diffusers folder (e.g. Stable Diffusion 1.5); "
                       "a creator's run defaults to $STUDIO_BASE if set", panel="main")
    steps: int = option(300, "optimisation steps", min=1, max=1_000_000, panel="main")
    rank: int = option(8, "LoRA rank", min=1, max=1024, panel="main")
    alpha: float | None = option(None, "LoRA alpha (default: the rank, a scale of 1)", min=0.0)
    lr: float | None = option(None, "learning rate (default: 3e-3 on studio-tiny, 1e-4 on other bases "
                              "such as SD 1.5)", min=0.0, max=1.0, panel="main")
    batch_size: int = option(4, "images per step", min=1, max=4096, panel="main")
    resolution: int | None = option(None, "image size (default: the base's)", min=8, max=4096)
    trigger: str | None = option(None, "the style word added to every caption (a creator's run defaults "
                                 "to the creator's own style word)", panel="main")
    seed: int = option(0, "random seed (the same seed and data give the same weights)", min=0, panel="main")
    device: str = option("auto", "auto, cpu, cuda, cuda:N or mps")
    mixed_precision: str = option("auto", "auto is bf16 on CUDA, else no", choices=["auto", "no", "fp16", "bf16"])
    gradient_checkpointing: bool = option(False, "trade compute for memory on large bases")
    train_text_encoder: bool = option(False, "also put LoRA adapters on the text encoder")
    lora_layers: str = option("attention", "which UNet layers get adapters: the attention and feed-forward "
                              "layers, or those plus the ResNet convolutions (colour, grain and edges live there)",
                              choices=["attention", "attention+resnets"])
    noise_offset: float = option(0.15, "offset noise: add this much noise constant over each image and channel, "
                                 "so the model can move an image's overall colour and brightness, such as a dark "
                                 "ground (Guttenberg 2023; 0: off)", min=0.0, max=1.0)
    timestep_bias: float = option(0.0, "draw noisier timesteps more often, where overall colour and layout are "
                                  "decided: density proportional to (t/T)^bias (0: uniform)", min=0.0, max=10.0)
    snr_gamma: float | None = option(5.0, "min-SNR-gamma loss weighting (Hang et al. 2023): low-noise steps "
                                     "weigh less (0: none, plain MSE)", min=0.0, max=100.0)
    prior_weight: float = option(0.0, "prior preservation without prior images: on the same noisy images, the "
                                 "caption without the style word must still give what the base gives, weighted "
                                 "by this, so the style goes with the style word and the prompt's colours and "
                                 "shapes stay the base's (0: off)", min=0.0, max=10.0)
    caption_dropout: float = option(0.1, "share of training captions replaced by the empty one, so the model "
                                    "draws the creator's look even unprompted and classifier-free guidance "
                                    "(conditioned minus unconditioned) steers only what the caption asks for "
                                    "(0: off)", min=0.0, max=1.0)
    guidance_scale: float | None = option(None, "classifier-free guidance the model generates with, recorded in "
                                          "its manifest (default: TINY_GUIDANCE on the embedded bases, a real "
                                          "base's own otherwise)", min=0.0, max=50.0)
    decoder_steps: int = option(200, "steps teaching the creator's own copy of the base's VAE decoder their "
                                "colours (the base's decoder draws only colours it was trained on; 0: use it "
                                "as it is)", min=0, max=100_000)
    grain: bool = option(True, "measure the grain the base's VAE cannot draw back (a risograph speckle, paper "
                         "noise) on the portfolio and add matching grain to the model's outputs, as video codecs "
                         "synthesise film grain (studio.models.grain); a portfolio without grain gets none")
    cache_latents: bool = option(True, "encode images and captions once (off only to measure the difference)",
                                 flag="--no-cache")
    checkpoint_every: int = option(100, "write a resumable checkpoint every N steps (0: never)", min=0)
    keep_checkpoints: int = option(2, "checkpoints kept on disk (older ones are removed)", min=1, max=1000)
    sample_every: int = option(100, "preview samples every N steps (0: never)", min=0, panel="main")
    sample_prompts: list[str] = option(None, "prompts for the preview samples (default: the first "
                                       "held-out and training captions)", factory=list)
    holdout: float = option(0.15, "share of items held out for the quality gate (none below 4 items)",
                            min=0.0, max=0.9)
    warmup_steps: int = option(10, "steps of linear learning-rate warm-up", min=0)
    threads: int | None = option(None, "torch CPU threads (default: 1 on a busy machine)", min=1, max=1024)
    name: str | None = option(None, "model name (file names, card title; default: the folder's name)")

    kind = "image"

    def __post_init__(self):
        check_bounds(self)
        if self.lr is not None and not (0 < float(self.lr) < 1):
            raise StudioError(f"--lr must be between 0 and 1, not {self.lr}")
        if self.trigger is not None and (not self.trigger.strip() or " " in self.trigger.strip()):
            raise StudioError(f"--trigger must be one word, not {self.trigger!r}")

    def learning_rate(self, base: Path) -> float:
        """The learning rate to use on ``base``: as given, else a default that suits the base."""
        if self.lr is not None:
            return float(self.lr)
        return TINY_LR if (Path(base) / "studio.json").is_file() else SD_LR

    def model_guidance(self, base: Path) -> float | None:
        """The guidance scale the trained model generates with: as given, else one that suits the base
        (None: the base's own, from its studio.json or the generic Stable Diffusion setting)."""
        if self.guidance_scale is not None:
            return float(self.guidance_scale)
        return TINY_GUIDANCE if (Path(base) / "studio.json").is_file() else None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrainEvent:
    """One progress report: start, resumed, step, samples, checkpoint, done or cancelled."""

    kind: str
    step: int = 0
    total: int = 0
    loss: float | None = None
    steps_per_s: float | None = None
    eta_s: float | None = None
    images: list = field(default_factory=list)  # PIL images (samples of an image model)
    texts: list[str] = field(default_factory=list)  # copy written (samples of a text model)
    prompts: list[str] = field(default_factory=list)
    path: str | None = None  # checkpoint or model folder
    message: str | None = None


TEXT_BASE_NAME = "studio-tiny-text"


@dataclass
class TextTrainConfig:
    """Every knob of a text model's training run (`studio train --kind text`); recorded in the manifest.

    The fields it shares with `TrainConfig` mean the same; their text defaults were chosen by measurement
    on the tuning writers (`bench/bench_text_train.py`), never on the writers the figures are reported on.
    """

    base: str = option(TEXT_BASE_NAME, "studio-tiny-text (the embedded text base) or a local transformers "
                       "causal-LM folder; a creator's run defaults to $STUDIO_TEXT_BASE if set", panel="main")
    # 50 steps at 5e-4 (bench/bench_text_train.py): the most tuning writers passing the gate (1 of 4) and the brief
    # kept (2 points down on average; 150 steps at 2e-3: 77 down). Longer or faster runs lose the brief first.
    steps: int = option(50, "optimisation steps", min=1, max=1_000_000, panel="main")
    rank: int = option(16, "LoRA rank", min=1, max=1024, panel="main")
    alpha: float | None = option(None, "LoRA alpha (default: the rank, a scale of 1)", min=0.0)
    lr: float = option(5e-4, "learning rate", min=0.0, max=1.0, panel="main")
    batch_size: int = option(8, "writing samples per step", min=1, max=4096, panel="main")
    seed: int = option(0, "random seed (the same seed and data give the same weights)", min=0, panel="main")
    device: str = option("auto", "auto, cpu, cuda, cuda:N or mps")
    checkpoint_every: int = option(50, "write a resumable checkpoint every N steps (0: never)", min=0)
    keep_checkpoints: int = option(2, "checkpoints kept on disk (older ones are removed)", min=1, max=1000)
    sample_every: int = option(50, "preview samples every N steps (0: never)", min=0, panel="main")
    holdout: float = option(0.15, "share of samples held out for the quality gate (none below 4 samples)",
                            min=0.0, max=0.9)
    warmup_steps: int = option(10, "steps of linear learning-rate warm-up", min=0)
    threads: int | None = option(None, "torch CPU threads (default: 1 on a busy machine)", min=1, max=1024)
    name: str | None = option(None, "model name (file names, card title; default: the folder's name)")

    kind = "text"

    def __post_init__(self):
        check_bounds(self)
        if not 0 < float(self.lr) < 1:
            raise StudioError(f"--lr must be between 0 and 1, not {self.lr}")

    def learning_rate(self, base: Path) -> float:
        return float(self.lr)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "kind": "text"}
