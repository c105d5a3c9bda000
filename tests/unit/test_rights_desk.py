"""The rights desk panel drives the core: search the ownership chain, check a dropped file, get a certificate."""

from __future__ import annotations

import base64
import io
from datetime import datetime, timezone

import numpy as np
import pytest
from PIL import Image

from tests.unit.test_plans import BOB, PROMPT, publish

pytest.importorskip("ipywidgets")
pytestmark = pytest.mark.filterwarnings("ignore")


def drop(panel, name: str, data: bytes) -> None:
    """What the browser's FileUpload sends when a person picks a file."""
    panel.upload.value = ({"name": name, "type": "image/png", "size": len(data), "content": memoryview(data),
                           "last_modified": datetime.now(timezone.utc)},)


@pytest.fixture
def desk(trained, tmp_path):
    from widgets.rights import RightsDesk

    publish(trained, cents=300)
    (g,) = trained.generate("ada", PROMPT, seed=3, buyer=BOB)
    p = trained.buy(g.id, BOB, tmp_path)
    panel = RightsDesk(trained)
    yield panel, p, (tmp_path / f"{g.id}.png").read_bytes()
    panel.close()


def test_a_dropped_file_is_verified_a_changed_one_flagged_and_a_stripped_one_still_identified(desk):
    panel, p, data = desk
    drop(panel, "bought.png", data)
    assert "✓ Verified" in panel.verdict.value and p.id in panel.verdict.value
    assert "studio-rights-ok" in panel.verdict.value
    # the ownership chain of the file is shown, and its certificate offered
    assert p.licence_id in panel.results.value and BOB in panel.results.value and "$3.00" in panel.results.value
    assert panel.licence.value == p.licence_id
    html_link = panel.certificate.value.split("href='")[1].split("'")[0]
    assert p.delivered_sha256 in base64.b64decode(html_link.split(",", 1)[1]).decode()

    changed = bytearray(data)
    changed[len(changed) // 2] ^= 0x01
    drop(panel, "changed.png", bytes(changed))
    assert "✗ Flagged" in panel.verdict.value and "changed.png" in panel.verdict.value

    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    drop(panel, "stripped.png", buf.getvalue())
    assert "✗ Flagged" in panel.verdict.value and "no C2PA manifest" in panel.verdict.value
    assert f"the mark identifies generation {p.generation_id}, bought by {BOB}" in panel.verdict.value


def test_search_by_buyer_creator_or_asset_shows_the_chain_and_a_clear_error(desk):
    panel, p, _data = desk
    for kind, value in (("buyer", BOB), ("creator", "ada"), ("asset", p.delivered_sha256)):
        panel.kind.value, panel.query.value = kind, value
        panel.search_button.click()
        assert p.licence_id in panel.results.value and "training item(s)" in panel.results.value
    panel.kind.value, panel.query.value = "asset", "xyz"
    panel.search_button.click()
    assert "studio-error" in panel.results.value and "64 hex digits" in panel.results.value


def test_studio_serve_rights_desk_serves_the_rights_desk_dashboard(tmp_path, monkeypatch):
    import studio.serve
    from studio.cli import main

    served = []
    monkeypatch.setattr(studio.serve, "serve", lambda notebook, *a, **k: served.append(notebook) or 0)
    assert main(["serve", "rights-desk", "--home", str(tmp_path / "home")]) == 0
    assert served[0].name == "rights-desk.ipynb" and served[0].parent.name == "dashboards"
    assert "RightsDesk(studio.open())" in served[0].read_text()
