"""Training settings small enough for unit tests: a handful of steps on a tiny random base."""

STEPS = 8
FAST = dict(steps=STEPS, batch_size=2, rank=4, checkpoint_every=0, sample_every=0, threads=1)
