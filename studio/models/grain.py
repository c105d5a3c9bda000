"""Grain a base cannot draw: measured on a creator's images, synthesised on their model's outputs.

A latent-diffusion base draws through its VAE, and a small VAE cannot give back pixel-level grain:
studio-tiny's turns 64x64 pixels into 16x16x4 latents, and a risograph print's speckle comes back
as a flat colour (the ground grain of a grainy portfolio falls from 1.0 to about 0.1 on the gate's
scale in a round trip). No adapter on the UNet can learn what the decoder cannot draw. Video
codecs meet the same limit and solve it the same way (AV1's film grain synthesis): measure the grain
the codec loses, send a few numbers, synthesise matching grain after decoding.

:func:`fit` runs the creator's training images through the VAE and keeps what the round trip lost
where the reconstruction is flat (away from edges, so a blurred outline is not taken for grain),
high-passed (so a slightly wrong flat colour is not either). From it: the colour covariance of the
grain (3x3, so luma and chroma grain are both kept) and its spatial correlation (the blur, among a
few, whose high-passed noise has the same neighbour correlation). The grain's size is the noise
that, put through the same measurement, reads the same (the high-pass removes part of it). A
portfolio whose round trip loses less than :data:`MIN_STD` gets no grain (None): crisp, flat styles
stay as the model draws them.

:func:`apply` adds that grain to an output, drawn from the output's seed: the same seed gives
the same image. The parameters are a few numbers in the model's manifest (``"grain"``).
:func:`remove` takes the grain out of the training images before they are encoded (a codec, too,
denoises before coding): the model learns the picture, the grain is added after.
"""

from __future__ import annotations

MIN_STD = 3.0 / 255  # grain (per-channel std, 0..1 scale) below this is the VAE's own error: none
FLAT = 0.04  # a reconstruction pixel is flat where its local gradient (0..1 scale) is below this
BLURS = (0.0, 0.5, 0.75, 1.0, 1.5)  # candidate grain sizes: the Gaussian blur of white noise, in pixels
_HIGH_PASS = 1.0  # the high-pass used to measure grain: the residual minus its blur at this sigma


def _blur(x, sigma: float):
    """Gaussian blur over the two spatial axes of [H, W, C] (edges reflected)."""
    from scipy.ndimage import gaussian_filter

    return x if sigma <= 0 else gaussian_filter(x, sigma=(sigma, sigma, 0), mode="reflect")


def _high(x):
    return x - _blur(x, _HIGH_PASS)


def _robust_std(values):
    """Per-column standard deviation from the median absolute deviation (Gaussian-consistent)."""
    import numpy as np

    return 1.4826 * np.median(np.abs(values - np.median(values, axis=0)), axis=0)


def _neighbour_correlation(hp, mask) -> float:
    """Mean correlation of a high-passed field with its right and lower neighbours, inside ``mask``."""
    import numpy as np

    num = den = 0.0
    for a, b, m in ((hp[:, :-1], hp[:, 1:], mask[:, :-1] & mask[:, 1:]), (hp[:-1], hp[1:], mask[:-1] & mask[1:])):
        num += float((a[m] * b[m]).sum())
        den += float(np.sqrt((a[m] ** 2).sum() * (b[m] ** 2).sum()))
    return num / den if den > 0 else 0.0


def _synthetic(sigma: float, cov, shape, rng):
    """Gaussian noise of colour covariance ``cov`` (before blurring), blurred by ``sigma`` and rescaled so
    that its per-pixel covariance is ``cov`` again."""
    import numpy as np

    white = rng.standard_normal(shape)
    if sigma > 0:
        white = _blur(white, sigma)
        white /= white.std(axis=(0, 1), keepdims=True) + 1e-12
    values, vectors = np.linalg.eigh(cov)
    root = vectors @ np.diag(np.sqrt(np.clip(values, 0, None))) @ vectors.T  # cov may be singular (grey grain)
    return white @ root.T


