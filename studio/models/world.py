"""A procedural world of coloured shapes: the data the studio-tiny base is pretrained on.

Every image is 64x64 RGB, one to three shapes on a flat (optionally textured)
background, with a caption in exactly this grammar::

    a {color} {shape} on a {background} background
    a red circle and a blue square on a white background

Everything is deterministic from a seed. A :class:`Style` changes how a scene
looks (sizes, outlines, pastel fills, texture, rotation...) without changing
what it is, so the sample creators in ``studio.samples`` can each draw the same
world in their own hand.

Only numpy and Pillow are needed here (no torch).
"""

from __future__ import annotations

import dataclasses
import math
import random
import re
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SIZE = 64

COLORS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "orange": (245, 135, 20),
    "yellow": (245, 220, 35),
    "green": (35, 165, 60),
    "blue": (35, 80, 225),
    "purple": (135, 45, 180),
    "pink": (245, 145, 195),
    "brown": (125, 75, 35),
    "black": (20, 20, 20),
    "white": (245, 245, 245),
    "gray": (128, 128, 128),
}
COLOR_NAMES: tuple[str, ...] = tuple(COLORS)
SHAPES: tuple[str, ...] = ("circle", "square", "triangle")

CAPTION_RE = re.compile(
    r"^a (?P<objs>(?:[a-z]+ [a-z]+)(?: and a [a-z]+ [a-z]+)*) on a (?P<bg>[a-z]+) background$"
)


@dataclass(frozen=True)
class Style:
    """How a scene is drawn. The defaults are the pretraining distribution.

    Every field is a plain number or range, so a creator style is just a
    ``Style(...)`` with a few fields changed (see :data:`STYLES`).
    """

    size: tuple[float, float] = (0.35, 0.70)  # shape size as a fraction of the image side
    rotation: float = 30.0  # max rotation in degrees (+/-) for squares and triangles
    outline_width: tuple[int, int] = (0, 0)  # outline width range in pixels (0 = none)
    outline_prob: float = 0.25  # chance a shape gets an outline when outline_width allows
    outline_color: tuple[int, int, int] | None = None  # None: a darker shade of the fill
    pastel: float = 0.0  # 0 = pure colour, 1 = white: blends fills and backgrounds towards white
    color_jitter: float = 12.0  # per-channel random offset of each colour (0-255 scale)
    texture: float = 0.0  # amplitude of per-pixel noise on the whole image (0-255 scale)
    background_gradient: float = 0.15  # max brightness change across the background (0..1)
    blur: float = 0.0  # Gaussian blur radius applied at the end
    max_overlap: float = 0.15  # max fraction of a shape's box overlapping earlier shapes
    supersample: int = 4  # render at this multiple of 64, then downsample (anti-aliasing)
    colors: tuple[tuple[str, tuple[int, int, int]], ...] = ()  # a painter's own RGB for some colour names

    def replace(self, **changes) -> "Style":
        return dataclasses.replace(self, **changes)


DEFAULT_STYLE = Style(outline_width=(1, 3))

STYLES: dict[str, Style] = {
    "default": DEFAULT_STYLE,
    # soft flat pastel shapes, no outline, no texture, gentle size
    "flat-pastel": Style(size=(0.45, 0.65), rotation=0.0, pastel=0.45, color_jitter=4.0,
                         background_gradient=0.0, outline_width=(0, 0)),
    # ink drawing: thick dark outlines, crisp, slightly smaller shapes
    "ink": Style(size=(0.35, 0.6), outline_width=(3, 5), outline_prob=1.0,
                 outline_color=(15, 15, 25), color_jitter=6.0, background_gradient=0.0),
    # grainy paper: textured noise, blur, rotated shapes
    "textured": Style(size=(0.4, 0.7), rotation=45.0, texture=28.0, blur=0.6,
                      background_gradient=0.3, color_jitter=18.0),
}


def random_look(rng: random.Random) -> Style:
    """A random way of drawing that keeps every colour name true (no pastel): outlines, grain, blur,
    sizes, rotation. Part of the base's pretraining, so that a creator's look is near what it knows."""
    dark = rng.random() < 0.5
    return Style(size=(rng.uniform(0.25, 0.45), rng.uniform(0.5, 0.75)), rotation=rng.choice((0.0, 15.0, 45.0)),
                 outline_width=(rng.randint(1, 3), rng.randint(3, 6)), outline_prob=rng.choice((0.0, 0.5, 1.0)),
                 outline_color=(15, 15, 20) if dark else None, color_jitter=rng.uniform(4, 16),
                 texture=rng.choice((0.0, 0.0, 10.0, 25.0)), background_gradient=rng.uniform(0, 0.3),
                 blur=rng.choice((0.0, 0.0, 0.5, 0.9)))


