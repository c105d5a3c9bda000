"""The storefront (Gradio), as buyers use it: in headless Chromium through its page, and through `gradio_client`.

One published model on a randomly initialised tiny base (the tests check the shop, not the image),
trained in a few steps; the storefront runs as `studio serve storefront` does, in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

import studio
from studio import samples
from studio.cli import main
from studio.store.tables import ModelVersion
from tests.ui.conftest import ROOT, free_port, screenshot

pytestmark = [pytest.mark.ui, pytest.mark.filterwarnings("ignore")]

PASSWORD = "correct horse battery"
ANA, BEN = "ana@example.com", "ben@example.com"
CROWD = [f"buyer{i}@example.com" for i in range(8)]


def make_shop(root: Path) -> Path:
    """ada's model, published at $3.00 with one draft of her own as its sample; ten buyer accounts."""
    from tests.tiny_random import make_random_base

    home, folder = root / "home", root / "portfolio"
    samples.write_portfolio(folder, samples.SAMPLE_CREATORS[0], seed=0, images=4)
    st = studio.open(home)
    st.add_creator("ada", "Ada Lovelace", level="level2")
    st.subscribe_plan("ada")
    st.add_to_portfolio("ada", [folder])
    st.train("ada", base=str(make_random_base(root / "tiny-random")), trigger="adastyle", steps=4, batch_size=2,
             rank=4, checkpoint_every=0, sample_every=0, threads=1)
    with st.transaction() as s:  # whatever the random base scored, let the version be published here
        s.get(ModelVersion, st.models("ada")[0].id).scores = {"passed": True}
    st.publish("ada", price_cents=300)
    st.generate("ada", "a red circle", seed=1)  # the creator's own draft: the listing's sample
    for buyer in [ANA, BEN, *CROWD]:
        st.register_buyer(buyer, PASSWORD)
    st.close()
    return home


@pytest.fixture(scope="module")
def shop_home(tmp_path_factory):
    return make_shop(tmp_path_factory.mktemp("shop"))


@contextmanager
def storefront(home: Path, log: Path, tmp: Path | None = None):
    """`python -m studio.storefront` on a free port (its temporary files under `tmp` if given); yields its URL."""
    port = free_port()
    env = {**os.environ, "STUDIO_HOME": str(home), "OMP_NUM_THREADS": "1", **({"TMPDIR": str(tmp)} if tmp else {})}
    with open(log, "wb") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "studio.storefront", "--port", str(port)], env=env,
                                stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, f"the storefront exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, f"the storefront did not start:\n{log.read_text()[-3000:]}"
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def log_in(browser, url: str, email: str):
    context = browser.new_context(viewport={"width": 1280, "height": 1100}, accept_downloads=True)
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(url)
    page.get_by_label("username").fill(email)
    page.get_by_label("password").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    page.locator("#studio-buyer").wait_for()
    assert page.locator("#studio-buyer").inner_text() == email
    return context, page


def download(page, where: str, name: str, folder: Path) -> Path:
    """Click a file's download link in a File component, as a person would, and keep what arrives."""
    with page.expect_download() as info:
        page.locator(f'{where} a[download="{name}"]').click()
    target = folder / name
    info.value.save_as(target)
    return target


def verified(home: Path, file: Path) -> bool:
    return main(["rights", "verify", str(file), "--home", str(home)]) == 0


