"""Portfolio intake: turn files and folders into validated items, each with consent.

Nothing is read until it is known to be worth reading: `collect` lists what was given
(files, folders, zip archives) as lazy candidates, refusing links, pipes and devices
inside a folder without opening them, and `validate` checks a candidate's type and size
(from the file system or the zip header) before reading it, then its content, in memory,
one candidate at a time. A rejected file leaves no row and no blob. Each rejection is
one line naming the file and the reason; the valid files of the same call are still kept.
"""

from __future__ import annotations

import io
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from studio.config import DEFAULT_POLICY, Policy
from studio.errors import StudioError
from studio.untrusted import (SPECIAL, Found, Reader, Unreadable, UntrustedInput, ZipReader, file_reader, folder_entry,
                              load_json, one_line, walk_folder, zip_files, zip_member_problem)

IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
TEXT_SUFFIXES = {".txt", ".md"}
SAMPLES_SUFFIX = ".jsonl"  # writing samples, one {"brief", "copy"} object per line (metadata.jsonl is captions)
ARCHIVE_SUFFIXES = {".zip"}
KEPT_MODES = {"RGB", "RGBA", "L"}


@dataclass(frozen=True)
class Consent:
    """How the creator may use an item: `own` work, or `client:REF` with the client's consent."""

    basis: str
    reference: str | None = None

    @classmethod
    def parse(cls, text: str) -> "Consent":
        text = (text or "").strip()
        if text == "own":
            return cls("own")
        if text.startswith("client:") and text[len("client:"):].strip():
            return cls("client", text[len("client:"):].strip())
        if text.startswith("licensed_back:") and text[len("licensed_back:"):].strip():
            return cls("licensed_back", text[len("licensed_back:"):].strip())
        raise StudioError(
            f"consent must be 'own' or 'client:REF' (the client's consent reference), not {text!r}"
        )

    def __str__(self) -> str:
        return self.basis if self.reference is None else f"{self.basis}:{self.reference}"


def _never(limit: int) -> bytes:
    raise Unreadable("not read")


@dataclass
class Candidate:
    """A file offered for intake, not read yet: its display name, size and how to read it.

    `read(limit)` returns the bytes (at most `limit`) or raises `Unreadable`. A candidate
    with a `problem` is refused without being read; `caption_file` (a same-name .txt) is
    read only when its image is validated.
    """

    name: str
    size: int
    read: Reader = field(default=_never, repr=False)
    caption: str | None = None
    caption_file: Candidate | None = None
    problem: str | None = None
    suffix: str | None = None  # the type, when the name does not tell it (a line of a writing-samples file)

    @classmethod
    def from_bytes(cls, name: str, data: bytes, caption: str | None = None, suffix: str | None = None) -> Candidate:
        data = bytes(data)
        return cls(name, len(data), lambda limit: data, caption, suffix=suffix)

    @classmethod
    def refused(cls, name: str, problem: str) -> Candidate:
        return cls(name, 0, problem=problem)

    @classmethod
    def found(cls, name: str, found: Found | None) -> Candidate | None:
        """From a folder listing: (size, read), or the reason the entry is refused."""
        return None if found is None else cls.refused(name, found) if isinstance(found, str) else cls(name, *found)


@dataclass
class Accepted:
    name: str
    data: bytes
    kind: str  # image | text
    media_type: str
    caption: str | None
    width: int | None = None
    height: int | None = None
    note: str | None = None


@dataclass
class Rejection:
    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"


@dataclass
class IntakeReport:
    """What one intake call did. `ok` is False if anything was rejected."""

    added: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "added": self.added,
            "duplicates": self.duplicates,
            "rejected": [{"file": r.name, "reason": r.reason} for r in self.rejected],
        }


# --- collecting candidates from paths ---------------------------------------------------