@dataclass(frozen=True)
class Shape:
    color: str
    shape: str
    cx: float  # centre, in [0, 1]
    cy: float
    size: float  # side / diameter as a fraction of the image
    angle: float  # degrees


@dataclass(frozen=True)
class Scene:
    background: str
    shapes: tuple[Shape, ...] = field(default_factory=tuple)

    @property
    def objects(self) -> list[tuple[str, str]]:
        return [(s.color, s.shape) for s in self.shapes]

    @property
    def caption(self) -> str:
        return make_caption(self.objects, self.background)


def make_caption(objects: list[tuple[str, str]], background: str) -> str:
    """``[("red", "circle")], "white"`` -> ``"a red circle on a white background"``."""
    if not objects:
        raise ValueError("a caption needs at least one shape")
    for color, shape in objects:
        if color not in COLORS or shape not in SHAPES:
            raise ValueError(f"unknown colour or shape: {color!r} {shape!r}")
    if background not in COLORS:
        raise ValueError(f"unknown background colour: {background!r}")
    objs = " and ".join(f"a {c} {s}" for c, s in objects)
    return f"{objs} on a {background} background"


def parse_caption(caption: str) -> tuple[list[tuple[str, str]], str]:
    """Inverse of :func:`make_caption`; raises ValueError if the caption is off-grammar."""
    m = CAPTION_RE.match(caption)
    if not m:
        raise ValueError(f"caption does not follow the grammar: {caption!r}")
    objects = []
    for part in m.group("objs").split(" and a "):
        color, shape = part.split(" ")
        if color not in COLORS or shape not in SHAPES:
            raise ValueError(f"unknown colour or shape in caption: {caption!r}")
        objects.append((color, shape))
    bg = m.group("bg")
    if bg not in COLORS:
        raise ValueError(f"unknown background colour in caption: {caption!r}")
    return objects, bg


def _polygon(shape: str, cx: float, cy: float, size: float, angle: float) -> list[tuple[float, float]]:
    a = math.radians(angle)
    if shape == "square":
        h = size / 2
        pts = [(-h, -h), (h, -h), (h, h), (-h, h)]
    elif shape == "triangle":
        # equilateral triangle with the same bounding-box width as `size`, centred on its centroid
        r = size / math.sqrt(3)
        pts = [(r * math.cos(math.radians(-90 + 120 * k)), r * math.sin(math.radians(-90 + 120 * k)))
               for k in range(3)]
    else:
        raise ValueError(shape)
    ca, sa = math.cos(a), math.sin(a)
    return [(cx + x * ca - y * sa, cy + x * sa + y * ca) for x, y in pts]


def sample_scene(rng: random.Random, style: Style = DEFAULT_STYLE, n_shapes: int | None = None,
                 objects: list[tuple[str, str]] | None = None, background: str | None = None,
                 shape_count_weights: tuple[float, ...] = (0.6, 0.25, 0.15)) -> Scene:
    """Sample what is in a scene (colours, shapes, layout) from ``rng``.

    ``objects`` / ``background`` pin the content (e.g. to render a given prompt).
    The background colour is never the colour of a shape.
    """
    if objects is None:
        if n_shapes is None:
            n_shapes = rng.choices((1, 2, 3), weights=shape_count_weights)[0]
        objects = [(rng.choice(COLOR_NAMES), rng.choice(SHAPES)) for _ in range(n_shapes)]
    used = {c for c, _ in objects}
    if background is None:
        background = rng.choice([c for c in COLOR_NAMES if c not in used])
    elif background in used:
        raise ValueError(f"background {background!r} is also a shape colour")
    n = len(objects)
    # several shapes are drawn smaller so that they fit side by side
    shrink = {1: 1.0, 2: 0.72, 3: 0.6}.get(n, 0.55)
    placed: list[Shape] = []
    for color, shape in objects:
        best = None
        for _attempt in range(30):
            size = rng.uniform(*style.size) * shrink
            half = size / 2
            cx = rng.uniform(half + 0.02, 1 - half - 0.02)
            cy = rng.uniform(half + 0.02, 1 - half - 0.02)
            angle = rng.uniform(-style.rotation, style.rotation) if shape != "circle" else 0.0
            cand = Shape(color, shape, cx, cy, size, angle)
            overlap = max((_box_overlap(cand, p) for p in placed), default=0.0)
            if best is None or overlap < best[0]:
                best = (overlap, cand)
            if overlap <= style.max_overlap:
                break
        placed.append(best[1])
    return Scene(background, tuple(placed))


