"""Durable blob writes, and `studio gc`: stale temporary files and unreferenced blobs go, nothing else."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from studio.cli import main
from studio.rights import ledger
from studio.store.blobs import BlobStore
from studio.store.gc import collect_garbage
from tests.unit.training_setup import png

HOUR = 3600


def _age(path: Path, seconds: float) -> None:
    """Make ``path`` look last written ``seconds`` ago."""
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_blob_is_fsynced_before_its_rename_and_its_folder_after(tmp_path, monkeypatch):
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", str(dst)))
        return real_replace(src, dst)

    store = BlobStore(tmp_path / "blobs")
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    digest = store.put(b"durable bytes")
    target = store.path(digest)
    shard = str(target.parent)
    assert events == [
        ("fsync", str(store.root)),  # the new shard folder's entry
        ("fsync", events[1][1]),  # the bytes, under their temporary name...
        ("replace", str(target)),  # ...then renamed into place...
        ("fsync", shard),  # ...and the rename made durable
    ]
    assert Path(events[1][1]).parent == target.parent and Path(events[1][1]).name.startswith(".tmp-")
    assert target.read_bytes() == b"durable bytes" and store.temp_files() == []

    events.clear()
    store.put(b"other")
    assert [e[0] for e in events][-3:] == ["fsync", "replace", "fsync"]
    events.clear()
    assert store.put(b"durable bytes") == digest and events == []  # stored once: nothing written


@pytest.fixture
def littered(vetted, tmp_path):
    """A home with one of each: referenced, ledger-only, orphan and fresh-orphan blobs, stale and fresh temp files."""
    st = vetted
    (tmp_path / "a.png").write_bytes(png("teal"))
    st.add_to_portfolio("ada", [tmp_path / "a.png"])
    referenced = st.portfolio("ada")[0].sha256
    in_ledger = st.blobs.put(b"named only by a ledger event")
    with st.context.transaction() as s:
        ledger.append(s, "test.note", "ada", {"note": "kept for the record", "sha256": in_ledger})
    orphan = st.blobs.put(b"written, then the transaction failed")
    fresh_orphan = st.blobs.put(b"being committed right now")
    stale_tmp = st.blobs.root / orphan[:2] / ".tmp-interrupted"
    stale_tmp.write_bytes(b"half a blob")
    fresh_tmp = st.blobs.root / orphan[:2] / ".tmp-in-progress"
    fresh_tmp.write_bytes(b"a write in progress")
    for sha in (referenced, in_ledger, orphan):
        _age(st.blobs.path(sha), 2 * HOUR)
    _age(stale_tmp, 2 * HOUR)
    return st, {"referenced": referenced, "in_ledger": in_ledger, "orphan": orphan, "fresh_orphan": fresh_orphan,
                "stale_tmp": stale_tmp, "fresh_tmp": fresh_tmp}


def test_gc_removes_exactly_stale_temp_files_and_unreferenced_blobs(littered, capsys):
    st, x = littered
    home = str(st.home)
    before = sorted(p for p in st.blobs.root.rglob("*") if p.is_file())

    assert main(["gc", "--dry-run", "--json", "--home", home]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["dry_run"] is True
    assert dry["temp_files"] == [str(x["stale_tmp"].relative_to(st.home))]
    assert dry["orphan_blobs"] == [x["orphan"]]
    assert sorted(p for p in st.blobs.root.rglob("*") if p.is_file()) == before  # nothing removed

    assert main(["gc", "--json", "--home", home]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["temp_files"] == dry["temp_files"] and report["orphan_blobs"] == [x["orphan"]]
    assert report["bytes"] == len(b"half a blob") + len(b"written, then the transaction failed")
    assert report["recent_unreferenced"] == 1  # the fresh orphan, kept for now
    assert not x["stale_tmp"].exists() and x["orphan"] not in st.blobs
    for kept in ("referenced", "in_ledger", "fresh_orphan"):
        assert x[kept] in st.blobs, kept
    assert x["fresh_tmp"].exists()
    assert st.verify_ledger().ok

    assert main(["gc", "--home", home]) == 0  # nothing left to do, said in words
    assert "removed 0 file(s), 0 bytes; kept 1 unreferenced blob(s) newer than 3600 s" in capsys.readouterr().out
    assert main(["gc", "--older-than", "0", "--home", home]) == 0
    assert f"removed unreferenced blob {x['fresh_orphan']}" in capsys.readouterr().out
    assert x["fresh_orphan"] not in st.blobs and x["referenced"] in st.blobs and x["in_ledger"] in st.blobs


def test_gc_removes_interrupted_checkpoints_and_cache_writes_of_training(vetted):
    version = vetted.home / "models" / "ada" / "v1"
    stale_ckpt = version / ".checkpoint-20.tmp"
    stale_ckpt.mkdir(parents=True)
    (stale_ckpt / "optimizer.pt").write_bytes(b"x" * 10)
    stale_cache = version / "cache" / "latents-abc.tmp"
    stale_cache.parent.mkdir()
    stale_cache.write_bytes(b"y" * 5)
    done_ckpt = version / "checkpoint-10"
    done_ckpt.mkdir()
    (done_ckpt / "state.json").write_text("{}")
    cache = version / "cache" / "latents-abc.safetensors"
    cache.write_bytes(b"z")
    for p in (stale_ckpt / "optimizer.pt", stale_ckpt, stale_cache, done_ckpt, cache):
        _age(p, 2 * HOUR)

    report = collect_garbage(vetted.context)
    assert report["temp_files"] == ["models/ada/v1/.checkpoint-20.tmp", "models/ada/v1/cache/latents-abc.tmp"]
    assert report["bytes"] == 15 and report["orphan_blobs"] == []
    assert not stale_ckpt.exists() and not stale_cache.exists()
    assert (done_ckpt / "state.json").exists() and cache.exists()