def collect(paths: list[Path], policy: Policy = DEFAULT_POLICY) -> tuple[list[Candidate], list[Rejection]]:
    """Expand files, folders and zip archives into (unread) candidates, pairing captions with images.

    Items are named by file name (folder/relative path, archive:member), not by the
    absolute path, so a portfolio does not leak where it came from on disk. A path named
    here may itself be a link (the user's choice); nothing inside a folder may be.
    """
    candidates: list[Candidate] = []
    rejections: list[Rejection] = []
    for path in map(Path, paths):
        name = path.name or path.resolve().name
        try:
            st = path.stat()
        except FileNotFoundError:
            rejections.append(Rejection(str(path), "no such file or folder"))
            continue
        except OSError as exc:
            rejections.append(Rejection(str(path), f"cannot be read ({exc.strerror})"))
            continue
        if stat.S_ISDIR(st.st_mode):
            files = {rel: Candidate.found(f"{name}/{rel}", f) for rel, f in walk_folder(path).items()}
            _pair(files, candidates, rejections, policy)
        elif not stat.S_ISREG(st.st_mode):
            rejections.append(Rejection(name, SPECIAL))
        elif path.suffix.lower() in ARCHIVE_SUFFIXES:
            _collect_archive(path, name, st.st_size, candidates, rejections, policy)
        else:
            c = Candidate(name, st.st_size, file_reader(path, st))
            if path.suffix.lower() in IMAGE_FORMATS:  # a same-name caption: a regular file, not a link
                txt = path.with_suffix(".txt")
                c.caption_file = Candidate.found(txt.name, folder_entry(txt, path.parent.resolve()))
            candidates.append(c)
    return candidates, rejections


def _collect_archive(path: Path, name: str, size: int, candidates, rejections, policy: Policy) -> None:
    if size > policy.max_archive_bytes:
        rejections.append(Rejection(name, f"archive is {size} bytes, over the limit of {policy.max_archive_bytes}"))
        return
    members = zip_files(path, policy.max_archive_members)
    if isinstance(members, str):
        rejections.append(Rejection(name, members))
        return
    opened = ZipReader(path)
    entries: dict[str, Candidate] = {}
    for m in members:
        pure = PurePosixPath(m.filename.replace("\\", "/"))
        if pure.is_absolute() or ".." in pure.parts:
            rejections.append(Rejection(f"{name}:{m.filename}", "archive path escapes the archive (absolute or '..'); not extracted"))
            continue
        rel = pure.as_posix()
        problem = zip_member_problem(m)
        entries[rel] = (Candidate.refused(f"{name}:{rel}", problem) if problem else
                        Candidate(f"{name}:{rel}", m.file_size, opened.reader(m)))
    total = sum(c.size for rel, c in entries.items() if c.problem is None and c.size <= (_read_limit(rel, policy) or -1))
    if total > policy.max_archive_bytes:
        rejections.append(Rejection(name, f"archive would expand to {total} bytes, over the limit of "
                                          f"{policy.max_archive_bytes}; nothing in it was read"))
        return
    _pair(entries, candidates, rejections, policy)


def _type_limit(suffix: str, policy: Policy) -> int | None:
    """How many bytes a file of this type may have, or None if the type is not accepted."""
    return policy.max_image_bytes if suffix in IMAGE_FORMATS else policy.max_text_bytes if suffix in TEXT_SUFFIXES else None


def _read_limit(rel: str, policy: Policy) -> int | None:
    """How many bytes a file in a folder or archive may have, or None if it is never read."""
    p = PurePosixPath(rel)
    if p.name.startswith("."):
        return None
    if p.name == "metadata.jsonl" or p.suffix.lower() == SAMPLES_SUFFIX:
        return policy.max_metadata_bytes
    return _type_limit(p.suffix.lower(), policy)


def _pair(files: dict[str, Candidate], candidates, rejections, policy: Policy) -> None:
    """Turn one folder's files into candidates: images take same-name .txt or metadata.jsonl captions."""
    captions: dict[str, str] = {}
    for rel in [r for r in files if PurePosixPath(r).name == "metadata.jsonl"]:
        captions.update(_read_metadata(PurePosixPath(rel).parent, files[rel], rejections, policy))
    images = {r for r in files if PurePosixPath(r).suffix.lower() in IMAGE_FORMATS}
    image_stems = {PurePosixPath(r).with_suffix("").as_posix() for r in images}
    for rel, c in files.items():
        p = PurePosixPath(rel)
        if p.name == "metadata.jsonl" or p.name.startswith("."):
            continue
        if p.suffix.lower() == ".txt" and p.with_suffix("").as_posix() in image_stems:
            continue  # a caption, paired with its image below
        c.caption = captions.get(rel)
        if c.caption is None and rel in images:
            c.caption_file = files.get(p.with_suffix(".txt").as_posix())
        candidates.append(c)