def _box_overlap(a: Shape, b: Shape) -> float:
    ax0, ax1, ay0, ay1 = a.cx - a.size / 2, a.cx + a.size / 2, a.cy - a.size / 2, a.cy + a.size / 2
    bx0, bx1, by0, by1 = b.cx - b.size / 2, b.cx + b.size / 2, b.cy - b.size / 2, b.cy + b.size / 2
    w = max(0.0, min(ax1, bx1) - max(ax0, bx0))
    h = max(0.0, min(ay1, by1) - max(ay0, by0))
    return (w * h) / (a.size * a.size)


def _rgb(name: str, style: Style, rng: random.Random) -> tuple[int, int, int]:
    base = dict(style.colors).get(name, COLORS[name])
    out = []
    for v in base:
        v = v + rng.uniform(-style.color_jitter, style.color_jitter)
        v = v + (255 - v) * style.pastel
        out.append(int(round(min(255, max(0, v)))))
    return tuple(out)


def draw_scene(scene: Scene, style: Style = DEFAULT_STYLE, rng: random.Random | None = None) -> Image.Image:
    """Draw a :class:`Scene` as a 64x64 RGB image (``rng`` drives only the look, not the content)."""
    rng = rng or random.Random(0)
    ss = max(1, style.supersample)
    W = SIZE * ss
    bg = np.array(_rgb(scene.background, style, rng), dtype=np.float32)
    # background: flat colour with a gentle linear brightness gradient
    g = rng.uniform(-style.background_gradient, style.background_gradient)
    theta = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) / (SIZE - 1) - 0.5
    ramp = (xx * math.cos(theta) + yy * math.sin(theta)) * g  # in [-g/1.4, g/1.4]
    bg_img = np.clip(bg[None, None, :] * (1 + ramp[..., None]), 0, 255).astype(np.uint8)
    img = Image.fromarray(bg_img).resize((W, W), Image.BILINEAR)
    draw = ImageDraw.Draw(img)
    for s in scene.shapes:
        fill = _rgb(s.color, style, rng)
        ow = 0
        if style.outline_width[1] > 0 and rng.random() < style.outline_prob:
            ow = rng.randint(*style.outline_width)
        if style.outline_color is not None:
            oc = style.outline_color
        else:
            oc = tuple(int(v * 0.45) for v in fill)
        cx, cy, size = s.cx * W, s.cy * W, s.size * W
        if s.shape == "circle":
            box = [cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2]
            if ow:
                draw.ellipse(box, fill=oc)
                o = ow * ss
                box = [box[0] + o, box[1] + o, box[2] - o, box[3] - o]
            draw.ellipse(box, fill=fill)
        else:
            pts = _polygon(s.shape, cx, cy, size, s.angle)
            if ow:
                draw.polygon(pts, fill=fill, outline=oc, width=ow * ss)
            else:
                draw.polygon(pts, fill=fill)
    img = img.resize((SIZE, SIZE), Image.LANCZOS if ss > 1 else Image.NEAREST)
    if style.texture > 0:
        nrng = np.random.default_rng(rng.getrandbits(32))
        arr = np.asarray(img).astype(np.float32)
        noise = nrng.normal(0, style.texture, size=(SIZE, SIZE, 1)).astype(np.float32)
        arr = np.clip(arr + noise, 0, 255).astype(np.uint8)
        img = Image.fromarray(arr)
    if style.blur > 0:
        img = img.filter(ImageFilter.GaussianBlur(style.blur))
    return img


