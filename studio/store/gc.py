"""Garbage collection of a studio home: stale temporary files and blobs nothing references.

What an interrupted write leaves behind, and only that:

- temporary files older than ``older_than`` seconds: ``blobs/??/.tmp-*`` (a blob being written),
  ``models/*/v*/.checkpoint-*.tmp/`` (a training checkpoint being written) and
  ``models/*/v*/cache/*.tmp`` (cached latents being written);
- blobs no database row and no ledger event names, also older than ``older_than``. Every
  column of every table in the database (the ``blobs`` table itself, portfolio items,
  generations, model manifests, the ledger's JSON payloads, ...) is read for 64-hex values, so
  a blob anything still mentions is never removed. The age limit keeps a blob whose row is
  being committed right now; `BlobStore.put` refreshes a blob's time when it is used again.

`collect_garbage(ctx, dry_run=True)` lists what would go and removes nothing.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, select

from studio.errors import StudioError

if TYPE_CHECKING:
    from studio.context import StudioContext

DEFAULT_OLDER_THAN = 3600.0  # seconds: an hour, far longer than any single write takes
HEX64 = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")
_SCALARS = (int, float, bool)


def referenced_digests(ctx: StudioContext) -> set[str]:
    """Every 64-hex value anywhere in the database (lower-cased): the blobs that must stay."""
    found: set[str] = set()
    meta = MetaData()
    meta.reflect(bind=ctx.engine)  # the tables really there, including any this code does not model
    with ctx.reading() as s:  # one snapshot of every table
        for table in meta.sorted_tables:
            for row in s.execute(select(*table.columns).execution_options(yield_per=2000)):
                for value in row:
                    if value is not None and not isinstance(value, _SCALARS):
                        found.update(m.lower() for m in HEX64.findall(str(value)))
    return found


def _stale_temp_paths(home: Path, blob_temps: list[Path], cutoff: float) -> list[Path]:
    candidates = [*blob_temps,
                  *home.glob("models/*/v*/.checkpoint-*.tmp"),
                  *home.glob("models/*/v*/cache/*.tmp")]
    return sorted(p for p in candidates if _older(p, cutoff))


def _older(path: Path, cutoff: float) -> bool:
    """Last changed before ``cutoff`` (a path that is gone is not)."""
    try:
        return path.lstat().st_mtime < cutoff
    except FileNotFoundError:
        return False


def _size(path: Path) -> int:
    try:
        if path.is_dir() and not path.is_symlink():
            return sum(f.lstat().st_size for f in path.rglob("*") if f.is_file())
        return path.lstat().st_size
    except FileNotFoundError:
        return 0


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _digest_of(path: Path) -> str | None:
    name = path.parent.name + path.name
    return name if len(name) == 64 and HEX64.fullmatch(name) and name == name.lower() else None


def collect_garbage(ctx: StudioContext, dry_run: bool = False,
                    older_than: float = DEFAULT_OLDER_THAN) -> dict[str, Any]:
    """Remove (or with ``dry_run`` only list) stale temporary files and unreferenced blobs.

    Returns ``{"dry_run", "older_than_seconds", "temp_files": [path relative to the home],
    "orphan_blobs": [sha256], "bytes": total size, "recent_unreferenced": blobs kept for now}``.
    """
    if older_than < 0:
        raise StudioError("--older-than must be zero or more seconds")
    home = Path(ctx.home)
    cutoff = time.time() - older_than
    temps = _stale_temp_paths(home, ctx.blobs.temp_files(), cutoff)
    # List the blobs before reading the database: a blob written after this list is not a candidate.
    on_disk = {d: p for p in ctx.blobs.files() if (d := _digest_of(p)) is not None}
    referenced = referenced_digests(ctx)
    unreferenced = {d: p for d, p in on_disk.items() if d not in referenced}
    orphans = {d: p for d, p in sorted(unreferenced.items()) if _older(p, cutoff)}

    removed_temps, removed_blobs, size = [], [], 0
    for path in temps:
        size += _size(path)
        removed_temps.append(str(path.relative_to(home)))
        if not dry_run:
            _remove(path)
    for digest, path in orphans.items():
        if not _older(path, cutoff):
            continue  # used again (`put` touched it) since the list was made
        size += _size(path)
        removed_blobs.append(digest)
        if not dry_run:
            _remove(path)
    return {
        "dry_run": dry_run,
        "older_than_seconds": older_than,
        "temp_files": removed_temps,
        "orphan_blobs": removed_blobs,
        "bytes": size,
        "recent_unreferenced": len(unreferenced) - len(removed_blobs),
    }