def _read_metadata(folder: PurePosixPath, c: Candidate, rejections, policy: Policy) -> dict[str, str]:
    """Captions by relative path from an imagefolder-style metadata.jsonl (size-checked first)."""
    if c.problem is None and c.size > policy.max_metadata_bytes:
        c.problem = f"metadata.jsonl is {c.size} bytes, over the limit of {policy.max_metadata_bytes}"
    try:
        if c.problem:
            raise Unreadable(c.problem)
        text = c.read(policy.max_metadata_bytes).decode("utf-8", errors="replace")
    except Unreadable as exc:
        rejections.append(Rejection(c.name, exc.reason))
        return {}
    captions = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = load_json(line, c.name, lineno)
            captions[(folder / row["file_name"]).as_posix()] = str(row.get("text", row.get("caption", "")))
        except UntrustedInput as exc:
            rejections.append(Rejection(f"{c.name} line {lineno}", exc.reason))
        except (KeyError, TypeError, AttributeError):
            rejections.append(Rejection(f"{c.name} line {lineno}", "not a JSON object with 'file_name' and 'text'"))
    return captions


def expand(candidates: list[Candidate], policy: Policy = DEFAULT_POLICY):
    """The candidates one at a time, a writing-samples file replaced by one candidate per line."""
    for c in candidates:
        yield from writing_samples(c, policy) or [c]


def writing_samples(c: Candidate, policy: Policy = DEFAULT_POLICY) -> list[Candidate] | None:
    """A ``.jsonl`` file of writing samples (``{"brief": "...", "copy": "..."}`` per line, the brief
    optional) as one text candidate per line, the brief as its caption; None for any other file.
    The file is size-checked before it is read; a bad line is refused alone, with its line number."""
    p = PurePosixPath(c.name.split(":")[-1])
    if p.suffix.lower() != SAMPLES_SUFFIX or p.name == "metadata.jsonl":
        return None
    if c.problem is None and c.size > policy.max_metadata_bytes:
        c.problem = f"writing-samples file is {c.size} bytes, over the limit of {policy.max_metadata_bytes}"
    try:
        if c.problem:
            raise Unreadable(c.problem)
        text = c.read(policy.max_metadata_bytes).decode("utf-8")
    except Unreadable as exc:
        return [Candidate.refused(c.name, exc.reason)]
    except UnicodeDecodeError:
        return [Candidate.refused(c.name, "not UTF-8 text (is it really a JSONL file?)")]
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name = f"{c.name} line {lineno}"
        try:
            row = load_json(line, c.name, lineno)
        except UntrustedInput as exc:
            out.append(Candidate.refused(name, exc.reason))
            continue
        brief = row.get("brief") if isinstance(row, dict) else None
        if not isinstance(row, dict) or not isinstance(row.get("copy"), str) or not isinstance(brief, (str, type(None))):
            out.append(Candidate.refused(name, 'not a JSON object with a "copy" text (and an optional "brief" text)'))
        elif not row["copy"].strip():
            out.append(Candidate.refused(name, "the copy is empty"))
        else:
            out.append(Candidate.from_bytes(name, row["copy"].strip().encode("utf-8"), (brief or "").strip() or None,
                                            suffix=".txt"))
    return out or [Candidate.refused(c.name, 'no writing samples in it (one {"brief": ..., "copy": ...} per line)')]


# --- validating one candidate ---------------------------------------------------------


def validate(c: Candidate, policy: Policy = DEFAULT_POLICY) -> Accepted | Rejection:
    """Check one candidate: its type and size before reading it, then its content. Never raises on bad input."""
    member = c.name.split(":")[-1]
    suffix = c.suffix or PurePosixPath(member).suffix.lower()
    if c.problem:
        return Rejection(c.name, c.problem)
    if c.size == 0:
        return Rejection(c.name, "empty file (0 bytes)")
    if suffix == ".svg":
        return Rejection(c.name, "SVG is not accepted (it can carry scripts); export it as PNG or WebP")
    limit = _type_limit(suffix, policy)
    if limit is None:
        return Rejection(c.name, f"unsupported file type '{suffix or '(none)'}'; accepted: PNG, JPEG, WebP images, .txt/.md text and .jsonl writing samples")
    if c.size > limit:
        return Rejection(c.name, f"{'image' if suffix in IMAGE_FORMATS else 'text'} file is {c.size} bytes, over the limit of {limit}")
    caption = c.caption
    if caption is None and c.caption_file is not None:
        caption = _read_caption(c.caption_file, policy)
        if isinstance(caption, Rejection):
            return Rejection(c.name, caption.reason)
    if caption is not None and len(caption) > policy.max_caption_chars:
        return Rejection(c.name, f"caption is {len(caption)} characters, over the limit of {policy.max_caption_chars}")
    try:
        data = c.read(limit)
    except Unreadable as exc:
        return Rejection(c.name, exc.reason)
    if not data:
        return Rejection(c.name, "empty file (0 bytes)")
    head = data[:512].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in data[:4096].lower()):
        return Rejection(c.name, "SVG is not accepted (it can carry scripts); export it as PNG or WebP")
    if suffix in IMAGE_FORMATS:
        return _validate_image(c.name, data, caption, IMAGE_FORMATS[suffix], policy)
    return _validate_text(c.name, data, caption)


