"""Settings and small inputs shared by the unit tests: a handful of training steps on a tiny random base."""

import io

STEPS = 8
FAST = dict(steps=STEPS, batch_size=2, rank=4, checkpoint_every=0, sample_every=0, threads=1,
            decoder_steps=0)  # the creator's own decoder is tested on its own (test_decoder.py)


def png(colour: str) -> bytes:
    """A 16x16 PNG of one colour."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (16, 16), colour).save(buf, format="PNG")
    return buf.getvalue()
