"""Selling text: a buyer's previews mask most of the copy, the purchase delivers the full text with a signed
provenance record, identify --text names the model by its watermark, and a disabled model writes nothing."""

from __future__ import annotations

import json
from datetime import datetime, timezone
import random

import pytest

from studio.errors import StudioError
from studio.store.tables import ModelVersion
from studio.text import world
from studio.text.inference import brief_line
from studio.text.preview import MASK

BUYER = "ben@example.com"
FAST = dict(steps=4, batch_size=2, rank=4, checkpoint_every=0, sample_every=0, threads=1)


@pytest.fixture(scope="module")
def text_home(tmp_path_factory):
    """A home where 'ada' has a published text model trained on 12 writing samples (gate marked passed)."""
    import studio

    rng = random.Random(7)
    folder = tmp_path_factory.mktemp("writing")
    rows = [json.dumps({"brief": brief_line(b), "copy": f"{b.business}: simply the {rng.choice(['best', 'kindest'])} "
                                                       f"{b.business_type} for {b.audience}."})
            for b in world.briefs(12, 7, "market-writer")]
    (folder / "samples.jsonl").write_text("\n".join(rows) + "\n")
    home = tmp_path_factory.mktemp("text-market") / "home"
    st = studio.open(home)
    st.add_creator("ada", "Ada Lovelace", level="level2")
    st.subscribe_plan("ada", "creation")
    st.add_to_portfolio("ada", [folder / "samples.jsonl"])
    v = st.train("ada", **FAST)
    with st.context.transaction() as s:
        s.get(ModelVersion, v.id).scores = {"kind": "text", "passed": True, "style_distance_model": 0.1,
                                            "style_distance_base": 0.2}
    st.publish("ada", price_cents=300)
    yield st
    st.close()


BRIEF = "brief: tagline | business: Juniper Books (bookshop) | audience: students | tone: witty"


def test_a_buyer_previews_masked_copy_buys_the_full_text_and_it_verifies(text_home, tmp_path):
    st = text_home
    gens = st.generate("ada", BRIEF, n=2, seed=11, buyer=BUYER)
    full = st.blobs.get(gens[0].sha256).decode()
    shown = st.blobs.get(gens[0].preview_sha256).decode()
    assert MASK in shown and len(shown) == len(full) and shown != full
    again = st.generate("ada", BRIEF, n=1, seed=11, buyer=BUYER)[0]
    assert st.blobs.get(again.sha256).decode() == full  # the same brief and seed write the same copy
    bought = st.buy(gens[0].id, BUYER, tmp_path / "out")
    names = sorted(p.rsplit("/", 1)[1] for p in bought.files)
    assert names == sorted([f"{gens[0].id}.txt", f"{gens[0].id}.provenance.json", f"{gens[0].id}.licence.json",
                            f"{gens[0].id}.licence.html"])
    delivered = tmp_path / "out" / f"{gens[0].id}.txt"
    assert delivered.read_text() == full and bought.mark_id is None
    check = st.verify_file(delivered)
    assert check["ok"], check["problems"]
    assert check["sale"]["buyer"] == BUYER
    edited = tmp_path / "edited.txt"
    edited.write_text(full + " Extra words.")
    (tmp_path / "edited.provenance.json").write_bytes((tmp_path / "out" / f"{gens[0].id}.provenance.json").read_bytes())
    bad = st.verify_file(edited)
    assert not bad["ok"] and any("sha256 differs" in p for p in bad["problems"])
    again_dir = tmp_path / "again"
    st.download(bought.id, BUYER, again_dir)
    assert (again_dir / f"{gens[0].id}.provenance.json").read_bytes() == \
        (tmp_path / "out" / f"{gens[0].id}.provenance.json").read_bytes()


def test_identify_text_names_the_delivered_file_and_not_someone_elses_text(text_home, tmp_path):
    st = text_home
    gen = st.generate("ada", BRIEF.replace("Juniper Books", "Inkwell Books"), n=1, seed=21, buyer=BUYER)[0]
    st.buy(gen.id, BUYER, tmp_path)
    found = st.identify_text(tmp_path / f"{gen.id}.txt")
    assert found["found"] and found["sale"]["generation"] == gen.id
    assert found["models"] and found["models"][0]["creator"] == "ada"
    human = tmp_path / "human.txt"
    human.write_text("We met at the corner cafe on Tuesday and talked about the weather, our plans for the summer "
                     "holidays, and whether the library would open late again next week for the exam period.")
    other = st.identify_text(human)
    assert not other["found"] and other["best"]["p_value"] > 1e-3


def test_the_gallery_and_the_cli_show_a_writers_copy_beside_the_bases(text_home, tmp_path, capsys):
    from studio import cli
    from widgets.gallery import GalleryPanel

    panel = GalleryPanel(text_home, "ada")
    panel.prompt.value, panel.seeds.value = BRIEF, "1, 2"
    panel._on_generate()
    panel._thread.join(120)
    cards = [c for row in (panel.base_row, panel.model_row) for c in row.children]
    assert len(cards) == 4 and all("studio-gallery-text" in c._dom_classes for c in cards), panel.status.value
    assert "2 texts from v1" in panel.status.value
    assert cli.main(["generate", "ada", "--home", str(text_home.home), "--prompt", BRIEF, "-n", "2", "--seed", "3",
                     "--out", str(tmp_path)]) == 0
    files = sorted(tmp_path.glob("*.txt"))
    assert len(files) == 2 and all(f.read_text().strip() for f in files)


