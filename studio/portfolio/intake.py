"""Portfolio intake: turn files and folders into validated items, each with consent.

Validation happens entirely in memory before anything is written, so a
rejected file leaves no row and no blob. Each rejection is one line naming
the file and the reason; the valid files of the same call are still kept.
"""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from studio.config import DEFAULT_POLICY, Policy
from studio.errors import StudioError

IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
TEXT_SUFFIXES = {".txt", ".md"}
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


@dataclass
class Candidate:
    """A file offered for intake: its display name, bytes, and caption if one came with it."""

    name: str
    data: bytes
    caption: str | None = None


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
    """Expand files, folders and zip archives into candidates, pairing captions with images.

    Items are named by file name (folder/relative path, archive:member), not by the
    absolute path, so a portfolio does not leak where it came from on disk.
    """
    candidates: list[Candidate] = []
    rejections: list[Rejection] = []
    for path in map(Path, paths):
        if not path.exists():
            rejections.append(Rejection(str(path), "no such file or folder"))
        elif path.is_dir():
            files = {p.relative_to(path).as_posix(): p for p in sorted(path.rglob("*")) if p.is_file()}
            _pair(path.name, {k: v.read_bytes for k, v in files.items()}, candidates, rejections, policy)
        elif path.suffix.lower() in ARCHIVE_SUFFIXES:
            _collect_archive(path, candidates, rejections, policy)
        else:
            candidates.append(Candidate(path.name, path.read_bytes(), _sidecar_caption(path)))
    return candidates, rejections


def _sidecar_caption(path: Path) -> str | None:
    if path.suffix.lower() in IMAGE_FORMATS:
        txt = path.with_suffix(".txt")
        if txt.is_file():
            return txt.read_bytes().decode("utf-8", errors="replace").strip()
    return None


def _collect_archive(path: Path, candidates, rejections, policy: Policy) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        rejections.append(Rejection(path.name, f"not a readable zip archive ({exc})"))
        return
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > policy.max_archive_members:
            rejections.append(Rejection(path.name, f"archive holds {len(members)} files, over the limit of {policy.max_archive_members}"))
            return
        readers = {}
        for m in members:
            name = f"{path.name}:{m.filename}"
            pure = PurePosixPath(m.filename.replace("\\", "/"))
            if pure.is_absolute() or ".." in pure.parts:
                rejections.append(Rejection(name, "archive path escapes the archive (absolute or '..'); not extracted"))
                continue
            if m.file_size > policy.max_image_pixels * 8:
                rejections.append(Rejection(name, f"archive member is {m.file_size} bytes uncompressed, too large"))
                continue
            readers[pure.as_posix()] = (lambda m=m: archive.read(m))
        _pair(path.name + ":", readers, candidates, rejections, policy)


