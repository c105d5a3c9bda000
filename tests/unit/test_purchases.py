"""Buying: one transaction with its events, files that prove where they came from, both-or-neither on a crash."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import threading
import time

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import event

import studio
from studio import inference
from studio.errors import StudioError
from studio.marketplace import licences
from studio.rights import certificates, ledger, provenance, softmark
from tests.unit.test_plans import BOB, PROMPT, publish

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture
def shop(trained):
    """ada's model published at $3.00."""
    publish(trained, cents=300)
    return trained


def _state(st, out):
    """What a refused or failed purchase must leave as it was."""
    return (len(st.ledger_events()), len(st.purchases(BOB)), sorted(p.name for p in out.glob("*")) if out.exists()
            else None)


def test_a_purchase_delivers_the_clean_marked_signed_file_and_its_licence_in_one_transaction(shop, tmp_path):
    (g,) = shop.generate("ada", PROMPT, seed=3, buyer=BOB)
    quote = shop.quote(g.id, BOB)
    assert quote["price_cents"] == 300 and "non-exclusive" in quote["notice"] and quote["exclusive"] is False
    started = time.perf_counter()
    p = shop.buy(g.id, BOB, tmp_path / "out")
    seconds = time.perf_counter() - started
    print(f"purchase took {seconds * 1000:.0f} ms")
    assert seconds < 30
    names = sorted(f.name for f in (tmp_path / "out").iterdir())
    assert names == [f"{g.id}.licence.html", f"{g.id}.licence.json", f"{g.id}.png"]  # no temporary names left
    data = (tmp_path / "out" / f"{g.id}.png").read_bytes()

    # the money: 20% fee rounded down to a cent, the rest the creator's
    assert (p.price_cents, p.fee_cents, p.creator_cents) == (300, 60, 240)
    assert [x.status for x in shop.generations("ada")] == ["sold"]
    # the file: C2PA Trusted against this home's root, naming the sale; its pixels carry the mark
    prov = provenance.read(data, trust_root=certificates.for_home(shop.home))
    assert prov.trusted and prov.problems == []
    assert prov.generation["generation_id"] == g.id and prov.generation["buyer"] == BOB
    assert prov.generation["licence_id"] == p.licence_id and prov.generation["softmark_id"] == p.mark_id
    key = (shop.home / "keys" / "c2pa" / "softmark.key")
    assert len(key.read_bytes()) == 32 and stat.S_IMODE(key.stat().st_mode) == 0o600
    img = Image.open(io.BytesIO(data))
    assert f"{softmark.extract(img, key.read_bytes()):016x}" == p.mark_id
    clean = Image.open(io.BytesIO(shop.image(g.id, preview=False)))
    assert img.size == clean.size and softmark.psnr(img, clean) > 35  # full size, no visible watermark
    assert p.delivered_sha256 == hashlib.sha256(data).hexdigest()
    # the certificate
    cert = json.loads((tmp_path / "out" / f"{g.id}.licence.json").read_text())
    assert cert["asset"]["sha256"] == p.delivered_sha256 and cert["buyer"] == BOB
    assert cert["creator"]["handle"] == "ada" and cert["model_version"]["id"] == g.model_version_id
    assert cert["price"] == {"cents": 300, "currency": "USD", "shown": "$3.00"} and cert["exclusive"] is False
    assert "non-exclusive" in cert["rights"]["non_exclusive"] and "owns" in cert["rights"]["buyer"]
    assert cert["verify"] == f"studio rights verify {g.id}.png"
    html = (tmp_path / "out" / f"{g.id}.licence.html").read_text()
    assert p.delivered_sha256 in html and "Non-exclusive" in html and "studio rights verify" in html
    # the ledger: both events, the state replays, every file re-hashes
    (made,) = shop.ledger_events(kind="purchase.made")
    (granted,) = shop.ledger_events(kind="licence.granted")
    assert made["subject"] == p.id and made["payload"]["creator_cents"] == 240 and granted["subject"] == p.licence_id
    assert shop.verify_ledger(deep=True).ok
    assert [x.id for x in shop.purchases(BOB)] == [p.id] and shop.purchases("eve@example.com") == []


def test_each_refusal_says_why_and_writes_nothing(shop, tmp_path, monkeypatch):
    out = tmp_path / "out"
    (mine,) = shop.generate("ada", PROMPT, seed=3, buyer=BOB)
    (hers,) = shop.generate("ada", PROMPT, seed=4, buyer="carol@example.com")
    (draft,) = shop.generate("ada", PROMPT, seed=5)
    (twin,) = shop.generate("ada", PROMPT, seed=3, buyer=BOB)  # the same image again
    monkeypatch.setattr(inference, "MEMORISED_BITS", 64)
    (flagged,) = shop.generate("ada", PROMPT, seed=6, buyer=BOB)
    monkeypatch.undo()
    shop.buy(mine.id, BOB, out)
    before = _state(shop, out)
    for gid, reason in ((hers.id, "someone else's preview"), (draft.id, "a creator's draft"),
                        (mine.id, f"already bought {mine.id} .*studio download pur_"),
                        (flagged.id, "the memorisation guard flagged it .*too close to training item"),
                        (twin.id, f"near-duplicate of {mine.id}, sold earlier .*distance 0 of 64"),
                        ("gen_nope", "no generation 'gen_nope'")):
        with pytest.raises(StudioError, match=reason):
            shop.buy(gid, BOB, out)
        assert _state(shop, out) == before
    assert shop.verify_ledger().ok