def fit(images, vae, device="cpu", dtype=None) -> dict | None:
    """The grain the VAE loses on ``images`` (float tensors [3, R, R] in [-1, 1], as training loads
    them): ``{"cov": 3x3 list, "sigma": blur, "std": mean per-channel std}`` on the 0..1 scale, or None.

    Measured where the image is flat once smoothed (no edge nearby): there, what a high-pass keeps
    of the creator's image is grain, and so is what it keeps of the reconstruction; the grain lost
    is the difference of their colour covariances."""
    import numpy as np
    import torch

    if not images:
        return None
    dtype = dtype or next(vae.parameters()).dtype
    originals, kept_by_vae, masks = [], [], []
    with torch.no_grad():
        for start in range(0, len(images), 8):
            x = torch.stack(list(images[start:start + 8])).to(device, dtype)
            y = vae.decode(vae.encode(x).latent_dist.mean).sample.clamp(-1, 1)
            for xi, yi in zip(x.float().cpu().numpy(), y.float().cpu().numpy()):
                orig, rec = (xi.transpose(1, 2, 0) + 1) / 2, (yi.transpose(1, 2, 0) + 1) / 2
                grey = _blur(orig, 1.5) @ np.array([0.299, 0.587, 0.114])
                grad = np.maximum(np.abs(np.gradient(grey, axis=0)), np.abs(np.gradient(grey, axis=1)))
                flat = _blur(grad[..., None], 1.5)[..., 0] < FLAT
                flat[:3], flat[-3:], flat[:, :3], flat[:, -3:] = False, False, False, False  # the blur's reflected edge
                originals.append(_high(orig))
                kept_by_vae.append(_high(rec))
                masks.append(flat)
    if sum(int(m.sum()) for m in masks) < 256:  # nearly nothing flat (a busy portfolio): no reliable measurement
        return None
    pooled = np.concatenate([o[m] for o, m in zip(originals, masks)])
    pooled_rec = np.concatenate([r[m] for r, m in zip(kept_by_vae, masks)])
    # robust spreads (median absolute deviation): the few edge pixels a flat-looking area still holds (a
    # pastel shape on a pastel ground) must not pass for grain; the grain lost is what the VAE did not keep
    lost_std = np.sqrt(np.clip(_robust_std(pooled) ** 2 - _robust_std(pooled_rec) ** 2, 0, None))
    typical = np.all(np.abs(pooled) <= 3 * _robust_std(pooled) + 1e-9, axis=1)
    colour = np.corrcoef(pooled[typical].T) if typical.sum() > 16 and lost_std.min() > 0 else np.eye(3)
    measured_cov = np.nan_to_num(colour, nan=0.0) * np.outer(lost_std, lost_std)
    corr = float(np.mean([_neighbour_correlation(o, m) for o, m in zip(originals, masks) if m.sum() > 16]))
    # which grain size gives high-passed noise with the same neighbour correlation, and how much of that
    # noise's variance the high-pass keeps (measured on synthetic noise: no formula to trust at the edges)
    rng = np.random.default_rng(0)
    shape = (64, 64, 3)
    inner = np.zeros(shape[:2], dtype=bool)
    inner[3:-3, 3:-3] = True
    best = None
    for sigma in BLURS:
        probes = [_high(_synthetic(sigma, np.eye(3), shape, rng)) for _ in range(8)]
        c = float(np.mean([_neighbour_correlation(p, inner) for p in probes]))
        kept = float(np.mean([p[inner].var(axis=0).mean() for p in probes]))
        if best is None or abs(c - corr) < abs(best[1] - corr):
            best = (sigma, c, kept)
    sigma, _c, kept = best
    cov = measured_cov / kept  # kept: the high-passed share of the noise's variance
    std = float(np.sqrt(np.clip(np.diag(cov), 0, None)).mean())
    if std < MIN_STD:
        return None
    return {"cov": [[round(float(v), 8) for v in row] for row in cov], "sigma": sigma, "std": round(std, 5)}


def remove(pixels, grain: dict | None):
    """``pixels`` ([N, 3, R, R] in [-1, 1]) with the fitted grain taken out (total-variation denoising,
    as strong as the grain): what the model is trained to draw, the grain being added after decoding.
    Unchanged when ``grain`` is None."""
    import numpy as np
    import torch
    from skimage.restoration import denoise_tv_chambolle

    if not grain:
        return pixels
    out = [denoise_tv_chambolle((p.permute(1, 2, 0).double().numpy() + 1) / 2, weight=float(grain["std"]),
                                channel_axis=-1) for p in pixels.cpu()]
    return torch.from_numpy(np.stack(out) * 2 - 1).permute(0, 3, 1, 2).to(pixels.dtype)


def apply(img, grain: dict | None, seed: int):
    """``img`` (PIL RGB) with the fitted grain added, drawn from ``seed``; unchanged when ``grain`` is None."""
    import numpy as np
    from PIL import Image

    if not grain:
        return img
    rgb = np.asarray(img.convert("RGB"), dtype=np.float64) / 255.0
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 0x67726E])  # "grn": apart from every other use of the seed
    noise = _synthetic(float(grain["sigma"]), np.asarray(grain["cov"], dtype=np.float64), rgb.shape, rng)
    return Image.fromarray(np.clip(np.rint((rgb + noise) * 255.0), 0, 255).astype(np.uint8))
