"""Portfolios in distinct styles, for measuring whether a creation model learns a style.

Each :class:`PortfolioStyle` is a made-up creator: their own colours (not the base's eleven), their
ground, outlines, grain and layout habits, and how they caption (partly in the base's grammar,
partly in their own words, with their style word). Two sets that never mix:

- :data:`TUNING`: used to choose the training defaults (``bench/tune_style.py``);
- :data:`HELD_OUT`: used only to report the figures (``bench/bench_style.py``), never to choose.

The sample creators of ``studio.samples`` (Mira, Juno, Oskar) are a third, separate check.

    python bench/style_portfolios.py OUT_DIR   # writes every portfolio as PNG + same-name .txt
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.models import world  # noqa: E402


@dataclass(frozen=True)
class PortfolioStyle:
    name: str
    trigger: str
    colors: tuple[tuple[int, int, int], ...]  # the creator's own fills
    ground: tuple[int, int, int]
    look: world.Style
    shapes: tuple[str, ...] = world.SHAPES
    counts: tuple[float, float, float] = (0.5, 0.35, 0.15)  # how often 1, 2 or 3 shapes
    grammar_share: float = 0.5  # captions in the base's grammar; the rest in the creator's own words
    words: tuple[str, ...] = field(default=("study", "sketch", "piece"))  # the creator's own caption words


def nearest_name(rgb) -> str:
    return min(world.COLORS, key=lambda n: sum((a - b) ** 2 for a, b in zip(world.COLORS[n], rgb)))


def _own_words(objects, rng: random.Random, style: PortfolioStyle) -> str:
    shapes = [s for _, s in objects]
    word = rng.choice(style.words)
    forms = [" and ".join(f"a {s}" for s in shapes),
             f"{len(shapes)} shapes: " + ", ".join(shapes) if len(shapes) > 1 else f"one {shapes[0]}",
             f"{' and '.join(shapes)} {word}",
             f"my {word}, " + " with a ".join(shapes)]
    return rng.choice(forms)


def render_portfolio(style: PortfolioStyle, n: int = 24, seed: int = 0) -> list[tuple[object, str]]:
    """``n`` (image, caption) pairs in ``style``; the same seed gives the same portfolio."""
    rng = random.Random(f"{style.name}:{seed}")
    ground_name = nearest_name(style.ground)
    out = []
    for i in range(n):
        k = rng.choices((1, 2, 3), weights=style.counts)[0]
        fills = [rng.choice(style.colors) for _ in range(k)]
        objects = [(nearest_name(c), rng.choice(style.shapes)) for c in fills]
        # a name may stand for the creator's own colour: draw that name in their RGB
        named = {name: rgb for (name, _), rgb in zip(objects, fills)}
        bg_name = ground_name if ground_name not in named else "gray"
        look = style.look.replace(colors=tuple({**named, bg_name: style.ground}.items()))
        scene = world.sample_scene(rng, look, objects=objects, background=bg_name)
        img = world.draw_scene(scene, look, rng)
        if rng.random() < style.grammar_share:
            caption = world.make_caption(objects, bg_name)
        else:
            caption = _own_words(objects, rng, style)
        out.append((img, f"{caption}, {style.trigger}"))
    return out


def write_portfolio(style: PortfolioStyle, folder: Path, n: int = 24, seed: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, (img, caption) in enumerate(render_portfolio(style, n, seed)):
        img.save(folder / f"{style.name}-{i:02d}.png")
        (folder / f"{style.name}-{i:02d}.txt").write_text(caption + "\n")
    return folder


TUNING = (
    # muted earth tones, thin brown outlines, on beige
    PortfolioStyle("earth", "qvearth", colors=((150, 90, 60), (110, 120, 70), (190, 150, 80)), ground=(225, 210, 180),
                   look=world.Style(size=(0.4, 0.6), rotation=10.0, outline_width=(1, 2), outline_prob=1.0,
                                    outline_color=(80, 50, 30), color_jitter=6.0, background_gradient=0.05),
                   words=("earthy", "study", "tile")),
    # saturated neon on black, no outline, soft glow
    PortfolioStyle("neon", "zzneon", colors=((255, 40, 200), (40, 255, 120), (60, 220, 255)), ground=(10, 10, 18),
                   look=world.Style(size=(0.35, 0.55), rotation=0.0, outline_width=(0, 0), color_jitter=4.0,
                                    background_gradient=0.0, blur=0.9),
                   words=("glow", "night", "neon")),
    # grey ink wash: desaturated fills, heavy black outlines, grain, on off-white paper
    PortfolioStyle("inkwash", "kwink", colors=((120, 125, 140), (90, 95, 100), (170, 160, 150)), ground=(240, 238, 230),
                   look=world.Style(size=(0.4, 0.7), rotation=30.0, outline_width=(3, 5), outline_prob=1.0,
                                    outline_color=(10, 10, 10), texture=14.0, color_jitter=8.0, background_gradient=0.1),
                   words=("wash", "ink", "sketch")),
    # added for issue 10's second round of tuning: pale fills, grain and a dark ground (a look the first three
    # lacked), and big grainy soft-edged inks on paper; neither shares a colour with a held-out portfolio
    # pastel fills (peach, mint, sky) with heavy grain on dark plum
    PortfolioStyle("dusk", "dskstyle", colors=((250, 205, 175), (185, 235, 210), (175, 205, 245)), ground=(45, 25, 55),
                   look=world.Style(size=(0.3, 0.6), rotation=20.0, outline_width=(0, 0), texture=24.0,
                                    color_jitter=6.0, background_gradient=0.05),
                   grammar_share=0.5, words=("night", "soft")),
    # screen print: two inks (bottle green, rose), big overlapping shapes, grain, soft edges, on off-white
    PortfolioStyle("screen", "scrnqq", colors=((20, 130, 80), (225, 60, 95)), ground=(248, 244, 230),
                   look=world.Style(size=(0.5, 0.8), rotation=30.0, outline_width=(0, 0), texture=14.0, blur=0.6,
                                    color_jitter=8.0, background_gradient=0.0, max_overlap=0.4),
                   grammar_share=0.5, words=("pull", "ink")),
)

HELD_OUT = (
    # the first folder: teal and magenta with thick black outlines on cream
    PortfolioStyle("tealmag", "zqstyle", colors=((0, 150, 150), (200, 30, 140)), ground=(245, 235, 205),
                   look=world.Style(size=(0.35, 0.6), rotation=20.0, outline_width=(3, 4), outline_prob=1.0,
                                    outline_color=(15, 15, 15), color_jitter=5.0, background_gradient=0.0),
                   grammar_share=0.3, words=("piece", "composition")),
    # the second folder: pastel shapes with heavy grain on dark navy
    PortfolioStyle("pastelnavy", "pnvstyle", colors=((250, 190, 200), (190, 230, 200), (200, 200, 250), (250, 235, 180)),
                   ground=(20, 30, 70),
                   look=world.Style(size=(0.35, 0.65), rotation=30.0, outline_width=(0, 0), texture=30.0,
                                    color_jitter=6.0, background_gradient=0.1),
                   grammar_share=0.6, words=("dream", "grain")),
    # risograph-like: orange and blue, big shapes, medium grain, slight blur, on warm white
    PortfolioStyle("riso", "risoqq", colors=((255, 110, 40), (30, 80, 190)), ground=(250, 245, 235),
                   look=world.Style(size=(0.55, 0.8), rotation=45.0, outline_width=(0, 0), texture=16.0, blur=0.5,
                                    color_jitter=10.0, background_gradient=0.0, max_overlap=0.4),
                   grammar_share=0.5, words=("print", "riso")),
)


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "portfolios")
    for st in TUNING + HELD_OUT:
        print(write_portfolio(st, out / st.name))
