"""A creator's portfolio is read only for that creator's own model.

Two checks, because neither alone is sound:

- On the source: every call that reads blob bytes (``blobs.get``) is listed by module, and the list
  is exactly the modules below, each with why it reads what it reads. A new reader anywhere in
  ``studio/`` or ``widgets/`` fails this test until someone adds it here, with its reason. The
  modules that report on the marketplace (the rights reports, analytics) touch no blob at all.
  This cannot tell, from the source, whose bytes a call reads: ``blobs.get(sha)`` takes any hash.
- At run time: `BlobStore.get` is wrapped and every hash read is recorded while a buyer buys, asks
  for an edit that is delivered and downloads it, while the files are verified and identified, the
  certificate fetched, and the rights reports and analytics run. None of the hashes read is a
  portfolio item's. A positive control (a thumbnail of a portfolio image) shows the wrapper sees
  portfolio reads when they happen. (Generating, which checks outputs against the creator's own
  training images for memorisation, runs before the recording starts: it is the creator's model
  guarding the creator's work, and listed below.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from studio.store.blobs import BlobStore
from tests.unit.test_plans import BOB, PROMPT, publish

pytestmark = pytest.mark.filterwarnings("ignore")
ROOT = Path(__file__).resolve().parents[2]

READERS = {
    "studio/portfolio/service.py": "the creator's own thumbnails and caption suggestions",
    "studio/training/data.py": "training the creator's own model on their consented items",
    "studio/quality/gate.py": "scoring the creator's own model against their held-out items",
    "studio/marketplace/generations.py": "the memorisation guard on the creator's own model's outputs; a "
                                         "generation's own image",
    "studio/marketplace/purchases.py": "a generation's clean image and the delivered file",
    "studio/marketplace/edits.py": "the draft (a generation) and the delivered edit",
    "studio/training/cli.py": "a generation's image written by `studio generate`",
    "widgets/gallery.py": "a generation's image in the creator's gallery",
    "studio/training/text_data.py": "training the creator's own text model on their consented writing samples",
    "studio/quality/text_gate.py": "scoring the creator's own text model against their held-out writing",
    "studio/marketplace/texts.py": "the memorisation guard over the creator's own text model's training copy",
}


def _blob_readers() -> set[str]:
    found = set()
    for path in sorted([*(ROOT / "studio").rglob("*.py"), *(ROOT / "widgets").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                    and isinstance(node.func.value, (ast.Attribute, ast.Name))
                    and getattr(node.func.value, "attr", getattr(node.func.value, "id", None)) == "blobs"):
                found.add(str(path.relative_to(ROOT)))
    return found


def test_only_the_listed_modules_read_blob_bytes_and_the_reports_touch_no_blob():
    assert _blob_readers() == set(READERS)
    for quiet in ("studio/rights/reports.py", "studio/marketplace/analytics.py"):
        source = (ROOT / quiet).read_text()
        assert "blobs" not in source and "BlobStore" not in source and "PortfolioItem" not in source, quiet


def test_buying_editing_verifying_reports_and_analytics_read_no_portfolio_blob(trained, tmp_path, monkeypatch):
    st = trained
    publish(st, cents=300)
    (g,) = st.generate("ada", PROMPT, seed=3, buyer=BOB)
    (h,) = st.generate("ada", PROMPT, seed=4, buyer=BOB)
    portfolio = {v.sha256 for v in st.portfolio("ada")}
    read: list[str] = []
    real_get = BlobStore.get

    def recording_get(self, sha256):
        read.append(sha256)
        return real_get(self, sha256)

    monkeypatch.setattr(BlobStore, "get", recording_get)
    p = st.buy(g.id, BOB, tmp_path / "bought")
    job = st.quote_edit(st.request_edit(h.id, BOB, "please finish").id, 2000)
    st.accept_edit(job.id, BOB)
    st.deliver_edit(job.id, st.image(h.id, preview=False))
    st.download_edit(job.id, BOB, tmp_path / "edit")
    delivered = tmp_path / "bought" / f"{g.id}.png"
    assert st.verify_file(delivered)["ok"] and st.identify(delivered)["found"]
    assert st.verify_file(tmp_path / "edit" / f"{job.id}.png")["ok"]
    st.certificate(p.licence_id)
    for query in ({"creator": "ada"}, {"buyer": BOB}, {"asset": p.delivered_sha256}):
        st.rights_report(**query).to_html()
    st.analytics().text()
    assert read and not portfolio & set(read)  # blobs were read (the drafts, the delivered files): none of them ada's

    st.thumbnail(next(iter(portfolio)))  # the control: a portfolio read is seen
    assert portfolio & set(read)
