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


# --- hostile folders and archives: nothing outside is read, nothing is read before its checks ----

SECRET = b"TOP SECRET api_key=sk-123"


def stored_bytes(st) -> bytes:
    return b"".join(p.read_bytes() for p in st.blobs.files())


def outside(tmp_path):
    """Files outside the folder the user names: a secret note, an image and a folder of both."""
    out = tmp_path / "outside"
    write(out, "notes.txt", SECRET)
    write(out, "private.png", png("black"))
    write(out / "dir", "secret.txt", SECRET)
    write(out / "dir", "pic.png", png("white"))
    return out


def test_links_inside_a_folder_are_refused_and_what_they_point_to_is_never_stored(vetted, tmp_path):
    out, work = outside(tmp_path), tmp_path / "work"
    write(work, "good.png", png("purple"))
    (work / "notes.txt").symlink_to(out / "notes.txt")
    (work / "private.png").symlink_to(out / "private.png")
    (work / "linked").symlink_to(out / "dir", target_is_directory=True)  # a linked parent of pic.png
    report = vetted.add_to_portfolio("ada", [work])
    assert [a["file"] for a in report.added] == ["work/good.png"]
    assert {r.name: r.reason for r in report.rejected} == {
        n: "symbolic link: links inside a folder are not followed (copy the file itself in)"
        for n in ("work/linked", "work/notes.txt", "work/private.png")}
    assert SECRET not in stored_bytes(vetted) and png("black") not in stored_bytes(vetted)
    assert [v.source for v in vetted.portfolio("ada")] == ["work/good.png"]


def test_a_folder_named_through_a_link_is_the_users_choice(vetted, tmp_path):
    write(tmp_path / "real", "a.png", png("red"))
    (tmp_path / "alias").symlink_to(tmp_path / "real", target_is_directory=True)
    report = vetted.add_to_portfolio("ada", [tmp_path / "alias"])
    assert report.ok and [a["file"] for a in report.added] == ["alias/a.png"]


def test_linked_caption_files_are_refused_in_training_folders_and_next_to_named_images(vetted, tmp_path):
    from studio.training import data

    out, work = outside(tmp_path), tmp_path / "work"
    write(work, "a.png", png("red"))
    (work / "a.txt").symlink_to(out / "notes.txt")
    write(work, "b.png", png("blue"))
    (work / "b.txt").write_text("a blue square")
    examples = data.from_folder(work, "adastyle")
    assert [(e.source, e.caption) for e in examples] == [("work/b.png", "a blue square, adastyle")]
    assert not any(b"TOP SECRET" in e.caption.encode() for e in examples)
    report = vetted.add_to_portfolio("ada", [work / "a.png"])  # the image named directly: same rule
    assert [str(r) for r in report.rejected] == [(
        "a.png: its caption file a.txt was refused (symbolic link: links inside a folder are not followed "
        "(copy the file itself in))")]
    assert SECRET not in stored_bytes(vetted)


def test_pipes_are_refused_without_being_opened(vetted, tmp_path):
    import os
    import signal

    write(tmp_path / "work", "good.png", png())
    os.mkfifo(tmp_path / "work" / "pipe.png")
    os.mkfifo(tmp_path / "pipe.txt")
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("intake blocked on a pipe"))
    signal.alarm(10)
    try:
        report = vetted.add_to_portfolio("ada", [tmp_path / "work", tmp_path / "pipe.txt"])
    finally:
        signal.alarm(0)
    assert {r.name: r.reason for r in report.rejected} == {
        "pipe.txt": "not a regular file (a pipe, device or socket); not opened",
        "work/pipe.png": "not a regular file (a pipe, device or socket); not opened"}
    assert [a["file"] for a in report.added] == ["work/good.png"]


