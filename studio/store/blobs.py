"""Content-addressed blob store: each file is named by the sha256 of its bytes."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


TMP_PREFIX = ".tmp-"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new entry in ``folder`` durable (POSIX: fsync the directory itself)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # platforms that cannot open a directory (Windows) have nothing to sync
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory; the data itself was synced
    finally:
        os.close(fd)


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass  # a read-only store still serves the blob


class BlobStore:
    """Files under ``root/ab/cdef...``; writing the same bytes twice stores them once."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:]

    def __contains__(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def put(self, data: bytes) -> str:
        digest = sha256_bytes(data)
        target = self.path(digest)
        if target.exists():
            _touch(target)  # in use again: `studio gc` leaves recently used blobs alone
            return digest
        if not target.parent.is_dir():
            target.parent.mkdir(parents=True, exist_ok=True)
            fsync_dir(self.root)  # the new shard folder's name is on disk before anything in it
        # Write, fsync, then rename and fsync the folder: after a crash the blob is either
        # whole under its name or absent (a stray `.tmp-` file that `studio gc` removes).
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=TMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        fsync_dir(target.parent)
        return digest

    def get(self, sha256: str) -> bytes:
        """The blob's bytes, checked against its name: bytes changed on disk are never used as the original."""
        data = self.path(sha256).read_bytes()
        if sha256_bytes(data) != sha256:
            from studio.errors import StudioError

            raise StudioError(f"blob {sha256} was changed on disk: its bytes no longer match its hash "
                              "(see `studio rights verify --deep`)")
        return data

    def files(self) -> list[Path]:
        return [p for p in self.root.glob("??/*") if not p.name.startswith(TMP_PREFIX)]

    def temp_files(self) -> list[Path]:
        """Leftovers of interrupted writes (a write in progress has one too, briefly)."""
        return list(self.root.glob(f"??/{TMP_PREFIX}*"))
