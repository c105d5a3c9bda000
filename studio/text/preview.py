"""A text preview a buyer can judge but not use: the opening in full, the rest masked letter by letter.

    preview("Bloom Bakery: fun croissants for busy parents!")
    -> "Bloom Bakery: fun ••••••••••• ••• •••• •••••••!"

A buyer judging a writer's copy needs its voice, form and length: the opening words show the
voice; the masked rest keeps every word's length, the punctuation, emoji, hashtag marks and line
breaks, so the shape of a couplet or a post is visible. What is
masked cannot be recovered from the preview, so the preview is not a usable deliverable; the
purchase delivers the full text.
"""

from __future__ import annotations

import re

SHOWN = 0.4  # share of the words shown in full (at least MIN_SHOWN)
MIN_SHOWN = 2
MASK = "•"
WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def preview(text: str, shown: float = SHOWN) -> str:
    words = list(WORD_RE.finditer(text))
    keep = max(MIN_SHOWN, round(len(words) * shown))
    if len(words) <= keep:  # too short to show part of it: mask all but the first word
        keep = min(1, len(words) - 1) if len(words) > 1 else 0
    out, last = [], 0
    for i, m in enumerate(words):
        out.append(text[last:m.start()])
        out.append(m.group() if i < keep else MASK * len(m.group()))
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def card_png(text: str, width: int = 360, size: int = 15) -> bytes:
    """A preview text drawn as a PNG card, for places that show previews as pictures (a gallery)."""
    import io
    import textwrap

    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=size)
    chars = max(12, int(width / (size * 0.55)))
    lines = [piece for para in text.splitlines() or [""] for piece in (textwrap.wrap(para, chars) or [""])]
    line_h = int(size * 1.4)
    img = Image.new("RGB", (width, max(line_h * len(lines) + 24, 80)), "#fbfaf7")
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((12, 12 + i * line_h), line, fill="#222222", font=font)
    draw.rectangle((0, 0, width - 1, img.height - 1), outline="#d8d4cc")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
