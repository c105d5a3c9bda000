"""Style and prompt-following metrics: how close a set of images is to a creator's own work.

Pure functions over PIL images; the quality gate (`studio.quality.gate`) decides with them.
"""

from __future__ import annotations


FEATURES = ("red", "green", "blue", "red_sd", "green_sd", "blue_sd", "saturation", "brightness",
            "edges", "fine_texture", "edge_density")


def style_features(img) -> list[float]:
    """Colour and texture statistics of one image, each roughly in [0, 1]."""
    import numpy as np

    rgb = np.asarray(img.convert("RGB").resize((64, 64)), dtype=np.float64) / 255.0
    mx, mn = rgb.max(axis=2), rgb.min(axis=2)
    sat = np.where(mx > 0, (mx - mn) / np.maximum(mx, 1e-6), 0.0)
    grey = rgb @ np.array([0.299, 0.587, 0.114])
    gx, gy = np.abs(np.diff(grey, axis=1)), np.abs(np.diff(grey, axis=0))
    grad = (gx[:-1, :] + gy[:, :-1]) / 2
    lap = np.abs(4 * grey[1:-1, 1:-1] - grey[:-2, 1:-1] - grey[2:, 1:-1] - grey[1:-1, :-2] - grey[1:-1, 2:])
    return [*rgb.mean(axis=(0, 1)), *rgb.std(axis=(0, 1)), float(sat.mean()), float(mx.mean()),
            float(grad.mean()), float(lap.mean()), float((grad > 0.1).mean())]


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
    return float(np.sqrt(np.mean(((a.mean(axis=0) - r.mean(axis=0)) / scale) ** 2)))


def compare_styles(base_images, model_images, reference) -> dict:
    """Style distances of the base's and the model's outputs to the reference, on one common scale
    (the spread of all images together).

    Each argument is a list of images, or a list of groups: then group k of the outputs is compared
    with group k of the reference (the outputs for one held-out caption with the creator's own image
    for that caption, so that content is matched and only style differs), and distances are averaged.
    """
    import numpy as np

    base_g, model_g, ref_g = _groups(base_images), _groups(model_images), _groups(reference)
    every = [i for g in base_g + model_g + ref_g for i in g]
    scale = np.array([style_features(i) for i in every]).std(axis=0) + 0.02

    def mean_distance(groups):
        return float(np.mean([style_distance(g, r, scale) for g, r in zip(groups, ref_g)]))

    return {"style_distance_base": round(mean_distance(base_g), 4),
            "style_distance_model": round(mean_distance(model_g), 4)}


def prompt_following(images, prompts, trigger: str | None) -> dict | None:
    """Checker accuracy on single-shape shapes-world prompts, when the checker is installed."""
    from studio.models import checker, world

    if not (checker.CHECKER_DIR / checker.WEIGHTS).is_file():
        return None
    wanted = []
    for img, prompt in zip(images, prompts):
        text = prompt.replace(f", {trigger}", "").strip() if trigger else prompt
        try:
            objects, _bg = world.parse_caption(text)
        except ValueError:
            continue
        if len(objects) == 1:
            wanted.append((img, *objects[0]))
    if not wanted:
        return None
    preds = checker.Checker.load()([w[0] for w in wanted])
    color = sum(p["color"] == c for p, (_, c, _s) in zip(preds, wanted)) / len(wanted)
    shape = sum(p["shape"] == sh for p, (_, _c, sh) in zip(preds, wanted)) / len(wanted)
    return {"n": len(wanted), "color_accuracy": round(color, 4), "shape_accuracy": round(shape, 4)}

