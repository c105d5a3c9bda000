"""The assistant panel drives the core: a test chat shows answers and handoffs, proposals can be approved."""

from __future__ import annotations

import pytest

from studio.assistant import Assistant, sample_chats_path, sample_knowledge_path

pytest.importorskip("ipywidgets")


@pytest.fixture
def panel(st):
    from widgets.assistant import AssistantPanel

    st.add_creator("oskar", "Oskar Lind", level="level2")
    Assistant(st, "oskar").setup(sample_knowledge_path("oskar"))
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
    Assistant(st, "oskar").import_chats(sample_chats_path("oskar"))
    proposals = [c for c in panel.qa_box.children if "studio-assistant-proposal" in c._dom_classes]
    assert proposals
    n = len(Assistant(st, "oskar").qa("approved"))
    proposals[0].children[1].children[1].click()  # Approve
    assert len(Assistant(st, "oskar").qa("approved")) == n + 1
    panel.insights_button.click()
    assert "Most frequent questions" in panel.insights_html.value