def test_huge_files_are_refused_by_type_or_size_before_a_byte_is_read(vetted, tmp_path, monkeypatch):
    import os
    import tracemalloc
    from pathlib import Path

    work = tmp_path / "work"
    write(work, "good.png", png())
    for name in ("film.mp4", "poster.png", "essay.md"):
        with open(work / name, "wb") as f:
            f.truncate(2 * 1024**3)  # sparse: 2 GiB that cost no disk
    real_os_open, real_path_open = os.open, Path.open

    def guard(real):  # opening one of the huge files fails the test: it must be refused unread
        def opener(path, *args, **kwargs):
            assert Path(path).name not in ("film.mp4", "poster.png", "essay.md"), f"{path} was opened"
            return real(path, *args, **kwargs)
        return opener
    monkeypatch.setattr(os, "open", guard(real_os_open))
    monkeypatch.setattr(Path, "open", guard(real_path_open))
    tracemalloc.start()
    try:
        report = vetted.add_to_portfolio("ada", [work])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert {r.name: r.reason for r in report.rejected} == {
        "work/essay.md": "text file is 2147483648 bytes, over the limit of 1000000",
        "work/film.mp4": "unsupported file type '.mp4'; accepted: PNG, JPEG, WebP images, .txt/.md text and .jsonl writing samples",
        "work/poster.png": "image file is 2147483648 bytes, over the limit of 100000000"}
    assert [a["file"] for a in report.added] == ["work/good.png"]
    assert peak < 20_000_000


def patch_zip(path, member: str, **fields) -> None:
    """Rewrite one member's header fields in its local and central headers (as a hostile tool would)."""
    import struct

    layout = {b"PK\x03\x04": (30, {"flags": 6, "method": 8, "csize": 18, "size": 22}),
              b"PK\x01\x02": (46, {"flags": 8, "method": 10, "csize": 20, "size": 24})}
    data = bytearray(path.read_bytes())
    for signature, (name_at, offsets) in layout.items():
        at = data.find(signature)
        while at >= 0:
            if data[at + name_at:at + name_at + len(member)] == member.encode():
                for key, value in fields.items():
                    struct.pack_into("<H" if key in ("flags", "method") else "<I", data, at + offsets[key], value)
            at = data.find(signature, at + 1)
    path.write_bytes(bytes(data))


