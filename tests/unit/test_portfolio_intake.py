"""Portfolio intake: good files are kept, each bad file gets one clear line, nothing of it is stored."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from PIL import Image

from studio import StudioError
from studio.config import Policy
from studio.store.tables import Blob, ConsentRecord, LedgerEvent, PortfolioItem


def png(colour="red", size=(32, 32), mode="RGB", fmt="PNG") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, colour).save(buf, format=fmt)
    return buf.getvalue()


def counts(st) -> tuple[int, int, int, int, int]:
    from sqlalchemy import func, select

    with st.transaction() as s:
        rows = tuple(s.scalar(select(func.count()).select_from(t)) for t in (PortfolioItem, ConsentRecord, Blob, LedgerEvent))
    return (*rows, len(st.blobs.files()))


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_images_and_captions_are_stored_by_hash_with_consent_and_ledger_event(vetted, tmp_path):
    write(tmp_path / "work", "a.png", png("red"))
    (tmp_path / "work" / "a.txt").write_text("a red square on a white background\n")
    write(tmp_path / "work", "b.jpg", png("blue", fmt="JPEG"))
    report = vetted.add_to_portfolio("ada", [tmp_path / "work"], consent="own")
    assert report.ok and len(report.added) == 2
    items = {v.source: v for v in vetted.portfolio("ada")}
    assert items["work/a.png"].caption == "a red square on a white background"
    assert items["work/a.png"].consent == "own"
    assert vetted.blobs.get(items["work/a.png"].sha256) == png("red")
    kinds = [e["kind"] for e in vetted.ledger_events()]
    assert kinds.count("consent.given") == 2


def test_metadata_jsonl_captions_and_text_items(vetted, tmp_path):
    folder = tmp_path / "set"
    write(folder, "one.webp", png("green", fmt="WEBP"))
    (folder / "metadata.jsonl").write_text(json.dumps({"file_name": "one.webp", "text": "a green circle"}) + "\n")
    write(folder, "essay.md", "# My process\nI draw with ink.".encode())
    report = vetted.add_to_portfolio("ada", [folder])
    assert report.ok, report.rejected
    items = {v.source: v for v in vetted.portfolio("ada")}
    assert items["set/one.webp"].caption == "a green circle"
    assert items["set/essay.md"].kind == "text"


def test_duplicate_is_recognised_not_stored_twice(vetted, tmp_path):
    a = write(tmp_path, "a.png", png())
    b = write(tmp_path, "copy-of-a.png", png())
    first = vetted.add_to_portfolio("ada", [a])
    before = counts(vetted)
    second = vetted.add_to_portfolio("ada", [b])
    assert second.ok and not second.added
    assert second.duplicates[0]["item"] == first.added[0]["item"]
    assert counts(vetted) == before


def test_commissioned_work_records_the_clients_consent_reference(vetted, tmp_path):
    report = vetted.add_to_portfolio("ada", [write(tmp_path, "logo.png", png())], consent="client:order-42")
    item = vetted.portfolio("ada")[0]
    assert item.consent == "client:order-42"
    event = [e for e in vetted.ledger_events() if e["subject"] == report.added[0]["item"]][0]
    assert event["payload"]["reference"] == "order-42"


@pytest.mark.parametrize("consent", ["", "mine", "client:", "client:   "])
def test_consent_must_be_own_or_client_with_a_reference(vetted, tmp_path, consent):
    before = counts(vetted)
    with pytest.raises(StudioError, match="consent must be"):
        vetted.add_to_portfolio("ada", [write(tmp_path, "a.png", png())], consent=consent)
    assert counts(vetted) == before


def _truncated():
    return png(size=(64, 64))[:90]


def _bomb():
    # A PNG whose header claims 100000 x 100000 pixels (and whose data is tiny): it must
    # be rejected from the header alone, before anything tries to decode it.
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def _animated():
    buf = io.BytesIO()
    frames = [Image.new("RGB", (16, 16), c) for c in ("red", "blue")]
    frames[0].save(buf, format="WEBP", save_all=True, append_images=frames[1:])
    return buf.getvalue()


BAD_FILES = [
    ("cut.png", _truncated, "truncated or corrupt"),
    ("noise.png", lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(200)), "not a readable image"),
    ("photo.png", lambda: png(fmt="JPEG"), "content is JPEG, not PNG"),
    ("empty.png", lambda: b"", "empty file (0 bytes)"),
    ("logo.svg", lambda: b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "SVG is not accepted"),
    ("sneaky.png", lambda: b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>", "SVG is not accepted"),
    ("moving.webp", _animated, "animated image (2 frames)"),
    ("huge.png", _bomb, "over the limit of"),
    ("clip.gif", lambda: png(fmt="GIF"), "unsupported file type '.gif'"),
    ("notes.txt", lambda: b"\xff\xfe\x00binary", "not UTF-8 text"),
]


@pytest.mark.parametrize("name,make,reason", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_file_is_rejected_with_its_reason_and_leaves_nothing(vetted, tmp_path, name, make, reason):
    good = write(tmp_path, "good.png", png("purple"))
    bad = write(tmp_path, name, make())
    before = counts(vetted)
    report = vetted.add_to_portfolio("ada", [bad, good])
    assert not report.ok
    assert [r.name for r in report.rejected] == [name]
    assert reason in report.rejected[0].reason
    # The valid file in the same call is kept; the bad one left no row, no blob, no event.
    assert [a["file"] for a in report.added] == ["good.png"]
    items, consents, blobs, events, files = counts(vetted)
    assert (items, consents, blobs, events, files) == (before[0] + 1, before[1] + 1, before[2] + 1, before[3] + 1, before[4] + 1)


def test_caption_over_the_limit_is_rejected(vetted, tmp_path):
    img = write(tmp_path, "long.png", png())
    (tmp_path / "long.txt").write_text("x" * 501)
    report = vetted.add_to_portfolio("ada", [img])
    assert "caption is 501 characters, over the limit of 500" in report.rejected[0].reason
    assert counts(vetted)[0] == 0


def test_image_over_a_configured_pixel_limit_is_rejected(home, tmp_path):
    import studio

    st = studio.open(home, policy=Policy(max_image_pixels=1000))
    st.add_creator("ada", "Ada", "level2")
    report = st.add_to_portfolio("ada", [write(tmp_path, "big.png", png(size=(40, 40)))])
    assert "40x40 = 1600 pixels, over the limit of 1000" in report.rejected[0].reason
    assert counts(st)[:3] == (0, 0, 0)


@pytest.mark.parametrize("mode,colour", [("CMYK", (0, 255, 255, 0)), ("P", 3), ("I;16", 40000)])
def test_unusual_modes_are_converted_to_rgb_with_a_note(vetted, tmp_path, mode, colour):
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    data = png(colour, mode=mode, fmt=fmt)
    report = vetted.add_to_portfolio("ada", [write(tmp_path, f"odd.{fmt.lower().replace('jpeg', 'jpg')}", data)])
    assert report.ok, report.rejected
    assert report.added[0]["note"].startswith(f"converted from {mode} to RGB")
    stored = Image.open(io.BytesIO(vetted.blobs.get(report.added[0]["sha256"])))
    assert stored.mode == "RGB"


def test_archive_members_that_escape_are_rejected_and_the_rest_kept(vetted, tmp_path):
    archive = tmp_path / "work.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ok/pic.png", png("yellow"))
        zf.writestr("ok/pic.txt", "a yellow square")
        zf.writestr("../../etc/evil.png", png("black"))
        zf.writestr("/abs.png", png("white"))
    report = vetted.add_to_portfolio("ada", [archive])
    assert sorted(r.name for r in report.rejected) == ["work.zip:../../etc/evil.png", "work.zip:/abs.png"]
    assert all("escapes the archive" in r.reason for r in report.rejected)
    assert [(a["file"]) for a in report.added] == ["work.zip:ok/pic.png"]
    assert vetted.portfolio("ada")[0].caption == "a yellow square"
    assert not (tmp_path.parent / "etc").exists()


def test_unknown_handle_is_a_clear_error_and_stores_nothing(st, tmp_path):
    with pytest.raises(StudioError, match="no creator with handle 'ghost'"):
        st.add_to_portfolio("ghost", [write(tmp_path, "a.png", png())])
    assert counts(st) == (0, 0, 0, 0, 0)


def test_revoked_items_are_excluded_from_training_and_recorded(vetted, tmp_path):
    report = vetted.add_to_portfolio("ada", [write(tmp_path, "a.png", png("red")), write(tmp_path, "b.png", png("blue"))])
    revoked = report.added[0]["item"]
    vetted.revoke("ada", revoked, reason="client withdrew")
    assert [v.id for v in vetted.training_items("ada")] == [report.added[1]["item"]]
    event = vetted.ledger_events(kind="consent.revoked")[0]
    assert event["subject"] == revoked and event["payload"]["reason"] == "client withdrew"
    with pytest.raises(StudioError, match="already revoked"):
        vetted.revoke("ada", revoked)


def test_revoking_someone_elses_item_is_refused(vetted, tmp_path):
    vetted.add_creator("bob", "Bob", "level2")
    item = vetted.add_to_portfolio("ada", [write(tmp_path, "a.png", png())]).added[0]["item"]
    with pytest.raises(StudioError, match="'bob' has no portfolio item"):
        vetted.revoke("bob", item)
    assert vetted.portfolio("ada")[0].active