def _pair(prefix: str, files: dict, candidates, rejections, policy: Policy) -> None:
    """Turn one folder's files into candidates: images take same-name .txt or metadata.jsonl captions."""
    def label(rel: str) -> str:
        return prefix + rel if prefix.endswith(":") else f"{prefix}/{rel}"

    captions: dict[str, str] = {}
    for rel in [r for r in files if PurePosixPath(r).name == "metadata.jsonl"]:
        folder = PurePosixPath(rel).parent
        for lineno, line in enumerate(files[rel]().decode("utf-8", errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                target = (folder / row["file_name"]).as_posix()
                captions[target] = str(row.get("text", row.get("caption", "")))
            except (ValueError, KeyError, TypeError):
                rejections.append(Rejection(f"{label(rel)} line {lineno}", "not a JSON object with 'file_name' and 'text'"))
    images = {r for r in files if PurePosixPath(r).suffix.lower() in IMAGE_FORMATS}
    image_stems = {PurePosixPath(r).with_suffix("").as_posix() for r in images}
    for rel, read in files.items():
        p = PurePosixPath(rel)
        if p.name == "metadata.jsonl" or p.name.startswith("."):
            continue
        if p.suffix.lower() == ".txt" and p.with_suffix("").as_posix() in image_stems:
            continue  # a caption, paired with its image below
        caption = captions.get(rel)
        if caption is None and rel in images:
            txt = p.with_suffix(".txt").as_posix()
            if txt in files:
                caption = files[txt]().decode("utf-8", errors="replace").strip()
        candidates.append(Candidate(label(rel), read(), caption))


# --- validating one candidate ---------------------------------------------------------


def validate(c: Candidate, policy: Policy = DEFAULT_POLICY) -> Accepted | Rejection:
    """Check one candidate completely in memory. Never raises on bad input."""
    suffix = PurePosixPath(c.name.split(":")[-1]).suffix.lower()
    if not c.data:
        return Rejection(c.name, "empty file (0 bytes)")
    if c.caption is not None and len(c.caption) > policy.max_caption_chars:
        return Rejection(c.name, f"caption is {len(c.caption)} characters, over the limit of {policy.max_caption_chars}")
    head = c.data[:512].lstrip().lower()
    if suffix == ".svg" or head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in c.data[:4096].lower()):
        return Rejection(c.name, "SVG is not accepted (it can carry scripts); export it as PNG or WebP")
    if suffix in IMAGE_FORMATS:
        return _validate_image(c, IMAGE_FORMATS[suffix], policy)
    if suffix in TEXT_SUFFIXES:
        return _validate_text(c, policy)
    return Rejection(c.name, f"unsupported file type '{suffix or '(none)'}'; accepted: PNG, JPEG, WebP images and .txt/.md text")


def _validate_text(c: Candidate, policy: Policy) -> Accepted | Rejection:
    if len(c.data) > policy.max_text_bytes:
        return Rejection(c.name, f"text file is {len(c.data)} bytes, over the limit of {policy.max_text_bytes}")
    try:
        text = c.data.decode("utf-8")
    except UnicodeDecodeError:
        return Rejection(c.name, "not UTF-8 text (is it really a text file?)")
    if "\x00" in text:
        return Rejection(c.name, "contains NUL bytes: binary content named as text")
    if not text.strip():
        return Rejection(c.name, "text file has no text")
    return Accepted(c.name, c.data, "text", "text/plain; charset=utf-8", None)


def _validate_image(c: Candidate, expected: str, policy: Policy) -> Accepted | Rejection:
    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(c.data))
        except UnidentifiedImageError:
            return Rejection(c.name, f"not a readable image: the content is not {expected} (corrupt, or not an image)")
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            return Rejection(c.name, f"image is over the limit of {policy.max_image_pixels} pixels (possible decompression bomb)")
        except Exception as exc:  # Pillow raises many types on hostile headers
            return Rejection(c.name, f"not a readable image ({exc})")
    if img.format != expected:
        return Rejection(c.name, f"content is {img.format}, not {expected} as the file name says")
    w, h = img.size
    if w * h > policy.max_image_pixels:
        return Rejection(c.name, f"image is {w}x{h} = {w * h} pixels, over the limit of {policy.max_image_pixels} (possible decompression bomb)")
    if getattr(img, "is_animated", False) and getattr(img, "n_frames", 1) > 1:
        return Rejection(c.name, f"animated image ({img.n_frames} frames); upload a single still frame")
    try:
        Image.open(io.BytesIO(c.data)).verify()
        img.load()  # decodes every pixel: catches truncation verify() misses
    except Exception as exc:
        return Rejection(c.name, f"truncated or corrupt image ({exc})")
    data, note = c.data, None
    if img.mode not in KEPT_MODES:
        # CMYK, 16-bit, palette, ...: store an RGB PNG so training sees what the creator sees.
        try:
            rgb = _to_rgb(img)
        except Exception as exc:
            return Rejection(c.name, f"unsupported image mode {img.mode} ({exc})")
        buf = io.BytesIO()
        rgb.save(buf, format="PNG")
        data, note = buf.getvalue(), f"converted from {img.mode} to RGB (stored as PNG)"
        expected = "PNG"
    return Accepted(c.name, data, "image", MEDIA_TYPES[expected], c.caption, w, h, note)


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
