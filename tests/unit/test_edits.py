"""Edit jobs: a buyer's AI draft finished by hand by its creator, each step recorded, the file proving both."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import text

from studio.cli import main
from studio.errors import StudioError
from studio.rights import certificates, provenance
from tests.unit.test_plans import BOB, PROMPT, publish

pytestmark = pytest.mark.filterwarnings("ignore")
EVE = "eve@example.com"


@pytest.fixture
def shop(trained):
    publish(trained, cents=300)
    return trained


def _finished(st, gid: str) -> bytes:
    """The creator's hand-finished version of the draft: the draft with a line drawn over it."""
    img = Image.open(io.BytesIO(st.image(gid, preview=False))).convert("RGB")
    ImageDraw.Draw(img).line((0, 0, img.width, img.height), fill=(20, 20, 20), width=3)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def run(capsys, *argv: str, code: int = 0) -> str:
    assert main([*argv]) == code, capsys.readouterr()
    return capsys.readouterr().out


def test_a_draft_goes_from_request_to_a_hand_finished_file_whose_manifest_names_the_draft(shop, tmp_path, capsys):
    home = ["--home", str(shop.home)]
    (g,) = shop.generate("ada", PROMPT, seed=3, buyer=BOB)
    job = json.loads(run(capsys, "edit", "request", g.id, "--buyer", BOB, "--note", "thicker outline, please",
                         "--json", *home))
    assert (job["status"], job["creator"], job["prompt"], job["seed"]) == ("open", "ada", g.prompt, 3)
    assert job["draft_sha256"] == g.sha256  # the draft travels with the job
    assert [j.id for j in shop.edit_jobs("ada")] == [job["id"]] == [j.id for j in shop.edit_jobs(buyer=BOB)]
    said = run(capsys, "edit", "quote", job["id"], "--price", "40", *home)
    assert f"quoted at $40.00; {BOB} accepts it" in said
    run(capsys, "edit", "accept", job["id"], "--buyer", BOB, *home)
    (tmp_path / "finished.png").write_bytes(_finished(shop, g.id))
    assert "delivered" in run(capsys, "edit", "deliver", job["id"], str(tmp_path / "finished.png"), *home)
    run(capsys, "edit", "download", job["id"], "--buyer", BOB, "--out", str(tmp_path / "got"), *home)
    data = (tmp_path / "got" / f"{job['id']}.png").read_bytes()

    view = shop.edit_job(job["id"])
    assert view.status == "delivered" and view.quote_cents == 4000
    assert view.created_at <= view.quoted_at <= view.accepted_at <= view.delivered_at
    # the manifest: signed by this studio; the AI draft is the ingredient, the hand work an edit
    prov = provenance.read(data, trust_root=certificates.for_home(shop.home))
    assert prov.state == "Trusted" and prov.problems == []
    assert prov.ingredients[0]["title"] == f"{g.id}.png" and prov.ingredients[0]["relationship"] == "parentOf"
    opened, edited = prov.actions
    assert opened["action"] == "c2pa.opened" and opened["digitalSourceType"] == provenance.TRAINED_ALGORITHMIC_MEDIA
    assert edited["action"] == "c2pa.edited" and edited["digitalSourceType"] == provenance.COMPOSITE_WITH_TRAINED
    assert prov.edit == {"job_id": job["id"], "generation_id": g.id, "draft_sha256": g.sha256, "creator": "ada",
                         "buyer": BOB}
    assert "only the creator ada" in prov.training_mining["entries"]["c2pa.ai_training"]["constraint_info"]
    # the file checks out, a changed byte does not
    assert f"OK: Trusted (signed by this studio), the file delivered for edit job {job['id']}" in run(
        capsys, "rights", "verify", str(tmp_path / "got" / f"{job['id']}.png"), *home)
    tampered = bytearray(data)
    tampered[len(tampered) // 2] ^= 0x01
    checked = shop.verify_file(bytes(tampered))
    assert not checked["ok"] and any("sha256 differs" in p for p in checked["problems"])
    # each step in the ledger, and the audit replays them (the delivered file re-hashed too)
    kinds = [e["kind"] for e in shop.ledger_events(subject=job["id"])]
    assert kinds == ["edit.requested", "edit.quoted", "edit.accepted", "edit.delivered"]
    assert shop.verify_ledger(deep=True).ok


def test_wrong_people_and_wrong_steps_are_refused_with_the_reason_and_nothing_written(shop, tmp_path):
    (mine,) = shop.generate("ada", PROMPT, seed=3, buyer=BOB)
    (draft,) = shop.generate("ada", PROMPT, seed=5)
    (tmp_path / "f.png").write_bytes(_finished(shop, mine.id))
    with pytest.raises(StudioError, match="someone else's preview: only the buyer it was made for"):
        shop.request_edit(mine.id, EVE, "make it mine")
    with pytest.raises(StudioError, match="a creator's draft, not a buyer's preview"):
        shop.request_edit(draft.id, BOB, "please")
    with pytest.raises(StudioError, match="say what you would like changed"):
        shop.request_edit(mine.id, BOB, "  ")
    job = shop.request_edit(mine.id, BOB, "more contrast")
    with pytest.raises(StudioError, match=f"already has edit job {job.id} \\(open\\)"):
        shop.request_edit(mine.id, BOB, "again")
    events = len(shop.ledger_events())
    for step, reason in ((lambda: shop.accept_edit(job.id, BOB), "is open: only quoted jobs can be accepted"),
                         (lambda: shop.deliver_edit(job.id, tmp_path / "f.png"), "only accepted jobs can be delivered"),
                         (lambda: shop.quote_edit(job.id, 0), "more than zero"),
                         (lambda: shop.quote_edit(job.id, 10**9), "at most \\$10000.00"),
                         (lambda: shop.quote_edit("edt_nope", 100), "no edit job 'edt_nope'")):
        with pytest.raises(StudioError, match=reason):
            step()
    shop.quote_edit(job.id, 2500)
    with pytest.raises(StudioError, match=f"was not requested by {EVE}: only the buyer who asked"):
        shop.accept_edit(job.id, EVE)
    with pytest.raises(StudioError, match="is quoted: only open jobs can be quoted .*quoted at \\$25.00"):
        shop.quote_edit(job.id, 3000)
    with pytest.raises(StudioError, match="no edit job"):
        shop.download_edit(job.id, EVE, tmp_path / "x")  # someone else's job reads as none
    assert len(shop.ledger_events()) == events + 1  # the quote alone
    shop.decline_edit(job.id, "booked this month")
    with pytest.raises(StudioError, match="is declined: only quoted jobs can be accepted .*the creator declined it"):
        shop.accept_edit(job.id, BOB)
    assert shop.edit_job(job.id).reason == "booked this month"
    assert shop.request_edit(mine.id, BOB, "next month then").status == "open"  # a declined job is closed
    assert shop.verify_ledger().ok


def test_the_audit_finds_an_edit_job_changed_behind_the_ledger(shop):
    (g,) = shop.generate("ada", PROMPT, seed=3, buyer=BOB)
    job = shop.quote_edit(shop.request_edit(g.id, BOB, "brighter").id, 4000)
    with shop.engine.begin() as conn:
        conn.execute(text("UPDATE edit_requests SET quote_cents = 100, status = 'accepted'"))
    audit = shop.verify_ledger()
    assert not audit.ok
    assert f"edit job {job.id}: status is 'accepted' in the database but 'quoted' in the ledger" in audit.problems
    assert f"edit job {job.id}: quote_cents is 100 in the database but 4000 in the ledger" in audit.problems
