"""The storefront's conversations with the creator, in headless Chromium: the creator's assistant
answering a buyer, and an edit job from request to download (the creator's side through the core
API, as the creator's dashboard does it), with the delivered file for its buyer only.
"""

from __future__ import annotations

import io

import pytest

import studio
from tests.ui.test_storefront import (ANA, BEN, PASSWORD, download, fetch, link_of, log_in, make_shop, preview_src,
                                      storefront, verified)

pytestmark = [pytest.mark.ui, pytest.mark.filterwarnings("ignore")]

KNOWLEDGE = """\
profile: {name: Ada, bio: Geometric posters and prints finished by hand., languages: [English], timezone: Europe/London}
offline_message: Ada is away until Monday.
gigs:
  - title: Hand-finished edit
    packages:
      - {name: Basic, price: 25, delivery_days: 2, revisions: 1, includes: [colour and crop fixes]}
      - {name: Premium, price: 90, delivery_days: 5, revisions: 3, includes: [repainting, print-ready file]}
qa:
  - {q: "Can I print the images I buy?", a: "Yes: every image you buy comes with a licence certificate that covers print."}
handoff_topics:
  - {topic: custom pricing, examples: [can you do it cheaper, I have a small budget]}
"""


@pytest.fixture(scope="module")
def shop_home(tmp_path_factory):
    """The storefront tests' shop, and ada's assistant set up from her knowledge file."""
    home = make_shop(tmp_path_factory.mktemp("edit-shop"))
    st = studio.open(home)
    st.assistant("ada").setup(KNOWLEDGE)
    st.close()
    return home


def say(page, text: str) -> None:
    page.locator("#studio-message textarea").fill(text)
    page.locator("#studio-message textarea").press("Enter")


def test_a_buyer_asks_the_creators_assistant_and_a_discount_goes_to_the_creator(browser, shop_home, tmp_path):
    with storefront(shop_home, tmp_path / "storefront.log") as url:
        ana, page = log_in(browser, url, ANA)
        page.get_by_text("Ada Lovelace (@ada), version 1").wait_for()
        page.get_by_role("tab", name="Ask the creator").click()
        chat = page.locator("#studio-chat")

        say(page, "How much does a hand-finished edit cost?")
        chat.get_by_text("$25", exact=False).wait_for()  # from the knowledge file's packages
        assert "$90" in chat.inner_text()

        say(page, "Could you give me a 30% discount?")
        chat.get_by_text("The creator will follow up in person.", exact=False).wait_for()
        handed = chat.inner_text().split("30% discount?", 1)[1]
        assert "Ada" in handed and "reply to you personally" in handed and "30%" not in handed
        assert not page.locator(".studio-error").count()
        ana.close()

    st = studio.open(shop_home)  # the creator sees the hand-off in her inbox, for this buyer
    handoffs = st.assistant("ada").history(status="handoff")
    assert [m.client_text for m in handoffs] == ["Could you give me a 30% discount?"]
    st.close()


def png(colour: str) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(buf, format="PNG")
    return buf.getvalue()