def render(seed: int, style: Style | None = None, *, n_shapes: int | None = None,
           objects: list[tuple[str, str]] | None = None, background: str | None = None
           ) -> tuple[Image.Image, str, list[tuple[str, str]]]:
    """Render one scene from ``seed``: ``(image, caption, [(color, shape), ...])``.

    The same seed and style always give the same image and caption.
    """
    style = style or DEFAULT_STYLE
    rng = random.Random(f"studio-world:{seed}")
    scene = sample_scene(rng, style, n_shapes=n_shapes, objects=objects, background=background)
    img = draw_scene(scene, style, rng)
    return img, scene.caption, scene.objects


def render_many(seeds, style: Style | None = None, **kw):
    """Render several seeds; returns ``(uint8 array [N, 64, 64, 3], captions, objects)``."""
    imgs, caps, objs = [], [], []
    for s in seeds:
        im, c, o = render(int(s), style, **kw)
        imgs.append(np.asarray(im))
        caps.append(c)
        objs.append(o)
    return np.stack(imgs), caps, objs


def sample_prompt(rng: random.Random) -> tuple[str, str, str]:
    """A random single-shape prompt: ``(caption, color, shape)``."""
    color = rng.choice(COLOR_NAMES)
    shape = rng.choice(SHAPES)
    bg = rng.choice([c for c in COLOR_NAMES if c != color])
    return make_caption([(color, shape)], bg), color, shape


# Ordinary words a creator might put in a caption; the base's tokenizer does not know them, so
# pretraining shows them (and random letter strings standing for style words) next to the content.
FILLER_WORDS = ("drawing", "illustration", "simple", "bold", "style", "art", "flat", "cute", "minimal",
                "sketch", "poster", "icon", "shapes", "design", "print", "graphic", "kids", "modern",
                "my", "new", "the", "with", "of", "in", "by", "two", "three", "some", "nice", "colour")


def unknown_word(rng: random.Random) -> str:
    """A word the base has never seen: an ordinary filler word, or random letters like a style word."""
    if rng.random() < 0.4:
        return rng.choice(FILLER_WORDS)
    letters = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
    return letters + rng.choice(("", "", "style", "art", "ink"))


def vary_caption(objects: list[tuple[str, str]], background: str, rng: random.Random) -> str:
    """A caption for a scene as a person might write it, not only in the grammar.

    Half the time the grammar itself; otherwise the background, some colours or all of them are left
    out, or the words are listed with commas. A third of captions also carry one or two unknown words
    (style words, filler) before or after the content. Pretraining on these teaches the base to draw
    what a partial caption names and to ignore words it does not know.
    """
    r = rng.random()
    if r < 0.5:
        text = make_caption(objects, background)
    else:
        drop_all = r >= 0.8
        parts = []
        for color, shape in objects:
            keep = not drop_all and (r < 0.65 or rng.random() < 0.5)
            parts.append(f"{color} {shape}" if keep else shape)
        with_bg = rng.random() < 0.5
        if rng.random() < 0.3:  # "red circle, blue square, white background"
            text = ", ".join(parts + ([f"{background} background"] if with_bg else []))
        else:
            text = " and ".join(f"a {x}" for x in parts) + (f" on a {background} background" if with_bg else "")
    if rng.random() < 0.33:
        words = " ".join(unknown_word(rng) for _ in range(rng.choice((1, 1, 2))))
        text = f"{words} {text}" if rng.random() < 0.3 else f"{text}{rng.choice((', ', ' ', ', in ', ', by '))}{words}"
    return text


def read_caption(text: str) -> tuple[list[tuple[str | None, str]], str | None]:
    """What a caption in any words asks for, as far as the world's words tell: the shapes it names,
    each with the colour word just before it (or None), and the background colour if it names one.
    ``"two shapes: a red circle and a square, zqstyle"`` -> ``([("red", "circle"), (None, "square")], None)``."""
    words = re.findall(r"[a-z]+", text.lower())
    objects, background = [], None
    for i, w in enumerate(words):
        shape = w[:-1] if w.endswith("s") and w[:-1] in SHAPES else w
        if shape in SHAPES:
            color = words[i - 1] if i and words[i - 1] in COLORS else None
            objects.append((color, shape))
        elif w in ("background", "ground", "backdrop") and i and words[i - 1] in COLORS:
            background = words[i - 1]
    return objects, background


def vocabulary() -> list[str]:
    """Every word the captions can use."""
    return ["a", "on", "and", "background", *COLOR_NAMES, *SHAPES]
