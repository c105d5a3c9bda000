"""LoRA training of a creator's personal creation model (diffusers + peft, on accelerate).

    from studio.training import TrainConfig, train
    result = train(TrainConfig(base="studio-tiny", steps=300, trigger="mirastyle"), examples, out_dir)

- ``config.py``   every option of a run, declared once (default, bounds, help);
- ``lora.py``     the training loop, top to bottom in one file;
- ``data.py``     examples from a portfolio or folder, and the latent/caption cache;
- ``export.py``   diffusers and kohya adapter files, training manifest, model card;
- ``versions.py`` a creator's model versions in the studio home (folders reserved atomically);
- ``runs.py``     `TrainingRun`: a run the core owns, that any view can watch and cancel;
- ``service.py``  `Training`: starts runs for a creator and records what they produce;
- ``cli.py``      ``studio train``, ``studio generate`` and ``studio model ...``.

Heavy libraries (torch, diffusers, peft, accelerate) are imported inside functions.
"""

from __future__ import annotations

from studio.training.config import TrainConfig, TrainEvent


def train(*args, **kwargs):
    """See :func:`studio.training.lora.train`."""
    from studio.training.lora import train as _train

    return _train(*args, **kwargs)


__all__ = ["TrainConfig", "TrainEvent", "train"]
