"""What a training run leaves behind, in standard formats.

- ``pytorch_lora_weights.safetensors``: diffusers format, ``pipe.load_lora_weights(MODEL_DIR)``;
- ``kohya/<name>.safetensors``: kohya-ss keys (``lora_unet_...``/``lora_te_...`` with
  ``lora_down``/``lora_up``/``alpha``) for AUTOMATIC1111, ComfyUI and friends;
- ``training_manifest.json``: every item (sha256, caption, consent record), the base
  (id and hash), the config, the seed and the metrics;
- ``README.md``: a model card with Hugging Face YAML metadata.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from studio.inference import MANIFEST_NAME, WEIGHTS_NAME, read_manifest  # noqa: F401  (the folder format)
from studio.models import BUILTIN


def adapter_state(unet, text_encoder=None) -> tuple[dict, dict | None]:
    """The trained LoRA tensors: the UNet's in PEFT naming (``lora_A``/``lora_B``), which diffusers
    loads for linear and convolution layers alike (its older ``lora.down`` naming converts only the
    linear ones, so an adapter on the ResNets would load half-empty); the text encoder's in diffusers naming."""
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft.utils import get_peft_model_state_dict

    unet_sd = get_peft_model_state_dict(unet)
    te_sd = convert_state_dict_to_diffusers(get_peft_model_state_dict(text_encoder)) if text_encoder is not None else None
    return unet_sd, te_sd


def save_adapter(folder: Path, unet, text_encoder=None) -> Path:
    """Write ``pytorch_lora_weights.safetensors`` (with the LoRA config as metadata)."""
    from diffusers import StableDiffusionPipeline

    unet_sd, te_sd = adapter_state(unet, text_encoder)
    meta = {"unet_lora_adapter_metadata": unet.peft_config["default"].to_dict()}
    if text_encoder is not None:
        meta["text_encoder_lora_adapter_metadata"] = text_encoder.peft_config["default"].to_dict()
    StableDiffusionPipeline.save_lora_weights(str(folder), unet_lora_layers=unet_sd, text_encoder_lora_layers=te_sd,
                                              safe_serialization=True, **meta)
    return Path(folder) / WEIGHTS_NAME


def load_adapter(folder: Path, unet, text_encoder=None) -> None:
    """Put the adapter saved in ``folder`` back into models that already carry a LoRA adapter."""
    from diffusers.utils import convert_unet_state_dict_to_peft
    from peft.utils import set_peft_model_state_dict
    from safetensors.torch import load_file

    sd = load_file(str(Path(folder) / WEIGHTS_NAME))
    unet_sd = convert_unet_state_dict_to_peft({k[len("unet."):]: v for k, v in sd.items() if k.startswith("unet.")})
    result = set_peft_model_state_dict(unet, unet_sd, adapter_name="default")
    if getattr(result, "unexpected_keys", None):
        raise RuntimeError(f"checkpoint does not match the model: {result.unexpected_keys[:3]}")
    if text_encoder is not None:
        te_sd = {k[len("text_encoder."):]: v for k, v in sd.items() if k.startswith("text_encoder.")}
        te_sd = {k.replace("lora_linear_layer.down", "lora_A").replace("lora_linear_layer.up", "lora_B")
                 .replace("lora.down", "lora_A").replace("lora.up", "lora_B"): v for k, v in te_sd.items()}
        set_peft_model_state_dict(text_encoder, te_sd, adapter_name="default")


def kohya_state(unet, text_encoder=None) -> dict:
    """kohya-ss naming for a Stable Diffusion 1.x-layout LoRA.

    ``down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q`` becomes
    ``lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q`` with
    ``.lora_down.weight`` (A), ``.lora_up.weight`` (B) and ``.alpha``; text encoder layers become
    ``lora_te_text_model_encoder_layers_0_self_attn_q_proj``.
    """
    import torch
    from peft.utils import get_peft_model_state_dict

    out = {}
    for prefix, model in (("lora_unet", unet), ("lora_te", text_encoder)):
        if model is None:
            continue
        alpha = float(model.peft_config["default"].lora_alpha)
        for key, tensor in get_peft_model_state_dict(model).items():
            m = re.match(r"^(.*)\.lora_([AB])\.weight$", key)
            if not m:
                continue
            path = m.group(1)
            if prefix == "lora_te" and not path.startswith("text_model."):
                path = "text_model." + path  # kohya names CLIP layers from the original CLIPTextModel root
            module = prefix + "_" + path.replace(".", "_")
            out[f"{module}.{'lora_down' if m.group(2) == 'A' else 'lora_up'}.weight"] = tensor.detach().float().contiguous()
            out[f"{module}.alpha"] = torch.tensor(alpha)
    return out