@pytest.mark.parametrize("step", ["sign", "stage", "blob", "ledger", "commit"])
def test_a_crash_before_the_commit_leaves_no_purchase_and_no_files(shop, tmp_path, monkeypatch, step):
    (g,) = shop.generate("ada", PROMPT, seed=3, buyer=BOB)
    out = tmp_path / "out"
    out.mkdir()

    licences.mark_key(shop.home)  # the home's keys exist already: the crash hits the step itself

    def crash(*a, **k):
        raise RuntimeError("power cut")

    fsyncs = []

    def crash_on_second_file(fd):  # one file staged, the next half written
        fsyncs.append(fd)
        if len(fsyncs) == 2:
            crash()

    target = {"sign": (provenance, "sign_png"), "stage": (os, "fsync", crash_on_second_file),
              "blob": (shop.blobs, "put"),
              "ledger": (ledger, "append")}.get(step)
    if target:
        monkeypatch.setattr(*(target if len(target) == 3 else (*target, crash)))
    else:  # every row and event written, the database about to commit
        event.listen(shop.context.sessions, "before_commit", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        shop.buy(g.id, BOB, out)
    monkeypatch.undo()
    if step == "commit":
        event.remove(shop.context.sessions, "before_commit", crash)
    assert list(out.iterdir()) == []  # neither the files nor their temporary names
    assert shop.purchases(BOB) == [] and shop.ledger_events(kind="purchase.made") == []
    assert [x.status for x in shop.generations(buyer=BOB)] == ["draft"]
    assert shop.verify_ledger().ok
    shop.buy(g.id, BOB, out)  # and the buyer can still buy it
    assert len(list(out.iterdir())) == 3


def test_a_hard_crash_before_the_commit_leaves_only_temporary_names(shop, tmp_path, monkeypatch):
    (g,) = shop.generate("ada", PROMPT, seed=3, buyer=BOB)
    out = tmp_path / "out"
    monkeypatch.setattr(licences, "discard", lambda staged: None)  # the process dies: no clean-up runs
    monkeypatch.setattr(ledger, "append", lambda *a, **k: (_ for _ in ()).throw(SystemExit("killed")))
    with pytest.raises(SystemExit):
        shop.buy(g.id, BOB, out)
    assert all(f.name.startswith(".tmp-") for f in out.iterdir()) and shop.purchases(BOB) == []


def test_a_crash_after_the_commit_leaves_the_purchase_and_download_writes_the_files(shop, tmp_path, monkeypatch):
    (g,) = shop.generate("ada", PROMPT, seed=3, buyer=BOB)
    out = tmp_path / "out"

    real = os.replace

    def crash(src, dst):  # the buyer's disk fills up as the files are renamed into place
        if os.path.dirname(dst) == str(out):
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(StudioError, match=r"purchase pur_\w+ is recorded, but its files could not be written .*"
                                          r"No space left on device.*studio download pur_"):
        shop.buy(g.id, BOB, out)
    monkeypatch.undo()
    assert list(out.iterdir()) == []
    (p,) = shop.purchases(BOB)
    assert shop.verify_ledger().ok
    again = shop.download(p.id, BOB, out)
    assert sorted(os.path.basename(f) for f in again.files) == sorted(f.name for f in out.iterdir())
    data = (out / f"{g.id}.png").read_bytes()
    assert provenance.read(data, trust_root=certificates.for_home(shop.home)).trusted


def test_download_writes_the_same_bytes_again_for_its_buyer_only_also_after_a_disable(shop, tmp_path):
    (g,) = shop.generate("ada", PROMPT, seed=3, buyer=BOB)
    p = shop.buy(g.id, BOB, tmp_path / "first")
    shop.disable_model("ada")
    again = shop.download(p.id, BOB, tmp_path / "again")
    for name in (f"{g.id}.png", f"{g.id}.licence.json", f"{g.id}.licence.html"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "again" / name).read_bytes()
    assert len(again.files) == 3
    with pytest.raises(StudioError, match=f"eve@example.com has no purchase '{p.id}'"):
        shop.download(p.id, "eve@example.com", tmp_path / "eve")
    assert not (tmp_path / "eve").exists()
    assert [x.id for x in shop.purchases(BOB)] == [p.id]  # the buyer keeps what they bought


def test_a_file_is_identified_by_its_mark_and_verified_by_its_manifest_bytes_and_mark(shop, tmp_path):
    (g,) = shop.generate("ada", PROMPT, seed=3, buyer=BOB)
    p = shop.buy(g.id, BOB, tmp_path)
    data = (tmp_path / f"{g.id}.png").read_bytes()
    ok = shop.verify_file(tmp_path / f"{g.id}.png")
    assert ok["ok"] and ok["state"] == "Trusted" and ok["problems"] == [] and ok["sale"]["purchase"] == p.id

    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    stripped, jpeg = io.BytesIO(), io.BytesIO()
    Image.fromarray(pixels).save(stripped, format="PNG")
    Image.fromarray(pixels).save(jpeg, format="JPEG", quality=90)
    for copy in (stripped.getvalue(), jpeg.getvalue()):
        found = shop.identify(copy)
        assert found["found"] and (found["generation"], found["buyer"], found["licence"]) == (g.id, BOB, p.licence_id)
        report = shop.verify_file(copy)
        assert not report["ok"] and "no C2PA manifest: it was stripped or the file re-saved" in report["problems"]
        assert f"identifies generation {g.id}, bought by {BOB}" in report["identified"]

    flipped = bytearray(data)
    idat = data.index(b"IDAT") + 20
    flipped[idat] ^= 0x01
    report = shop.verify_file(bytes(flipped))
    assert report["state"] == "Invalid" and not report["ok"]
    assert any("changed after signing" in x for x in report["problems"])

    other = certificates.ensure_chain(tmp_path / "elsewhere" / "keys")
    claim = provenance.Claim("ada", g.model_version_id, "0" * 64, g.id, p.licence_id, BOB)
    forged = provenance.sign_png(stripped.getvalue(), claim, other)
    report = shop.verify_file(forged)
    assert report["state"] == "Valid" and any("signed by someone other than this studio" in x
                                              for x in report["problems"])

    plain = io.BytesIO()
    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(plain, format="PNG")
    assert shop.identify(plain.getvalue()) == {"found": False, "mark_id": None,
                                               "message": "not from this studio: its pixels carry no mark of "
                                                          "this studio's"}


def test_eight_buyers_buying_previews_of_one_model_at_once_lose_nothing_and_sell_nothing_twice(shop, tmp_path):
    buyers = [f"buyer{i}@example.com" for i in range(8)]
    previews = [shop.generate("ada", f"a {colour} circle on a white background", seed=100 + i, buyer=b)[0]
                for i, (b, colour) in enumerate(zip(buyers, ["red", "blue", "green", "yellow", "purple", "orange",
                                                             "black", "white"]))]
    results, errors = {}, {}
    go = threading.Barrier(8)

    def buy(buyer, g):
        own = studio.open(shop.home)  # its own engine and connections, as another server process would have
        go.wait()
        try:
            results[buyer] = own.buy(g.id, buyer, tmp_path / buyer)
        except StudioError as exc:  # a near-duplicate of a preview another thread sold first
            errors[buyer] = str(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=buy, args=(b, g)) for b, g in zip(buyers, previews)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    print(f"8 concurrent purchases: {len(results)} sold, {len(errors)} refused, "
          f"{time.perf_counter() - started:.2f} s")
    assert len(results) + len(errors) == 8
    assert all("near-duplicate" in e for e in errors.values())
    sold = [g for g in shop.generations("ada") if g.status == "sold"]
    assert len(sold) == len(results) == len(shop.ledger_events(kind="purchase.made"))
    assert len({p.generation_id for p in results.values()}) == len(results)
    assert len({p.mark_id for p in results.values()}) == len(results)
    for buyer, p in results.items():
        assert [x.id for x in shop.purchases(buyer)] == [p.id]
        assert len(list((tmp_path / buyer).iterdir())) == 3
    assert sum(p.creator_cents for p in results.values()) == shop.statement("ada").owed_cents
    assert shop.verify_ledger(deep=True).ok


def test_two_buyers_racing_for_the_same_image_make_one_sale(shop, tmp_path):
    """Two previews of one prompt and seed are one image: bought at once, the check under the ledger's lock lets one
    sale through and names the other a near-duplicate."""
    buyers = ["ann@example.com", "ben@example.com"]
    previews = [shop.generate("ada", PROMPT, seed=42, buyer=b)[0] for b in buyers]
    outcome, go = {}, threading.Barrier(2)

    def buy(buyer, g):
        own = studio.open(shop.home)
        go.wait()
        try:
            outcome[buyer] = own.buy(g.id, buyer, tmp_path / buyer).id
        except StudioError as exc:
            outcome[buyer] = str(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=buy, args=pair) for pair in zip(buyers, previews)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    sold = [v for v in outcome.values() if v.startswith("pur_")]
    refused = [v for v in outcome.values() if "near-duplicate" in v]
    assert len(sold) == 1 and len(refused) == 1
    assert len(shop.ledger_events(kind="purchase.made")) == 1 and shop.verify_ledger().ok
