"""Style and prompt-following metrics: how close a set of images is to a creator's own work.

Pure functions over PIL images; the quality gate (`studio.quality.gate`) decides with them.

Style is measured apart from content. A prompt decides *what* is drawn (which shapes, which colour
names); a creator's style is *how*: the ground they paint on, outlines, grain, softness, how much
of the frame the subject fills, how vivid or muted their colours are, and which exact colours they
use for a named one. So the per-image features below avoid the hue of what the prompt asked for,
and outputs are compared with the creator's own image *for the same caption* (content matched);
the palette is compared separately, as a set of colours whose order and placement do not matter.
"""

from __future__ import annotations

FEATURES = ("ground_red", "ground_green", "ground_blue", "ground_grain", "subject_share",
            "subject_saturation", "subject_brightness", "outline_darkness", "edge_sharpness", "edge_density")


def _rgb(img):
    import numpy as np

    return np.asarray(img.convert("RGB").resize((64, 64)), dtype=np.float64) / 255.0


def style_features(img) -> list[float]:
    """Content-free style statistics of one image, each roughly in [0, 1] (see :data:`FEATURES`).

    The ground is what the image's border mostly shows; the subject is every pixel far from it.
    """
    import numpy as np

    rgb = _rgb(img)
    border = np.concatenate([rgb[:3].reshape(-1, 3), rgb[-3:].reshape(-1, 3),
                             rgb[:, :3].reshape(-1, 3), rgb[:, -3:].reshape(-1, 3)])
    ground = np.median(border, axis=0)
    far = np.sqrt(((rgb - ground) ** 2).sum(axis=2)) > 0.2
    grey = rgb @ np.array([0.299, 0.587, 0.114])
    lap = np.abs(4 * grey[1:-1, 1:-1] - grey[:-2, 1:-1] - grey[2:, 1:-1] - grey[1:-1, :-2] - grey[1:-1, 2:])
    flat_ground = ~far[1:-1, 1:-1]
    grain = float(np.median(lap[flat_ground])) if flat_ground.any() else 0.0
    mx, mn = rgb.max(axis=2), rgb.min(axis=2)
    sat = np.where(mx > 0, (mx - mn) / np.maximum(mx, 1e-6), 0.0)
    subject = far if far.any() else np.ones_like(far)
    gx, gy = np.abs(np.diff(grey, axis=1))[:-1, :], np.abs(np.diff(grey, axis=0))[:, :-1]
    grad = np.maximum(gx, gy)
    edges = grad > 0.08
    # an outline is a band darker than the fill beside it: how dark the edge pixels are vs the subject
    edge_grey = float(grey[:-1, :-1][edges].mean()) if edges.any() else float(grey[subject].mean())
    outline = max(0.0, float(grey[subject].mean()) - edge_grey)
    sharp = float(np.sort(grad.ravel())[-40:].mean())
    return [*ground, min(1.0, grain * 10), float(far.mean()), float(sat[subject].mean()), float(mx[subject].mean()),
            outline, sharp, float(edges.mean())]


def _groups(images) -> list[list]:
    """A flat list of images is one group; a list of lists is several (one per prompt)."""
    images = list(images)
    return images if images and isinstance(images[0], (list, tuple)) else [images]


def style_distance(images, reference, scale=None) -> float:
    """How far a set of images is from a reference set in style: the distance between their mean
    feature vectors, each feature divided by ``scale`` (default: the reference's spread)."""
    import numpy as np

    a = np.array([style_features(i) for i in images])
    r = np.array([style_features(i) for i in reference])
    scale = np.asarray(scale) if scale is not None else r.std(axis=0) + 0.02
    return _feature_distance(a, r, scale)


def _feature_distance(a, r, scale) -> float:
    import numpy as np

    return float(np.sqrt(np.mean(((a.mean(axis=0) - r.mean(axis=0)) / scale) ** 2)))


def palette(images, k: int = 6, pixels: int = 6000, seed: int = 0):
    """The ``k`` colours a set of images is mostly made of, with their shares: ``(centres [k, 3], weights [k])``.

    k-means over a fixed random sample of the pooled pixels (RGB in [0, 1]); deterministic for a seed."""
    return _palette_of([_rgb(i).reshape(-1, 3) for i in images], k, pixels, seed)


def _palette_of(pixel_sets, k: int = 6, pixels: int = 6000, seed: int = 0):
    import numpy as np
    from scipy.cluster.vq import kmeans2

    px = np.concatenate(pixel_sets)
    rng = np.random.default_rng(seed)
    px = px[rng.choice(len(px), size=min(pixels, len(px)), replace=False)]
    # k-means++ from a fixed seed; a colour-poor image set simply gives near-duplicate centres
    centres, labels = kmeans2(px, k, minit="++", seed=seed)
    weights = np.bincount(labels, minlength=k) / len(labels)
    keep = weights > 0
    return centres[keep], weights[keep]


