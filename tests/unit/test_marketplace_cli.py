"""The marketplace end to end through the `studio` command: from a vetted creator on a plan to a payout."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

import studio
from studio.cli import main
from studio.quality import gate
from studio.rights import certificates, provenance

pytestmark = pytest.mark.filterwarnings("ignore")
BOB = "bob@example.com"


def run(capsys, *argv: str, code: int = 0) -> str:
    assert main([*argv]) == code, capsys.readouterr()
    return capsys.readouterr().out


def test_a_creator_sells_a_buyer_owns_and_the_file_proves_it(tmp_path, random_base, portfolio_dir, monkeypatch,
                                                            capsys):
    home = ["--home", str(tmp_path / "home")]
    out, again = tmp_path / "bought", tmp_path / "again"
    run(capsys, "creator", "add", "ada", "--name", "Ada Lovelace", "--level", "level2", "--style-word", "adastyle",
        *home)
    run(capsys, "plan", "subscribe", "ada", *home)
    run(capsys, "portfolio", "add", "ada", str(portfolio_dir), *home)
    run(capsys, "train", "ada", "--base", str(random_base), "--steps", "8", "--batch-size", "2", "--rank", "4",
        "--checkpoint-every", "0", "--sample-every", "0", "--threads", "1", *home)
    monkeypatch.setattr(gate, "compare_styles", lambda b, m, r, p=None: {  # whatever the random base scores
        "style_distance_base": 0.8, "style_distance_model": 0.5,
        "palette_distance_base": 0.8, "palette_distance_model": 0.5})
    run(capsys, "model", "gate", "ada", *home)
    run(capsys, "model", "publish", "ada", "--price", "12.50", *home)

    previews = json.loads(run(capsys, "generate", "ada", "--prompt", "a red circle", "-n", "2", "--seed", "1",
                              "--buyer", BOB, "--out", str(tmp_path / "previews"), "--json", *home))
    gid = previews[0]["id"]
    assert main(["buy", gid, "--buyer", BOB, "--out", str(out), *home]) == 0
    said = capsys.readouterr()
    assert "Please note: Outputs are non-exclusive" in said.err  # told before the purchase
    assert f"bought {gid} for $12.50: purchase pur_" in said.out
    purchase = json.loads(run(capsys, "purchases", "--buyer", BOB, "--json", *home))[0]["id"]
    delivered = out / f"{gid}.png"

    # c2pa's Reader: Trusted against this studio's root, and `studio rights verify FILE` agrees
    prov = provenance.read(delivered, trust_root=certificates.for_home(tmp_path / "home"))
    assert prov.state == "Trusted" and prov.generation["generation_id"] == gid and prov.problems == []
    assert f"{delivered}: OK: Trusted" in run(capsys, "rights", "verify", str(delivered), *home)

    # metadata stripped, or re-encoded as JPEG q90: the mark still names the sale
    pixels = np.asarray(Image.open(delivered).convert("RGB"))
    Image.fromarray(pixels).save(tmp_path / "stripped.png")
    Image.fromarray(pixels).save(tmp_path / "copy.jpg", quality=90)
    for copy in ("stripped.png", "copy.jpg"):
        said = run(capsys, "rights", "identify", str(tmp_path / copy), *home)
        assert f"generation {gid} by ada, bought by {BOB} (purchase {purchase}" in said
    said = main(["rights", "verify", str(tmp_path / "stripped.png"), *home])
    assert said == 1 and f"the mark identifies generation {gid}" in capsys.readouterr().out
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(noise).save(tmp_path / "other.png")
    assert main(["rights", "identify", str(tmp_path / "other.png"), *home]) == 1
    assert "not from this studio" in capsys.readouterr().out

    # the creator disables the model: nobody generates, the buyer still downloads the same bytes
    run(capsys, "model", "disable", "ada", *home)
    assert main(["generate", "ada", "--prompt", "a red circle", "--buyer", BOB, "--out", str(tmp_path / "x"),
                 *home]) == 1
    assert "disabled: it makes no new generations" in capsys.readouterr().err
    run(capsys, "download", purchase, "--buyer", BOB, "--out", str(again), *home)
    assert (again / f"{gid}.png").read_bytes() == delivered.read_bytes()
    assert main(["download", purchase, "--buyer", "eve@example.com", "--out", str(again), *home]) == 1
    assert f"eve@example.com has no purchase '{purchase}'" in capsys.readouterr().err

    # the statement shows the sale and the split; a payout run pays it once
    said = run(capsys, "statement", "ada", *home)
    assert "2 generations (2 buyer previews), 1 sales, $12.50 gross, $2.50 platform fee, $10.00 earned" in said
    assert "paid ada $10.00 (1 sales)" in run(capsys, "payouts", "run", *home)
    assert "paid $0.00 to 0 creator(s)" in run(capsys, "payouts", "run", *home)
    assert "paid $10.00, owed $0.00" in run(capsys, "statement", "ada", *home)
    assert "agree" in run(capsys, "rights", "verify", "--deep", *home)
    st = studio.open(tmp_path / "home")
    assert [e["kind"] for e in st.ledger_events() if e["kind"].split(".")[0] in ("purchase", "licence", "payout")] \
        == ["purchase.made", "licence.granted", "payout.settled"]
    assert Image.open(io.BytesIO(delivered.read_bytes())).size == (64, 64)
    st.close()
