"""The rights desk as a Voila app (`studio serve rights-desk`): drop a purchased file, see it verified; drop a
tampered copy, see it flagged."""

from __future__ import annotations

import pytest

import studio
from studio import samples
from studio.store.tables import ModelVersion
from tests.ui.conftest import screenshot, serve_voila

pytestmark = [pytest.mark.ui, pytest.mark.filterwarnings("ignore")]

DASHBOARD = "notebooks/dashboards/rights-desk.ipynb"
BOB = "bob@example.com"


@pytest.fixture
def bought(tmp_path):
    """A home where bob bought one of ada's previews (a randomly initialised tiny base: the test checks the
    page, not the image); returns the home and the delivered file."""
    from tests.tiny_random import make_random_base

    home, folder = tmp_path / "home", tmp_path / "portfolio"
    samples.write_portfolio(folder, samples.SAMPLE_CREATORS[0], seed=0, images=4)
    st = studio.open(home)
    st.add_creator("ada", "Ada Lovelace", level="level2")
    st.subscribe_plan("ada")
    st.add_to_portfolio("ada", [folder])
    st.train("ada", base=str(make_random_base(tmp_path / "tiny-random")), trigger="adastyle", steps=4, batch_size=2,
             rank=4, checkpoint_every=0, sample_every=0, threads=1)
    with st.transaction() as s:  # whatever the random base scored, let the version be published here
        s.get(ModelVersion, st.models("ada")[0].id).scores = {"passed": True}
    st.publish("ada", price_cents=300)
    (g,) = st.generate("ada", "a blue square", seed=3, buyer=BOB)
    p = st.buy(g.id, BOB, tmp_path / "bought")
    st.close()
    return home, tmp_path / "bought" / f"{g.id}.png", p


def choose_file(page, panel, name: str, data: bytes) -> None:
    """Click the FileUpload button and answer the browser's file chooser, as a person would."""
    with page.expect_file_chooser() as chooser:
        panel.get_by_role("button", name="Check a file").click()
    chooser.value.set_files([{"name": name, "mimeType": "image/png", "buffer": data}])


def test_a_purchased_file_is_verified_and_a_tampered_copy_flagged(page, bought, tmp_path):
    home, delivered, purchase = bought
    data = delivered.read_bytes()
    tampered = bytearray(data)
    tampered[len(tampered) // 2] ^= 0x01
    with serve_voila(DASHBOARD, home, tmp_path / "voila.log") as url:
        page.goto(url)
        panel = page.locator(".studio-rights")
        panel.wait_for()

        choose_file(page, panel, "bought.png", data)
        verdict = panel.locator(".studio-rights-verdict")
        verdict.locator(".studio-rights-ok").wait_for()
        assert "Verified" in verdict.inner_text() and purchase.id in verdict.inner_text()
        results = panel.locator(".studio-rights-results")
        results.get_by_text(purchase.licence_id).first.wait_for()  # the ownership chain of the file
        assert BOB in results.inner_text() and "$3.00" in results.inner_text()
        panel.locator(".studio-rights-certificate").get_by_text("Certificate (HTML)").wait_for()
        screenshot(page, "rights-desk")

        choose_file(page, panel, "tampered.png", bytes(tampered))
        verdict.locator(".studio-rights-flagged").wait_for()
        text = verdict.inner_text()
        assert "Flagged" in text and "tampered.png" in text
        assert panel.locator(".studio-rights-ok").count() == 0