def palette_distance(images, reference) -> float:
    """How far the colours of ``images`` are from those of ``reference``, order and placement aside.

    Both palettes (:func:`palette`) are matched colour to nearest colour, both ways, weighted by how
    much of the images each colour covers: 0 is the same palette; 1 is as far as black from white
    on one channel. Content matters only through which colours it makes the images use."""
    return _palette_match(palette(images), palette(reference))


def _palette_match(pa, pb) -> float:
    import numpy as np

    (a, wa), (b, wb) = pa, pb
    d = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))
    return float(0.5 * ((wa * d.min(axis=1)).sum() + (wb * d.min(axis=0)).sum()))


BOOTSTRAP = 200  # resamples for the intervals of compare_styles (fixed seed: the same images, the same interval)


def compare_styles(base_images, model_images, reference, portfolio=None) -> dict:
    """Style and palette distances of the base's and the model's outputs to the reference, and how sure
    the model's difference from the base is.

    Each argument is a list of images, or a list of groups: then group k of the outputs is compared
    with group k of the reference (the outputs for one held-out caption with the creator's own image
    for that caption, so that content is matched and only style differs), and distances are averaged.
    Style features share one scale (the spread of all images together). The palette is a property of
    the whole portfolio: all outputs pooled are compared with ``portfolio`` (default: the reference).

    ``*_difference_lower/upper``: a 95% percentile-bootstrap interval of (model - base) for each
    distance, resampling each caption's outputs (the seeds) with replacement, model and base alike;
    an upper end below 0 says the model is closer than the base by more than the seeds' luck.
    """
    import numpy as np

    base_g, model_g, ref_g = _groups(base_images), _groups(model_images), _groups(reference)
    feats = {id(i): style_features(i) for g in base_g + model_g + ref_g for i in g}
    every = np.array(list(feats.values()))
    scale = every.std(axis=0) + 0.02
    fb, fm, fr = ([np.array([feats[id(i)] for i in g]) for g in gs] for gs in (base_g, model_g, ref_g))
    pb, pm = ([[_rgb(i).reshape(-1, 3) for i in g] for g in gs] for gs in (base_g, model_g))  # per group, image
    refs = list(portfolio) if portfolio is not None else [i for g in ref_g for i in g]
    ref_palette = palette(refs)

    def style(groups, picks):
        return float(np.mean([_feature_distance(f[p], r, scale) for f, r, p in zip(groups, fr, picks)]))

    def colours(pixel_groups, picks):
        return _palette_match(_palette_of([g[j] for g, p in zip(pixel_groups, picks) for j in p]), ref_palette)

    def distances(picks_b, picks_m):
        return style(fb, picks_b), style(fm, picks_m), colours(pb, picks_b), colours(pm, picks_m)

    sb, sm, cb, cm = distances([np.arange(len(g)) for g in base_g], [np.arange(len(g)) for g in model_g])
    rng = np.random.default_rng(0)
    diffs = []
    for _ in range(BOOTSTRAP):
        picks_b = [rng.integers(0, len(g), len(g)) for g in base_g]
        picks_m = [rng.integers(0, len(g), len(g)) for g in model_g]
        b_s, m_s, b_c, m_c = distances(picks_b, picks_m)
        diffs.append((m_s - b_s, m_c - b_c))
    lo, hi = np.percentile(np.array(diffs), [2.5, 97.5], axis=0)
    return {"style_distance_base": round(sb, 4), "style_distance_model": round(sm, 4),
            "palette_distance_base": round(cb, 4), "palette_distance_model": round(cm, 4),
            "style_difference_lower": round(float(lo[0]), 4), "style_difference_upper": round(float(hi[0]), 4),
            "palette_difference_lower": round(float(lo[1]), 4), "palette_difference_upper": round(float(hi[1]), 4)}


def prompt_following(images, prompts) -> dict | None:
    """How often the shapes-world checker sees what a one-shape prompt asked for, in any wording.

    Prompts that name exactly one shape are scored for the shape, and for its colour when they name
    one. None when the checker is not installed or no prompt names a single shape."""
    from studio.models import checker, world

    if not (checker.CHECKER_DIR / checker.WEIGHTS).is_file():
        return None
    wanted = []
    for img, prompt in zip(images, prompts):
        objects, _bg = world.read_caption(prompt)
        if len(objects) == 1:
            wanted.append((img, *objects[0]))
    if not wanted:
        return None
    preds = checker.Checker.load()([w[0] for w in wanted])
    shape = sum(p["shape"] == sh for p, (_, _c, sh) in zip(preds, wanted)) / len(wanted)
    coloured = [(p, c) for p, (_, c, _s) in zip(preds, wanted) if c is not None]
    result = {"n": len(wanted), "shape_accuracy": round(shape, 4)}
    if coloured:
        result["color_accuracy"] = round(sum(p["color"] == c for p, c in coloured) / len(coloured), 4)
    return result