def _read_caption(f: Candidate, policy: Policy) -> str | Rejection:
    if f.problem:
        return Rejection(f.name, f"its caption file {f.name} was refused ({f.problem})")
    if f.size > policy.max_caption_bytes:
        return Rejection(f.name, f"caption file {f.name} is {f.size} bytes, over the limit of {policy.max_caption_bytes}")
    try:
        return f.read(policy.max_caption_bytes).decode("utf-8", errors="replace").strip()
    except Unreadable as exc:
        return Rejection(f.name, f"its caption file {f.name} could not be read ({exc.reason})")


def _validate_text(name: str, data: bytes, caption: str | None = None) -> Accepted | Rejection:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return Rejection(name, "not UTF-8 text (is it really a text file?)")
    if "\x00" in text:
        return Rejection(name, "contains NUL bytes: binary content named as text")
    if not text.strip():
        return Rejection(name, "text file has no text")
    return Accepted(name, data, "text", "text/plain; charset=utf-8", caption)


def _validate_image(name: str, data: bytes, caption: str | None, expected: str, policy: Policy) -> Accepted | Rejection:
    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data))
        except UnidentifiedImageError:
            return Rejection(name, f"not a readable image: the content is not {expected} (corrupt, or not an image)")
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            return Rejection(name, f"image is over the limit of {policy.max_image_pixels} pixels (possible decompression bomb)")
        except Exception as exc:  # Pillow raises many types on hostile headers
            return Rejection(name, f"not a readable image ({one_line(exc)})")
    if img.format != expected:
        return Rejection(name, f"content is {img.format}, not {expected} as the file name says")
    w, h = img.size
    if w * h > policy.max_image_pixels:
        return Rejection(name, f"image is {w}x{h} = {w * h} pixels, over the limit of {policy.max_image_pixels} (possible decompression bomb)")
    if getattr(img, "is_animated", False) and getattr(img, "n_frames", 1) > 1:
        return Rejection(name, f"animated image ({img.n_frames} frames); upload a single still frame")
    try:
        Image.open(io.BytesIO(data)).verify()
        img.load()  # decodes every pixel: catches truncation verify() misses
    except Exception as exc:
        return Rejection(name, f"truncated or corrupt image ({one_line(exc)})")
    note = None
    if img.mode not in KEPT_MODES:
        # CMYK, 16-bit, palette, ...: store an RGB PNG so training sees what the creator sees.
        try:
            rgb = _to_rgb(img)
        except Exception as exc:
            return Rejection(name, f"unsupported image mode {img.mode} ({one_line(exc)})")
        buf = io.BytesIO()
        rgb.save(buf, format="PNG")
        data, note = buf.getvalue(), f"converted from {img.mode} to RGB (stored as PNG)"
        expected = "PNG"
    return Accepted(name, data, "image", MEDIA_TYPES[expected], caption, w, h, note)


def _to_rgb(img):
    import numpy as np
    from PIL import Image

    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        return Image.fromarray((arr / top * 255).clip(0, 255).astype("uint8")).convert("RGB")
    if img.mode == "F":
        arr = np.asarray(img, dtype=np.float64)
        span = (arr.max() - arr.min()) or 1.0
        return Image.fromarray(((arr - arr.min()) / span * 255).astype("uint8")).convert("RGB")
    if img.mode in ("P", "PA", "LA"):
        return img.convert("RGBA").convert("RGB") if "transparency" in img.info or img.mode != "P" else img.convert("RGB")
    return img.convert("RGB")
