"""Rights reports: per asset, the owner and licence, the model version, what it learned from (hash and
consent), and the money; the same DataFrames as JSON, CSV and HTML, from Python and the command line."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from studio.cli import main
from studio.errors import StudioError
from tests.unit.test_plans import BOB, PROMPT, publish

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture
def sold(trained, tmp_path):
    """ada's model at $3.00; BOB bought one preview; a second one is an edit job, delivered."""
    publish(trained, cents=300)
    (g,) = trained.generate("ada", PROMPT, seed=3, buyer=BOB)
    p = trained.buy(g.id, BOB, tmp_path / "bought")
    (h,) = trained.generate("ada", PROMPT, seed=9, buyer=BOB)
    job = trained.quote_edit(trained.request_edit(h.id, BOB, "finish it").id, 5000)
    trained.accept_edit(job.id, BOB)
    trained.deliver_edit(job.id, trained.image(h.id, preview=False))
    return trained, p, trained.edit_job(job.id)


def test_a_report_follows_each_asset_to_its_owner_licence_model_version_and_consented_training_items(sold):
    st, p, job = sold
    version = st.model_version("ada")
    learned = [i for i in version.manifest["items"] if i["role"] == "train"]
    items = {v.id: v for v in st.portfolio("ada")}

    for query in ({"buyer": BOB}, {"creator": "ada"}):
        report = st.rights_report(**query)
        assert list(report.assets["kind"]) == ["purchase", "edit"]
        assert set(report.assets["owner"]) == {BOB} and set(report.assets["creator"]) == {"ada"}
    sale = report.assets.iloc[0]
    assert (sale["asset_sha256"], sale["licence"], sale["purchase"]) == (p.delivered_sha256, p.licence_id, p.id)
    assert "owned by the buyer; non-exclusive" in sale["terms"]
    assert (sale["model_version"], sale["version_number"]) == (version.id, version.number)
    assert sale["weights_sha256"] == st.ledger_events(subject=version.id, kind="model.trained")[0]["payload"][
        "weights_sha256"]
    assert (sale["paid_cents"], sale["fee_cents"], sale["earned_cents"], sale["payout_status"]) == (300, 60, 240, "owed")
    assert sale["training_items"] == len(learned)
    edit = report.assets.iloc[1]
    assert edit["asset_sha256"] == job.delivered_sha256 and edit["licence"] == job.id
    assert "settled outside the studio" in edit["terms"] and pd.isna(edit["paid_cents"])

    # what the version learned from: each item's hash and its consent record, as it stands now
    st.revoke("ada", learned[0]["item_id"], reason="client withdrew")
    mine = st.rights_report(asset=p.delivered_sha256)
    assert len(mine.assets) == 1 and len(mine.training) == len(learned)
    rows = mine.training.set_index("item")
    for i in learned:
        assert rows.loc[i["item_id"], "item_sha256"] == i["sha256"] == items[i["item_id"]].sha256
        assert rows.loc[i["item_id"], "consent"] == i["consent_id"]
        assert rows.loc[i["item_id"], "consent_basis"] == "own"
    assert not rows.loc[learned[0]["item_id"], "consent_active"] and rows.loc[learned[0]["item_id"], "consent_revoked_at"]
    assert "consent_reference" not in mine.training  # a client's reference stays with the creator
    assert "consent_reference" in st.rights_report(creator="ada").training
    # the draft's sha256 finds what was made from it; an unknown one finds nothing
    assert list(st.rights_report(asset=job.draft_sha256).assets["kind"]) == ["edit"]
    assert st.rights_report(asset="0" * 64).totals == {"assets": 0, "paid_cents": 0, "fee_cents": 0,
                                                        "earned_cents": 0}

    # exports
    data = json.loads(mine.to_json())
    assert data["query"] == {"asset": p.delivered_sha256} and data["assets"][0]["licence"] == p.licence_id
    assert len(data["training"]) == len(learned)
    flat = pd.read_csv(io.StringIO(mine.to_csv()))
    assert len(flat) == len(learned) and set(flat["licence"]) == {p.licence_id}
    page = mine.to_html()
    assert page.startswith("<!doctype html>") and p.licence_id in page and learned[0]["sha256"] in page


def test_the_report_command_writes_json_csv_and_html_and_refuses_unclear_questions(sold, tmp_path, capsys):
    st, p, _job = sold
    home = ["--home", str(st.home)]
    for fmt in ("json", "csv", "html"):
        out = tmp_path / f"report.{fmt}"
        assert main(["rights", "report", "--buyer", BOB, "--format", fmt, "--out", str(out), *home]) == 0
        assert f"wrote 2 asset(s) as {fmt}" in capsys.readouterr().err
        assert p.licence_id in out.read_text()
    assert json.loads((tmp_path / "report.json").read_text())["totals"]["paid_cents"] == 300
    assert main(["rights", "report", "--creator", "ada", *home]) == 0
    said = capsys.readouterr().out
    assert "Rights report: creator ada: 2 asset(s), paid $3.00, earned $2.40" in said and BOB in said
    assert main(["rights", "report", "--asset", "not-a-hash", *home]) == 1
    assert "--asset is a file's sha256 (64 hex digits)" in capsys.readouterr().err
    assert main(["rights", "report", "--creator", "nobody", *home]) == 1
    assert "no creator with handle 'nobody'" in capsys.readouterr().err
    with pytest.raises(StudioError, match="one creator .* one buyer .* or one asset"):
        st.rights_report(creator="ada", buyer=BOB)