def make_zip(path, members: dict, method=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_archive_members_claiming_a_huge_size_are_refused_unread_and_the_rest_kept(vetted, tmp_path):
    archive = make_zip(tmp_path / "work.zip", {"good.png": png(), "big.png": png("blue"), "big.md": b"words"})
    patch_zip(archive, "big.png", size=0xF0000000)
    patch_zip(archive, "big.md", size=3_000_000)
    report = vetted.add_to_portfolio("ada", [archive])
    assert {r.name: r.reason for r in report.rejected} == {
        "work.zip:big.png": "image file is 4026531840 bytes, over the limit of 100000000",
        "work.zip:big.md": "text file is 3000000 bytes, over the limit of 1000000"}
    assert [a["file"] for a in report.added] == ["work.zip:good.png"]


def test_an_archive_that_would_expand_past_the_total_limit_is_refused_whole(vetted, tmp_path):
    # Eleven members each under the image limit, claiming 1.089 GB together: nothing is read.
    archive = make_zip(tmp_path / "bomb.zip", {f"p{i}.png": png() for i in range(11)})
    for i in range(11):
        patch_zip(archive, f"p{i}.png", size=99_000_000)
    before = counts(vetted)
    report = vetted.add_to_portfolio("ada", [archive])
    assert [str(r) for r in report.rejected] == [
        "bomb.zip: archive would expand to 1089000000 bytes, over the limit of 1000000000; nothing in it was read"]
    assert counts(vetted) == before


def test_a_zip_bomb_is_read_one_member_at_a_time_within_the_limits(home, tmp_path):
    import tracemalloc

    import studio

    zeros = b"\x00" * 20_000_000
    archive = make_zip(tmp_path / "zeros.zip", {f"z{i}.png": zeros for i in range(6)}, zipfile.ZIP_DEFLATED)
    assert archive.stat().st_size < 200_000  # 120 MB of zeros in a small file
    st = studio.open(home, policy=Policy(max_image_bytes=25_000_000, max_archive_bytes=130_000_000))
    st.add_creator("ada", "Ada", "level2")
    tracemalloc.start()
    try:
        report = st.add_to_portfolio("ada", [archive])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(report.rejected) == 6 and all("not a readable image" in r.reason for r in report.rejected)
    assert peak < 3 * len(zeros)  # one member at a time, not 120 MB
    st2 = studio.open(home, policy=Policy(max_image_bytes=25_000_000, max_archive_bytes=100_000_000))
    assert [str(r) for r in st2.add_to_portfolio("ada", [archive]).rejected] == [
        "zeros.zip: archive would expand to 120000000 bytes, over the limit of 100000000; nothing in it was read"]


def _corrupt_crc(archive):
    data = bytearray(archive.read_bytes())
    data[data.find(png("blue")) + 40] ^= 0xFF
    archive.write_bytes(bytes(data))


BAD_MEMBERS = [
    ("crc", _corrupt_crc, "corrupt archive member; not read (Bad CRC-32 for file 'bad.png')"),
    ("method", lambda a: patch_zip(a, "bad.png", method=99),
     "compressed with method 99, which is not supported (use deflate or store); not read"),
    ("encrypted", lambda a: patch_zip(a, "bad.png", flags=1), "encrypted (password-protected); not read"),
    ("truncated", lambda a: patch_zip(a, "bad.png", csize=20), "archive member; not read"),
]


@pytest.mark.parametrize("kind,damage,reason", BAD_MEMBERS, ids=[b[0] for b in BAD_MEMBERS])
def test_a_broken_archive_member_is_one_line_and_the_others_are_kept(vetted, tmp_path, kind, damage, reason):
    method = zipfile.ZIP_DEFLATED if kind == "truncated" else zipfile.ZIP_STORED
    archive = make_zip(tmp_path / "work.zip", {"good.png": png(), "bad.png": png("blue"), "notes.txt": b"hi"}, method)
    damage(archive)
    report = vetted.add_to_portfolio("ada", [archive])
    assert [r.name for r in report.rejected] == ["work.zip:bad.png"]
    assert reason in report.rejected[0].reason and "\n" not in report.rejected[0].reason
    assert sorted(a["file"] for a in report.added) == ["work.zip:good.png", "work.zip:notes.txt"]


def test_links_inside_an_archive_are_refused(vetted, tmp_path):
    archive = tmp_path / "links.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        link = zipfile.ZipInfo("notes.txt")
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, "/etc/passwd")
        zf.writestr("good.png", png())
    report = vetted.add_to_portfolio("ada", [archive])
    assert [str(r) for r in report.rejected] == ["links.zip:notes.txt: symbolic link inside the archive; not followed"]


def test_deeply_nested_json_in_metadata_is_one_line_and_the_image_is_kept(vetted, tmp_path):
    folder = tmp_path / "set"
    write(folder, "one.png", png())
    write(folder, "two.png", png("blue"))
    nested = '{"file_name": "one.png", "text": ' + "[" * 100_000 + "]" * 100_000 + "}"
    good = json.dumps({"file_name": "two.png", "text": "a blue square"})
    (folder / "metadata.jsonl").write_text(nested + "\n" + good + "\n")
    report = vetted.add_to_portfolio("ada", [folder])
    assert [str(r) for r in report.rejected] == [
        "set/metadata.jsonl line 1: nested 100001 levels deep, over the limit of 32"]
    assert {v.source: v.caption for v in vetted.portfolio("ada")} == {"set/one.png": None, "set/two.png": "a blue square"}


def test_uploads_from_memory_are_still_validated_one_at_a_time(vetted):
    report = vetted.add_upload("ada", [("a.png", png()), ("b.mp4", b"\x00" * 10), ("c.txt", b"notes")])
    assert [a["file"] for a in report.added] == ["a.png", "c.txt"]
    assert [r.name for r in report.rejected] == ["b.mp4"]
