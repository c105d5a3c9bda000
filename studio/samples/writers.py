"""Copywriters' portfolios: (brief, copy) pairs in eight distinct styles, deterministic from a seed.

A copywriter's writing samples are pairs of a brief (:class:`studio.text.world.Brief`) and the copy
they wrote for it. The writers here (:data:`WRITERS`, styles in :mod:`studio.samples.writer_styles`)
write for the world's briefs in their own clearly different styles, none like the world's own
copy (:func:`studio.text.world.write`), and their copy still follows its brief by the world's
checker (:func:`studio.text.checker.check`), so a creator's model can be asked to move toward a
style without giving up on the brief.

    pairs = portfolio("hush", n=40, seed=0)              # what the creator uploads
    test = held_out_samples("hush", n=20, seed=0)        # briefs the model never saw, with the writer's copy
    write_jsonl(pairs, "hush.jsonl")                     # {"brief": <brief line>, "copy": <text>} per line
    write_folder(pairs, "hush/")                         # hush-000.txt ... + metadata.jsonl {"file_name", "text"}

The brief as text is :func:`brief_line`: the first line of :func:`studio.text.world.prompt`, without
the trailing ``copy:``; :func:`parse_brief_line` reads it back.

**Tuning and held-out writers.** :data:`TUNING` writers are the ones a benchmark may use to choose
training defaults (rank, steps, learning rate, ...). :data:`HELD_OUT` writers are for reporting
figures only: they must never be used to choose or adjust a default, a threshold or a style, or
the figures reported on them stop measuring how the defaults do on a writer nobody tuned for.
The two sets are disjoint, and each writer's held-out briefs come from their own stream.

:data:`SAMPLE_COPYWRITER` is the sample copywriter `studio samples seed` adds beside the image
creators (her writing samples, untrained); :func:`write_sample_portfolio` writes her folder.

Standard library only (plus :mod:`studio.text`).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from studio.samples.writer_styles import STYLES, Writer
from studio.text.world import COPY_MARK, Brief, briefs, parse_prompt, prompt

WRITERS: dict[str, Writer] = {cls.name: cls() for cls in STYLES}

# Benchmarks choose training defaults on these writers only ...
TUNING: tuple[str, ...] = ("hype", "hush", "measured", "questions")
# ... and report figures on these. Never use a held-out writer to choose anything.
HELD_OUT: tuple[str, ...] = ("mono", "emoji", "announcer", "numbers")


def writer(name: str) -> Writer:
    try:
        return WRITERS[name]
    except KeyError:
        raise ValueError(f"unknown writer {name!r}; one of {', '.join(WRITERS)}") from None


def _pairs(name: str, n: int, seed: int, stream: str) -> list[tuple[Brief, str]]:
    w = writer(name)
    rng = random.Random(f"writer:{name}:{stream}:{seed}")
    return [(b, w.write(b, rng)) for b in briefs(n, seed, namespace=f"writer:{name}:{stream}")]


def portfolio(name: str, n: int = 40, seed: int = 0) -> list[tuple[Brief, str]]:
    """The writer's portfolio: ``n`` briefs drawn for this writer and the copy they wrote for each."""
    return _pairs(name, n, seed, "portfolio")


def held_out_samples(name: str, n: int = 20, seed: int = 0) -> list[tuple[Brief, str]]:
    """More of the writer's work on briefs from another stream than :func:`portfolio`'s (to test a model on)."""
    return _pairs(name, n, seed, "held-out")


def brief_line(brief: Brief) -> str:
    """The brief as one line of text: the prompt without its trailing ``copy:``."""
    return prompt(brief).split("\n", 1)[0]


def parse_brief_line(line: str) -> Brief:
    """A :func:`brief_line` read back (``ValueError`` if it is not one)."""
    return parse_prompt(f"{line.strip()}\n{COPY_MARK}")


def write_jsonl(pairs: list[tuple[Brief, str]], path: str | Path) -> Path:
    """One JSON object per line: ``{"brief": brief_line, "copy": text}``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"brief": brief_line(b), "copy": c}, ensure_ascii=False) + "\n" for b, c in pairs),
                    encoding="utf-8")
    return path


def read_jsonl(path: str | Path) -> list[tuple[Brief, str]]:
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(parse_brief_line(r["brief"]), r["copy"]) for r in rows]


def write_folder(pairs: list[tuple[Brief, str]], folder: str | Path, prefix: str = "sample") -> list[Path]:
    """One ``<prefix>-NNN.txt`` per sample (the copy) and a ``metadata.jsonl`` of ``{"file_name", "text": brief_line}``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths, rows = [], []
    for i, (b, copy) in enumerate(pairs):
        path = folder / f"{prefix}-{i:03d}.txt"
        path.write_text(copy + "\n", encoding="utf-8")
        paths.append(path)
        rows.append(json.dumps({"file_name": path.name, "text": brief_line(b)}, ensure_ascii=False) + "\n")
    (folder / "metadata.jsonl").write_text("".join(rows), encoding="utf-8")
    return paths


def read_folder(folder: str | Path) -> list[tuple[Brief, str]]:
    """The pairs of a :func:`write_folder` folder, in ``metadata.jsonl`` order."""
    folder = Path(folder)
    rows = [json.loads(line) for line in (folder / "metadata.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(parse_brief_line(r["text"]), (folder / r["file_name"]).read_text(encoding="utf-8").removesuffix("\n"))
            for r in rows]


@dataclass(frozen=True)
class SampleCopywriter:
    handle: str
    name: str
    level: str
    writer: str  # a key of WRITERS
    trigger: str  # the creator's style word
    bio: str


SAMPLE_COPYWRITER = SampleCopywriter("tess", "Tess Ambrose", "pro", "hush", "tesswrites",
                                     "Quiet, lowercase copy for small shops: soft ellipses, no shouting, the small things.")


def write_sample_portfolio(folder: str | Path, seed: int = 0, n: int = 40,
                           creator: SampleCopywriter = SAMPLE_COPYWRITER) -> list[Path]:
    """The sample copywriter's portfolio as a folder (see :func:`write_folder`)."""
    return write_folder(portfolio(creator.writer, n, seed), folder, prefix=creator.handle)