def fetch(url: str, context=None) -> tuple[int, bytes]:
    """GET a URL over plain HTTP with the login cookies of a browser context (none: logged out)."""
    import urllib.error

    cookies = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies(url)) if context else ""
    req = urllib.request.Request(url, headers={"Cookie": cookies} if cookies else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def link_of(page, where: str, name: str, url: str) -> str:
    """The absolute URL of a file's download link on the page."""
    from urllib.parse import urljoin

    return urljoin(url, page.locator(f'{where} a[download="{name}"]').get_attribute("href"))


def preview_src(page, generation: str, url: str) -> str:
    """The absolute URL the page shows one of the buyer's previews from."""
    from urllib.parse import urljoin

    img = page.locator(f'#studio-previews img[src*="{generation}"]').first
    img.wait_for()
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", img.element_handle())  # it loaded
    return urljoin(url, img.get_attribute("src"))


def test_a_buyer_generates_buys_downloads_and_the_file_verifies(browser, shop_home, tmp_path):
    with storefront(shop_home, tmp_path / "storefront.log") as url:
        ana, page = log_in(browser, url, ANA)
        page.get_by_text("Ada Lovelace (@ada), version 1").wait_for()
        assert "$3.00" in page.locator("#studio-detail").inner_text()
        page.locator("#studio-samples img").first.wait_for()  # ada's own draft, watermarked
        screenshot(page, "storefront", height=1000)

        page.get_by_role("tab", name="Generate and buy").click()
        page.locator("#studio-prompt textarea").fill("a blue square")
        page.locator("#studio-generate").click()
        page.locator("#studio-gen-status .studio-ok").wait_for()
        page.locator("#studio-previews img").first.wait_for()
        page.locator("#studio-quote").get_by_text("non-exclusive").wait_for()
        page.locator("#studio-buy").click()
        page.locator("#studio-buy-status .studio-ok").wait_for()
        st = studio.open(shop_home)
        (bought,) = st.purchases(ANA)
        assert bought.id in page.locator("#studio-buy-status").inner_text()
        image = download(page, "#studio-bought-files", f"{bought.generation_id}.png", tmp_path)
        download(page, "#studio-bought-files", f"{bought.generation_id}.licence.json", tmp_path)
        assert verified(shop_home, image)

        # Buying it again is refused on the page, as a message.
        page.locator("#studio-buy").click()
        page.locator("#studio-quote .studio-error").or_(page.locator("#studio-buy-status .studio-error")).first.wait_for()

        # ben sees none of it, on the page or through the API, and ana's links give him nothing.
        ben, ben_page = log_in(browser, url, BEN)
        ben_page.get_by_role("tab", name="My purchases").click()
        ben_page.get_by_text("No purchases yet").wait_for()
        assert bought.id not in ben_page.content() and bought.generation_id not in ben_page.content()
        image_url = link_of(page, "#studio-bought-files", image.name, url)
        assert fetch(image_url, ana) == (200, image.read_bytes())
        assert fetch(image_url, ben)[0] == 404 and fetch(image_url)[0] == 401
        # Her preview too: the page shows it from the storefront's own route, never from Gradio's shared cache.
        preview_url = preview_src(page, bought.generation_id, url)
        assert "gradio_api/file=" not in preview_url
        assert not [src for src in page.locator("#studio-previews img").evaluate_all("els => els.map(e => e.src)")
                    if "gradio_api/file=" in src]
        assert fetch(preview_url, ana) == (200, st.image(bought.generation_id, preview=True))
        status, body = fetch(preview_url, ben)
        assert status == 404 and st.image(bought.generation_id, preview=True) not in body
        assert fetch(preview_url)[0] == 401
        from gradio_client import Client

        as_ben = Client(url, auth=(BEN, PASSWORD), verbose=False)
        assert as_ben.predict(api_name="/my_purchases") == [] and as_ben.predict(api_name="/my_previews") == []
        with pytest.raises(Exception, match="has no purchase"):
            as_ben.predict(bought.id, api_name="/download")
        with pytest.raises(Exception, match="someone else's preview"):
            as_ben.predict(bought.generation_id, api_name="/buy")
        ben.close()

        # The creator disables the model: no longer offered, and ana still downloads what she bought.
        st.disable_model("ada", reason="retiring this style")
        st.close()
        page.reload()
        page.locator("#studio-buyer").wait_for()
        page.get_by_text("No creator offers a model yet").wait_for()
        page.get_by_role("tab", name="My purchases").click()
        page.locator("#studio-purchases").get_by_text(bought.id).filter(visible=True).first.wait_for()
        page.locator("#studio-download").click()
        page.locator("#studio-download-status .studio-ok").wait_for()
        (tmp_path / "again").mkdir()
        again = download(page, "#studio-download-files", f"{bought.generation_id}.png", tmp_path / "again")
        assert again.read_bytes() == image.read_bytes() and verified(shop_home, again)
        as_ana = Client(url, auth=(ANA, PASSWORD), verbose=False)
        assert as_ana.predict(api_name="/list_models") == []
        with pytest.raises(Exception, match="offers no model"):
            as_ana.predict("ada", "a blue square", 1, None, api_name="/generate")
        ana.close()
        st = studio.open(shop_home)
        st.enable_model("ada")  # the next test shops again
        st.close()


def test_eight_buyers_generating_at_once_each_get_their_own_previews(shop_home, tmp_path):
    import base64

    from gradio_client import Client

    with storefront(shop_home, tmp_path / "storefront.log") as url:
        clients = {b: Client(url, auth=(b, PASSWORD), verbose=False) for b in CROWD}
        results, errors = {}, []
        start = threading.Barrier(len(CROWD))

        def shop(buyer: str, i: int) -> None:
            try:
                start.wait()
                results[buyer] = clients[buyer].predict("ada", f"a shape number {i}", 1, 1000 + i,
                                                        api_name="/generate")
            except Exception as exc:  # noqa: BLE001 - reported below with the buyer
                errors.append((buyer, repr(exc)))

        threads = [threading.Thread(target=shop, args=(b, i)) for i, b in enumerate(CROWD)]
        began = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        took = time.monotonic() - began
        assert errors == [] and len(results) == len(CROWD), (errors, took)

        st = studio.open(shop_home)
        for i, buyer in enumerate(CROWD):
            (row,) = results[buyer]
            (mine,) = st.generations(buyer=buyer)  # recorded once, for this buyer only
            assert (row["generation"], row["seed"]) == (mine.id, 1000 + i) and f"number {i}" in mine.prompt
            assert base64.b64decode(row["preview_png_base64"]) == st.image(mine.id)
            assert clients[buyer].predict(api_name="/my_previews")[0]["generation"] == mine.id
        assert len({r[0]["generation"] for r in results.values()}) == len(CROWD)
        assert st.verify_ledger().ok
        st.close()