def save_kohya(folder: Path, name: str, unet, text_encoder=None, base: str = "") -> Path:
    from safetensors.torch import save_file

    path = Path(folder) / "kohya" / f"{name}.safetensors"
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(kohya_state(unet, text_encoder), str(path),
              metadata={"ss_network_module": "networks.lora", "ss_base_model_version": "sd_v1",
                        "ss_output_name": name, "studio_base_model": str(base)})
    return path


def write_manifest(folder: Path, manifest: dict) -> Path:
    path = Path(folder) / MANIFEST_NAME
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return path


def write_card(folder: Path, manifest: dict) -> Path:
    """README.md with Hugging Face YAML metadata, from the manifest's facts only."""
    cfg, metrics, base = manifest["config"], manifest["metrics"], manifest["base"]
    name = manifest["name"]
    trigger = cfg.get("trigger")
    n_train = sum(1 for i in manifest["items"] if i["role"] == "train")
    n_hold = sum(1 for i in manifest["items"] if i["role"] == "holdout")
    base_id = base["name"] if base["name"] in BUILTIN else Path(base["name"]).name
    yaml = ["---", f"base_model: {base_id}", "library_name: diffusers", "license: other",
            "pipeline_tag: text-to-image", "tags:", "- text-to-image", "- stable-diffusion", "- diffusers",
            "- lora", "- studio"]
    if trigger:
        yaml.append(f"instance_prompt: {trigger}")
    yaml += ["inference: false", "---", ""]
    who = (f"creator {manifest['creator']}'s own portfolio images, each with a recorded consent record"
           if manifest.get("creator") else "a folder of captioned images")
    example = manifest.get("sample_prompts", [""])[0] if manifest.get("sample_prompts") else (trigger or "")
    bias, gamma = cfg.get("timestep_bias") or 0, cfg.get("snr_gamma")
    noise = (f"offset {cfg.get('noise_offset') or 0}; timesteps "
             f"{f'biased to noisier ones, density (t/T)^{bias}' if bias else 'uniform'}; "
             f"loss {f'min-SNR-gamma {gamma}' if gamma else 'MSE'}")
    guidance = (manifest.get("inference") or {}).get("guidance_scale")
    guidance_arg = f", guidance_scale={guidance}" if guidance is not None else ""
    body = f"""# {name}

A personal LoRA creation model trained by **studio** on {who}.
Base model: `{base['name']}` (sha256 `{base['sha256'][:16]}...`).

## Use

```python
from diffusers import StableDiffusionPipeline
pipe = StableDiffusionPipeline.from_pretrained("{base['path']}")
pipe.load_lora_weights("{Path(folder).resolve()}")
image = pipe({example!r}{guidance_arg}).images[0]
```

{f'Trigger word: `{trigger}` (add it to prompts for the style).' if trigger else ''}
A kohya-format copy (`kohya/{name}.safetensors`) loads into AUTOMATIC1111, ComfyUI and similar tools.

## Training

| | |
|---|---|
| items | {n_train} trained on, {n_hold} held out for the quality gate |
| steps | {metrics.get('steps')} at batch {cfg['batch_size']}, resolution {manifest.get('resolution')} |
| LoRA | rank {cfg['rank']}, alpha {cfg['alpha'] or cfg['rank']}, UNet layers: {cfg.get('lora_layers', 'attention')}, text encoder {'trained' if cfg['train_text_encoder'] else 'frozen'} |
| optimiser | AdamW, lr {cfg['lr']}, {cfg['warmup_steps']} warm-up steps |
| noise | {noise} |
| seed | {cfg['seed']} |
| caption dropout | {cfg.get('caption_dropout') or 0} of captions trained as the empty one |
| generates at | guidance {guidance if guidance is not None else "the base's own"} |
| decoder | {f"the base's VAE decoder tuned {cfg.get('decoder_steps')} steps on the training images (`{manifest['decoder']}`; load it with `pipe.vae.load_state_dict(..., strict=False)` after the LoRA)" if manifest.get('decoder') else "the base's own"} |
| grain | {_grain_line(manifest.get('grain'))} |
| final loss (mean of last 20 steps) | {metrics.get('final_loss')} |
| time | {metrics.get('seconds')} s on {metrics.get('device')} ({metrics.get('steps_per_s')} steps/s) |

Settings left at their defaults were chosen by measurement on the embedded base over several
portfolios (`bench/tune_style.py`); see `studio.training.config.TrainConfig`.
Every training item's sha256, caption and consent record are listed in `training_manifest.json`.
Outputs are non-exclusive.
"""
    path = Path(folder) / "README.md"
    path.write_text("\n".join(yaml) + body)
    return path


