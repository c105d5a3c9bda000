"""The assistant panel drives the core: a test chat shows answers and handoffs, proposals can be approved."""

from __future__ import annotations

import pytest

from studio.samples import chats_path, knowledge_path

pytest.importorskip("ipywidgets")


@pytest.fixture
def panel(st):
    from widgets.assistant import AssistantPanel

    st.add_creator("oskar", "Oskar Lind", level="level2")
    st.assistant("oskar").setup(knowledge_path("oskar"))
    p = AssistantPanel(st, "oskar")
    yield p
    p.close()


def test_test_chat_shows_answer_source_and_handoff(panel):
    assert "Logo design" in panel.editor.value
    panel.message.value = "How much is the basic logo?"
    panel.send_button.click()
    assert "$40" in panel.transcript.value and "ANSWERED" in panel.transcript.value
    assert "gig:Logo design:price" in panel.transcript.value
    panel.message.value = "Can you give me a discount?"
    panel.send_button.click()
    assert "HANDOFF" in panel.transcript.value and "custom pricing" in panel.transcript.value


def test_saving_invalid_knowledge_shows_the_error(panel):
    panel.editor.value = panel.editor.value.replace("price: 40", "price: cheap")
    panel.save_button.click()
    assert "price must be a positive number" in panel.status.value


def test_proposals_can_be_approved_from_the_panel(panel, st):
    st.assistant("oskar").import_chats(chats_path("oskar"))
    proposals = [c for c in panel.qa_box.children if "studio-assistant-proposal" in c._dom_classes]
    assert proposals
    n = len(st.assistant("oskar").qa("approved"))
    proposals[0].children[1].children[1].click()  # Approve
    assert len(st.assistant("oskar").qa("approved")) == n + 1
    panel.insights_button.click()
    assert "Most frequent questions" in panel.insights_html.value


def test_panel_reuses_the_creators_assistant_and_its_index(panel, st):
    a = st.assistant("oskar")
    panel.message.value = "How much is the basic logo?"
    panel.send_button.click()
    assert a.index.builds == 1  # the panel replied through the studio's one assistant for oskar
    built = a.index.current
    for text in ("How long does the premium logo take?", "Will you sign an NDA?"):
        panel.message.value = text
        panel.send_button.click()
    assert a.index.builds == 1 and a.index.current is built
    assert len(a.history()) == 3 and st.assistant("oskar") is a


def test_knowledge_forms_show_each_error_beside_its_field_and_save(panel, st):
    price = panel.fields["gigs[0].packages[0].price"]
    assert price.value == "40"
    price.value = "forty"
    error = panel.field_errors["gigs[0].packages[0].price"].value
    assert "must be a positive number (got &#x27;forty&#x27;)" in error
    assert panel.field_errors["gigs[0].packages[1].price"].value.count("must") == 0
    panel.form_save_button.click()
    assert "Not saved" in panel.status.value
    price.value = "45"
    assert "must" not in panel.field_errors["gigs[0].packages[0].price"].value
    panel.form_save_button.click()
    assert "Saved" in panel.status.value and "price: 45" in panel.editor.value
    assert "$45" in st.assistant("oskar").reply("How much is the basic logo?").text


def test_inbox_controls_pause_and_take_over(panel, st):
    a = st.assistant("oskar")
    panel.inbox_fields["paused"].value = True
    panel.inbox_save.click()
    assert a.inbox()["paused"] is True
    panel.message.value = "How much is the basic logo?"
    panel.send_button.click()
    assert "queued for Oskar" in panel.transcript.value
    a.resume()
    (row,) = panel.conversations_box.children
    row.children[0].click()  # Take over
    assert "yours now" in panel.conversation_view.value and "basic logo" in panel.conversation_view.value
    assert a.conversations()[0]["taken_over"]