def test_a_writer_finishes_a_text_draft_by_hand_and_the_buyer_gets_it_with_its_record(text_home, tmp_path):
    st = text_home
    gen = st.generate("ada", BRIEF, n=1, seed=31, buyer=BUYER)[0]
    job = st.request_edit(gen.id, BUYER, "make it rhyme")
    st.quote_edit(job.id, 2500)
    st.accept_edit(job.id, BUYER)
    with pytest.raises(StudioError, match="not UTF-8 text|empty or binary"):
        st.deliver_edit(job.id, b"\xff\xfe\x00")
    done = st.deliver_edit(job.id, "Juniper Books: read, then read some more,\nthe best of stories, floor to floor.".encode())
    assert done.status == "delivered"
    got = st.download_edit(job.id, BUYER, tmp_path / "edit")
    assert sorted(p.rsplit("/", 1)[1] for p in got.files) == [f"{job.id}.provenance.json", f"{job.id}.txt"]
    check = st.verify_file(tmp_path / "edit" / f"{job.id}.txt")
    assert check["ok"], check["problems"]
    assert check["edit"]["job"] == job.id and "finished by hand" in check["identified"]


def test_the_storefront_offers_a_writing_model_and_shows_its_masked_previews_as_cards(text_home):
    from studio.storefront import catalogue

    st = text_home
    (card,) = [m for m in catalogue.offered_models(st) if m["creator"] == "ada"]
    assert card["kind"] == "text" and card["quality_passed"]
    gen = st.generate("ada", BRIEF, n=1, seed=41, buyer=BUYER)[0]
    assert catalogue.preview_png(st, gen.id).startswith(b"\x89PNG")
    assert catalogue.preview_text(st, gen.id) == st.blobs.get(gen.preview_sha256).decode()


def test_the_rights_desk_verifies_a_dropped_text_with_its_record_and_tests_its_wording_without_one(text_home, tmp_path):
    from widgets.rights import RightsDesk

    st = text_home
    gen = st.generate("ada", BRIEF.replace("Juniper Books", "Folio Corner"), n=1, seed=51, buyer=BUYER)[0]
    st.buy(gen.id, BUYER, tmp_path)
    text, record = (tmp_path / f"{gen.id}.txt").read_bytes(), (tmp_path / f"{gen.id}.provenance.json").read_bytes()
    desk = RightsDesk(st)

    def dropped(name, data, kind="text/plain"):
        return {"name": name, "type": kind, "size": len(data), "content": memoryview(data),
                "last_modified": datetime.now(timezone.utc)}

    desk.upload.value = (dropped(f"{gen.id}.txt", text), dropped(f"{gen.id}.provenance.json", record, "application/json"))
    assert "Verified" in desk.verdict.value and gen.id in desk.verdict.value
    desk.upload.value = (dropped("copy.txt", text + b" (shared on a blog)"),)
    # without its record the text is not verified; its wording is tested against every text model's watermark
    # (one tagline is far too short for a verdict: the bench measures detection on 100-token texts)
    assert "Not verified" in desk.verdict.value and "Its wording:" in desk.verdict.value


def test_the_cli_verifies_a_delivered_text_and_identifies_it(text_home, tmp_path, capsys):
    from studio import cli

    st = text_home
    brief = BRIEF.replace("Juniper Books", "Quill & Page")
    gen = st.generate("ada", brief, n=1, seed=61, buyer=BUYER)[0]
    st.buy(gen.id, BUYER, tmp_path)
    same = st.generate("ada", brief, n=1, seed=61, buyer="cy@example.com")[0]  # the same brief and seed: the same text
    with pytest.raises(StudioError, match="the same text as .* sold earlier"):
        st.buy(same.id, "cy@example.com", tmp_path / "cy")
    home = ["--home", str(st.home)]
    assert cli.main(["rights", "verify", str(tmp_path / f"{gen.id}.txt"), *home]) == 0
    assert "OK: Trusted" in capsys.readouterr().out
    (tmp_path / "alone.txt").write_bytes((tmp_path / f"{gen.id}.txt").read_bytes())
    assert cli.main(["rights", "verify", str(tmp_path / "alone.txt"), *home]) == 1
    assert "no provenance record alone.provenance.json" in capsys.readouterr().out
    assert cli.main(["rights", "identify", "--text", str(tmp_path / f"{gen.id}.txt"), *home]) == 0
    assert f"the file delivered for generation {gen.id}" in capsys.readouterr().out


def test_text_briefs_are_checked_and_a_disabled_model_writes_nothing(text_home):
    st = text_home
    with pytest.raises(StudioError, match="needs a brief"):
        st.generate("ada", "   ", buyer=BUYER)
    with pytest.raises(StudioError, match="over the limit of 500"):
        st.generate("ada", "x" * 600, buyer=BUYER)
    st.disable_model("ada", notice_days=0)
    with pytest.raises(StudioError, match="disabled"):
        st.generate("ada", BRIEF, buyer=BUYER)