def _grain_line(grain: dict | None) -> str:
    if not grain:
        return "none (the portfolio has no grain the base's VAE loses)"
    return (f"std {grain['std']}, size {grain['sigma']} px, added after decoding (studio.models.grain; "
            "plain diffusers and the kohya copy draw without it)")


def write_text_card(folder: Path, manifest: dict) -> Path:
    """README.md of a text model, with Hugging Face YAML metadata, from the manifest's facts only."""
    cfg, metrics, base = manifest["config"], manifest["metrics"], manifest["base"]
    n_train = sum(1 for i in manifest["items"] if i["role"] == "train")
    n_hold = sum(1 for i in manifest["items"] if i["role"] == "holdout")
    base_id = base["name"] if "/" not in base["name"] else Path(base["name"]).name
    who = (f"creator {manifest['creator']}'s own writing samples, each with a recorded consent record"
           if manifest.get("creator") else "a folder of writing samples")
    yaml = ["---", f"base_model: {base_id}", "library_name: peft", "license: other", "pipeline_tag: text-generation",
            "tags:", "- text-generation", "- lora", "- peft", "- studio", "inference: false", "---", ""]
    body = f"""# {manifest['name']}

A personal LoRA text model trained by **studio** on {who}.
Base model: `{base['name']}` (sha256 `{base['sha256'][:16]}...`).

## Use

```python
from transformers import AutoModelForCausalLM, AutoTokenizer
from peft import PeftModel
base = AutoModelForCausalLM.from_pretrained("{base['path']}")
tokenizer = AutoTokenizer.from_pretrained("{base['path']}")
model = PeftModel.from_pretrained(base, "{Path(folder).resolve()}")
```

Prompt with the brief, then `copy:` (see `studio.text.inference.brief_prompt`); on the embedded base the
business's name comes out as the slot `[business]`, which `studio.text.inference.write` fills in.

## Training

| | |
|---|---|
| writing samples | {n_train} trained on, {n_hold} held out for the quality gate |
| steps | {metrics.get('steps')} at batch {cfg['batch_size']} |
| LoRA | rank {cfg['rank']}, alpha {cfg['alpha'] or cfg['rank']}, on every attention and MLP projection |
| optimiser | AdamW, lr {cfg['lr']}, {cfg['warmup_steps']} warm-up steps; loss on the copy only |
| seed | {cfg['seed']} |
| final loss (mean of last 20 steps) | {metrics.get('final_loss')} |
| time | {metrics.get('seconds')} s on {metrics.get('device')} ({metrics.get('steps_per_s')} steps/s) |

Defaults were chosen by measurement on the tuning writers (`bench/bench_text_train.py`); see
`studio.training.config.TextTrainConfig`. Every sample's sha256, brief and consent record are listed in
`training_manifest.json`. Outputs are non-exclusive.
"""
    path = Path(folder) / "README.md"
    path.write_text("\n".join(yaml) + body)
    return path


def image_grid(images, columns: int | None = None):
    """Images side by side in one picture (sample previews)."""
    from PIL import Image

    columns = columns or len(images)
    w, h = images[0].size
    rows = -(-len(images) // columns)
    out = Image.new("RGB", (w * columns, h * rows), "white")
    for i, img in enumerate(images):
        out.paste(img.convert("RGB"), ((i % columns) * w, (i // columns) * h))
    return out
