"""Text generations in the marketplace: each model version's watermark, previews, the memorisation
guard, and the delivered file with its signed provenance record.

- **Watermark**: every text a version writes carries a green-list watermark keyed to that version
  (`studio.text.watermark`); the key is derived from the home's secret mark key and the version id,
  so no key is stored per model and `identify` can re-derive every version's key.
- **Preview** (`studio.text.preview`): the opening words in full, the rest masked letter by letter;
  the clean text is kept as a blob for the purchase.
- **Memorisation guard**: an output sharing a long word-for-word span with a training sample is
  flagged and never offered (`studio.text.memorisation`).
- **Delivery**: the full text as ``<generation>.txt`` with ``<generation>.provenance.json``, a
  detached record signed with the studio's C2PA chain (`studio.rights.detached`).
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from studio.marketplace import licences
from studio.text import inference as text_inference
from studio.text.memorisation import MemorisationGuard
from studio.text.preview import preview
from studio.text.watermark import Watermark

MEDIA_TYPE = "text/plain; charset=utf-8"


def is_text(manifest: dict) -> bool:
    return manifest.get("kind") == "text"


def watermark(home: Path, version_id: str, vocab_size: int, create: bool = True) -> Watermark | None:
    """The watermark of one model version (None when the home has no mark key and ``create`` is False)."""
    key = licences.mark_key(home, create=create)
    if key is None:
        return None
    return Watermark(hmac.new(key, b"studio text model " + version_id.encode(), hashlib.sha256).digest(), vocab_size)


def guard(blobs, manifest: dict) -> MemorisationGuard:
    """The guard over the copy a version trained on (the blobs still in the store)."""
    return MemorisationGuard(blobs.get(i["sha256"]).decode("utf-8") for i in manifest.get("items", [])
                             if i.get("role") == "train" and i["sha256"] in blobs)


def memorisation_flag(check: MemorisationGuard, text: str) -> str | None:
    spans = check.spans(text)
    if not spans:
        return None
    return f"repeats {len(spans[0].text.split())} words of a training sample word for word: {spans[0].text!r}"


def render(home: Path, blobs, version_id: str, folder: Path, manifest: dict, brief: str,
           seeds: list[int]) -> list[tuple]:
    """``(seed, clean bytes, preview bytes, flag)`` per seed: one watermarked copy each, written on its own
    so the same brief and seed always give the same text."""
    model, tokenizer = text_inference.load(folder)
    mark = watermark(home, version_id, model.config.vocab_size)
    check = guard(blobs, manifest)
    out = []
    for seed in seeds:
        (text,) = text_inference.write(model, tokenizer, [brief], seed=seed, watermark=mark)
        out.append((seed, text.encode("utf-8"), preview(text).encode("utf-8"), memorisation_flag(check, text)))
    return out


def from_base(manifest: dict, brief: str, seeds: list[int]) -> list[bytes]:
    """What the version's base alone writes for the brief and seeds (unwatermarked; not recorded)."""
    model, tokenizer = text_inference.load(base=text_inference.base_name(manifest))
    return [text_inference.write(model, tokenizer, [brief], seed=s)[0].encode("utf-8") for s in seeds]


def check_brief(brief: str) -> str:
    """A brief is one line of text; a clear error otherwise."""
    line = " ".join((brief or "").split())
    if not line:
        from studio.errors import StudioError

        raise StudioError("a text model needs a brief: what to write, for whom, in which tone")
    if len(line) > 500:
        from studio.errors import StudioError

        raise StudioError(f"the brief is {len(line)} characters, over the limit of 500")
    return line


def deliverable(text: bytes, claim, chain) -> tuple[bytes, bytes]:
    """The delivered text (as generated: its watermark is in its wording) and its signed provenance record."""
    from studio.rights import detached

    return text, detached.sign(text, claim, chain, media_type=MEDIA_TYPE, title=claim.title)


def file_names(generation_id: str) -> dict[str, str]:
    return {"text": f"{generation_id}.txt", "provenance": f"{generation_id}.provenance.json",
            "json": f"{generation_id}.licence.json", "html": f"{generation_id}.licence.html"}
