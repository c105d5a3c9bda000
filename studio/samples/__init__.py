"""Deterministic sample creators with procedurally generated portfolios.

Three creators draw the same world of shapes (`studio.models.world`) in three
clearly different styles, so demos and tests need no outside data and a
fine-tuned model has a style to learn. A sample copywriter (Tess,
`studio.samples.writers.SAMPLE_COPYWRITER`) writes copy for the copywriting world's
briefs in her own style, for text models. The same seed gives the same files.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from studio.errors import StudioError
from studio.store.tables import Creator


@dataclass(frozen=True)
class SampleCreator:
    handle: str
    name: str
    level: str
    style: str  # a key of studio.models.world.STYLES
    trigger: str  # the style token used in captions
    bio: str


SAMPLE_CREATORS = (
    SampleCreator("mira", "Mira Okafor", "top_rated", "flat-pastel", "mirastyle",
                  "Soft, flat pastel illustration for children's books and packaging."),
    SampleCreator("oskar", "Oskar Lind", "level2", "ink", "oskarink",
                  "Bold ink outlines: posters, logos and comics."),
    SampleCreator("juno", "Juno Reyes", "pro", "textured", "junograin",
                  "Grainy, risograph-like textured prints."),
)


def write_portfolio(folder: Path, creator: SampleCreator, seed: int = 0, images: int = 24) -> list[Path]:
    """Render `images` PNGs with same-name .txt captions (kohya layout) into `folder`."""
    from studio.models.world import STYLES, render

    folder.mkdir(parents=True, exist_ok=True)
    style = STYLES[creator.style]
    paths = []
    for i in range(images):
        # Seeds are disjoint per creator, so no two creators share an image.
        img, caption, _ = render(seed * 1_000_003 + hash_handle(creator.handle) * 10_007 + i, style)
        path = folder / f"{creator.handle}-{i:03d}.png"
        img.save(path)
        path.with_suffix(".txt").write_text(f"{caption}, {creator.trigger}\n")
        paths.append(path)
    return paths


def hash_handle(handle: str) -> int:
    """A small stable number per handle (Python's hash() is salted per process)."""
    return sum((i + 1) * ord(ch) for i, ch in enumerate(handle)) % 9973


def _ensure_creator(st, handle: str, name: str, level: str, style_word: str) -> None:
    """Add a sample creator on the creation plan (so they may publish) unless they exist."""
    with st.transaction() as s:
        exists = s.scalar(select(Creator).where(Creator.handle == handle)) is not None
    if not exists:
        st.add_creator(handle, name, level, plan="creator", style_word=style_word)
        st.subscribe_plan(handle, "creation")  # so a sample creator may publish


def seed(st, seed: int = 0, images: int = 24, writing: int = 40) -> dict:
    """Add the three sample creators, their portfolios and assistants, and the sample copywriter with
    ``writing`` writing samples; running it again adds nothing new.

    The last image of each portfolio is recorded as a commission with a client's consent,
    so the consent column shows both kinds. The copywriter's samples are all her own work.
    Nothing is trained here (see `ensure_published_model`).
    """
    out = []
    for creator in SAMPLE_CREATORS:
        _ensure_creator(st, creator.handle, creator.name, creator.level, creator.trigger)
        with tempfile.TemporaryDirectory() as tmp:
            paths = write_portfolio(Path(tmp), creator, seed, images)
            own = st.add_to_portfolio(creator.handle, paths[:-1], consent="own")
            commissioned = st.add_to_portfolio(creator.handle, paths[-1:], consent=f"client:{creator.handle}-commission-001")
        out.append({"handle": creator.handle, "kind": "image", "style": creator.style, "trigger": creator.trigger,
                    "added": len(own.added) + len(commissioned.added),
                    "duplicates": len(own.duplicates) + len(commissioned.duplicates)})
    out.append(seed_copywriter(st, seed, writing))
    # Each sample creator's assistant knowledge (gigs, Q&A, handoff topics). Past chats are
    # left out here: importing them loads the embedding model; see seed_assistants.
    seed_assistants(st, chats=False)
    return {"seed": seed, "creators": out}


def seed_copywriter(st, seed: int = 0, n: int = 40) -> dict:
    """Add the sample copywriter (vetted, on the creation plan) and ``n`` of her writing samples as one
    ``.jsonl`` of {"brief", "copy"} lines, consent "own"; running it again adds nothing new."""
    from studio.samples.writers import SAMPLE_COPYWRITER as tess
    from studio.samples.writers import portfolio, write_jsonl

    _ensure_creator(st, tess.handle, tess.name, tess.level, tess.trigger)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_jsonl(portfolio(tess.writer, n, seed), Path(tmp) / f"{tess.handle}-samples.jsonl")
        report = st.add_to_portfolio(tess.handle, [path], consent="own")
    if report.rejected:  # the samples are generated to be valid: a refusal is a bug, not a skip
        raise StudioError(f"the sample copywriter's samples were refused: {report.rejected[0]}")
    return {"handle": tess.handle, "kind": "text", "style": tess.writer, "trigger": tess.trigger,
            "added": len(report.added), "duplicates": len(report.duplicates)}


def ensure_published_model(st, handle: str = SAMPLE_CREATORS[0].handle, price_cents: int = 300,
                           on_event=None, **train_options) -> dict:
    """Make sure a sample creator has a published model (for `make demo`): one already offered is kept;
    otherwise a model is trained (with the defaults on the embedded base unless ``train_options`` say
    otherwise), gated and published.

    Training reports progress through ``on_event`` like any run. The gate is not bypassed: a version
    that fails it is not published, and the error says so.
    """
    if handle not in {c.handle for c in SAMPLE_CREATORS}:
        raise StudioError(f"{handle!r} is not a sample creator ({', '.join(c.handle for c in SAMPLE_CREATORS)})")
    st.creator(handle)  # raises if the samples were not seeded
    published = [v for v in st.models(handle) if v.status == "published"]
    if published:
        return {"handle": handle, "version": published[-1].number, "trained": False, "price_cents": st.price(handle)}
    version = st.train(handle, on_event=on_event, **train_options)
    if version is None:
        raise StudioError(f"training {handle}'s sample model was cancelled")
    st.quality_gate(handle, version.id)
    v = st.publish(handle, version.id, price_cents=price_cents)
    return {"handle": handle, "version": v.number, "trained": True, "price_cents": price_cents}


ASSISTANT_DATA = Path(__file__).resolve().parent / "assistant"


def knowledge_path(handle: str) -> Path:
    """The sample knowledge YAML (gigs, approved Q&A, handoff topics) of a sample creator."""
    return ASSISTANT_DATA / f"{handle}.yaml"


def chats_path(handle: str) -> Path:
    """The sample past-chat log (JSONL) of a sample creator."""
    return ASSISTANT_DATA / f"{handle}-chats.jsonl"


def seed_assistants(st, handles: tuple[str, ...] | None = None, chats: bool = True) -> list[dict]:
    """Set up the sample creators' assistants (and import their sample chats); safe to run again."""
    out = []
    for handle in handles or tuple(c.handle for c in SAMPLE_CREATORS):
        assistant = st.assistant(handle)
        info = assistant.setup(knowledge_path(handle))
        if chats and chats_path(handle).is_file():
            info["chats"] = assistant.import_chats(chats_path(handle))
        out.append(info)
    return out