def test_an_edit_is_requested_quoted_accepted_delivered_and_downloaded_by_its_buyer_only(browser, shop_home,
                                                                                          tmp_path):
    server_tmp = tmp_path / "server-tmp"
    server_tmp.mkdir()
    with storefront(shop_home, tmp_path / "storefront.log", tmp=server_tmp) as url:
        ana, page = log_in(browser, url, ANA)
        page.get_by_role("tab", name="Generate and buy").click()
        page.locator("#studio-prompt textarea").fill("a green triangle")
        page.locator("#studio-generate").click()
        made = page.locator("#studio-gen-status .studio-ok, #studio-gen-status .studio-error")
        made.wait_for()
        assert made.get_attribute("class") == "studio-ok", made.inner_text()
        page.locator("#studio-previews img").first.wait_for()
        page.locator("#studio-quote").get_by_text("non-exclusive").wait_for()  # the new preview is the one picked
        page.get_by_text("Ask the creator to edit this preview by hand").click()
        page.locator("#studio-edit-note textarea").fill("Make the triangle gold, please")
        page.locator("#studio-request-edit").click()
        said = page.locator("#studio-edit-status .studio-ok, #studio-edit-status .studio-error")
        said.wait_for()
        assert said.get_attribute("class") == "studio-ok", said.inner_text()
        st = studio.open(shop_home)
        (job,) = st.edit_jobs(buyer=ANA)
        assert job.id in page.locator("#studio-edit-status").inner_text() and job.note == "Make the triangle gold, please"

        page.get_by_role("tab", name="My edit jobs").click()
        card = page.locator("#studio-job")
        card.get_by_text("Waiting for ada's quote").wait_for()
        assert page.locator("#studio-accept-edit").is_disabled()

        st.quote_edit(job.id, 1500)  # the creator, from her dashboard
        page.get_by_role("button", name="Refresh").click()
        card.get_by_text("ada quotes $15.00 for this edit").wait_for()
        page.locator("#studio-accept-edit").click()
        page.locator("#studio-job-status .studio-ok").wait_for()
        card.get_by_text("You accepted $15.00").wait_for()
        assert st.edit_job(job.id).status == "accepted"

        # ben can neither accept nor fetch ana's job, through the API.
        from gradio_client import Client

        as_ben = Client(url, auth=(BEN, PASSWORD), verbose=False)
        assert as_ben.predict(api_name="/my_edit_jobs") == []
        with pytest.raises(Exception, match="has no edit job"):
            as_ben.predict(job.id, api_name="/accept_edit")

        st.deliver_edit(job.id, png("gold"))  # the creator's finished file
        page.get_by_role("button", name="Refresh").click()
        card.get_by_text("Delivered by ada").wait_for()
        name = f"{job.id}.png"
        page.locator(f'#studio-edit-files a[download="{name}"]').wait_for()
        got = download(page, "#studio-edit-files", name, tmp_path)
        assert verified(shop_home, got)
        assert as_ben.predict(api_name="/my_edit_jobs") == []
        with pytest.raises(Exception, match="has no edit job"):
            as_ben.predict(job.id, api_name="/download_edit")
        (mine,) = Client(url, auth=(ANA, PASSWORD), verbose=False).predict(api_name="/my_edit_jobs")
        assert mine["status"] == "delivered"

        # The link answers ana's login only: ben, logged in with his own, gets nothing; no login, nothing.
        edit_url = link_of(page, "#studio-edit-files", name, url)
        assert "gradio_api/file=" not in edit_url
        ben, ben_page = log_in(browser, url, BEN)
        ben_page.get_by_role("tab", name="My edit jobs").click()
        ben_page.get_by_text("No edit jobs yet").wait_for()
        assert job.id not in ben_page.content()
        status, body = fetch(edit_url, ben)
        assert status == 404 and got.read_bytes() not in body
        assert fetch(edit_url)[0] == 401
        assert fetch(edit_url, ana) == (200, got.read_bytes())
        # ... and no copy of it, nor of the preview it edits, is left on the server's disk for Gradio's file
        # route to serve: its cache (in the server's own folder) holds the creator's public samples it
        # showed, and no file of ana's.
        (own,) = server_tmp.glob("studio-storefront-*")
        assert any(p.is_file() for p in (own / "gradio").rglob("*"))
        delivered, preview = got.read_bytes(), st.image(job.generation_id, preview=True)
        assert [p for p in server_tmp.rglob("*") if p.is_file() and p.read_bytes() in (delivered, preview)] == []
        # ana's preview, as the page shows it, answers her login only.
        page.get_by_role("tab", name="Generate and buy").click()
        preview_url = preview_src(page, job.generation_id, url)
        assert fetch(preview_url, ana) == (200, preview)
        assert fetch(preview_url, ben)[0] == 404 and fetch(preview_url)[0] == 401
        ben.close()
        ana.close()
        st.close()
