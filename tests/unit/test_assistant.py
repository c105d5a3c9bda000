"""The creator's personal assistant: answers, handoffs, guardrails, chats, insights, CLI."""

from __future__ import annotations

import json

import pytest

from studio.assistant import Assistant, guardrails, parse_chats, parse_knowledge
from studio.samples import chats_path, knowledge_path
from studio.cli import main
from studio.errors import StudioError

KNOWLEDGE = """\
profile: {name: Oskar, bio: Bold ink logos and posters., languages: [English], timezone: Europe/Stockholm}
offline_message: Oskar is offline until Monday.
gigs:
  - title: Logo design
    packages:
      - {name: Basic, price: 40, delivery_days: 3, revisions: 1, includes: [one concept]}
      - {name: Premium, price: 150, delivery_days: 7, revisions: unlimited, includes: [three concepts, vector files]}
qa:
  - {q: "Do you sign an NDA?", a: "Yes, I am happy to sign a standard NDA before we start."}
handoff_topics:
  - {topic: custom pricing, examples: [can you do it cheaper, I have a small budget]}
  - {topic: rush delivery, examples: [can you deliver tomorrow, I need it by tonight]}
"""


@pytest.fixture
def oskar(st):
    st.add_creator("oskar", "Oskar Lind", level="level2")
    a = st.assistant("oskar")
    a.setup(KNOWLEDGE)
    return a


def with_answer(a: Assistant, question: str, answer: str) -> None:
    """An approved pair whose answer the guardrails have to catch."""
    a.add_qa(question, answer, approve=True)


# --- answering ------------------------------------------------------------------------------


def test_answers_prices_from_the_gig_data(oskar):
    r = oskar.reply("How much does a logo cost?")
    assert not r.handoff and r.status == "sent"
    assert r.source == "gig:Logo design:price"
    assert "$40" in r.text and "$150" in r.text
    assert r.confidence >= 0.55


def test_answers_an_approved_question_by_meaning(oskar):
    r = oskar.reply("Would you be willing to sign an NDA with me?")
    assert not r.handoff
    assert r.source.startswith("qa:")
    assert "NDA" in r.text


def test_unrelated_message_is_handed_off_with_a_summary(oskar):
    r = oskar.reply("Can you repair my washing machine?")
    assert r.handoff and r.status == "handoff"
    assert "Oskar" in r.text and "reply to you personally" in r.text
    assert r.reason.startswith("not offered") and r.kind == "not_offered"
    assert "washing machine" in r.summary


def test_handoff_topic_and_offline_message(oskar):
    r = oskar.reply("Can you deliver it tomorrow?", offline=True)
    assert r.handoff and r.topic == "rush delivery"
    assert r.text.startswith("Oskar is offline until Monday.")


def test_summary_covers_the_conversation_so_far(oskar):
    first = oskar.reply("How much is a logo?")
    r = oskar.reply("I have a really small budget, can you go lower?", conversation_id=first.conversation_id)
    assert r.handoff and r.topic == "custom pricing"
    assert "How much is a logo?" in r.summary and "2 messages" in r.summary


def test_every_reply_and_handoff_is_logged_with_its_source(oskar):
    oskar.reply("How long does the logo take?")
    oskar.reply("Can you give me a discount?")
    log = oskar.history()
    assert [m.status for m in log] == ["sent", "handoff"]
    assert log[0].source == "gig:Logo design:delivery"
    assert log[1].source.startswith("handoff:")


def test_approve_before_send_queues_replies(oskar):
    oskar.settings(approve_before_send=True)
    r = oskar.reply("How much is a logo?")
    assert r.status == "queued" and not r.handoff
    assert [m.id for m in oskar.queue()] == [r.message_id]
    sent = oskar.send(r.message_id, text="Logos start at $40.")
    assert sent.status == "sent" and oskar.queue() == []


# --- one assistant per creator, one index ---------------------------------------------------


def test_studio_keeps_one_assistant_per_creator_and_reuses_its_index(oskar, st):
    assert st.assistant("oskar") is oskar
    oskar.reply("How much does a logo cost?")
    assert oskar.index.builds == 1
    built = oskar.index.current
    oskar.reply("How long does the logo take?")
    oskar.settings(approve_before_send=False)  # settings are not in the index
    st.assistant("oskar").reply("Will you sign an NDA?")
    assert oskar.index.builds == 1 and oskar.index.current is built


def test_index_is_rebuilt_when_knowledge_or_approved_pairs_change(oskar, home):
    import studio

    added = oskar.add_qa("Do you make mascots?", "Yes, mascots are part of my Logo design gig.")
    r = oskar.reply("Do you make mascots?")
    assert oskar.index.builds == 1 and r.source == f"qa:{added.id}"
    oskar.reject(added.id)
    assert oskar.reply("Do you make mascots?").source != f"qa:{added.id}"
    assert oskar.index.builds == 2
    oskar.setup(KNOWLEDGE.replace("price: 40", "price: 45"))
    assert "$45" in oskar.reply("How much does a logo cost?").text and oskar.index.builds == 3
    other = studio.open(home)  # a change made elsewhere (another process, the CLI) is noticed too
    try:
        again = other.assistant("oskar").add_qa("Do you make mascots?", "Yes, mascots are part of my Logo design gig.")
    finally:
        other.close()
    assert oskar.reply("Do you make mascots?").source == f"qa:{again.id}" and oskar.index.builds == 4


# --- guardrails -----------------------------------------------------------------------------


def test_guardrail_made_up_price(oskar):
    with_answer(oskar, "How much is a mascot logo?", "A mascot logo is $25.")
    r = oskar.reply("How much is a mascot logo?")
    assert r.handoff and r.reason.startswith("guardrail") and "$25" in r.reason
    assert "$25" not in r.text


def test_guardrail_rush_deadline(oskar):
    with_answer(oskar, "Can you do a quick turnaround?", "Sure, I can deliver it in 1 day.")
    r = oskar.reply("Can you do a quick turnaround?")
    assert r.handoff and "delivery" in r.reason
    assert "1 day" not in r.text


def test_guardrail_unlisted_service(oskar):
    with_answer(oskar, "Do you edit videos?", "Yes, I also offer video editing for your promo clips.")
    r = oskar.reply("Do you edit videos?")
    assert r.handoff and "service" in r.reason


def test_guardrail_discount_request_and_discount_promise(oskar):
    r = oskar.reply("Could you give me 20% off the premium logo?")
    assert r.handoff and r.topic == "custom pricing"
    with_answer(oskar, "Is there anything for returning clients?", "Returning clients get a 10% discount.")
    r = oskar.reply("Is there anything for returning clients?")
    assert r.handoff and "discount" in r.reason


def test_guardrails_accept_true_and_negated_statements():
    k = parse_knowledge(KNOWLEDGE)
    assert guardrails.check("Basic is $40, delivered in 3 days with 1 revision.", k) == []
    assert guardrails.check("Premium includes unlimited revisions and takes 7 days.", k) == []
    assert guardrails.check("Sorry, I don't offer discounts.", k) == []
    kinds = {i.kind for i in guardrails.check("For you $35, same-day, 5 revisions and I can do animation too.", k)}
    assert kinds == {"price", "delivery", "revisions", "service"}


# --- setup files ----------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    (KNOWLEDGE.replace("price: 40", "price: forty"), "line 6: gigs[0].packages[0].price must be a positive number"),
    (KNOWLEDGE.replace("delivery_days: 7", "delivery_days: soon"), "line 7: gigs[0].packages[1].delivery_days"),
    (KNOWLEDGE.replace("revisions: 1,", "revisions: many,"), "line 6: gigs[0].packages[0].revisions"),
    (KNOWLEDGE.replace('NDA?", a: ', 'NDA?", answer: '), "line 9: qa[0].answer is not a known field"),
    (KNOWLEDGE.replace("gigs:", "gig:"), "line 3: gig is not a known field"),
    (KNOWLEDGE.replace("  - {topic: rush delivery, examples: [can you deliver tomorrow, I need it by tonight]}",
                       "  - {topic: rush delivery, examples: can you deliver tomorrow}"), "line 12: handoff_topics[1].examples"),
    ("profile: {name: X}\ngigs: [\n", "not valid YAML"),
    ("profile: {name: X}\n", "gigs is missing"),
])
def test_malformed_setup_files_name_the_field_and_line(text, expected):
    with pytest.raises(StudioError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        parse_knowledge(text)


def test_setup_from_file_and_unknown_handle(st, tmp_path):
    st.add_creator("oskar", "Oskar Lind", level="level2")
    bad = tmp_path / "oskar.yaml"
    bad.write_text(KNOWLEDGE.replace("price: 150", "price: -5"))
    with pytest.raises(StudioError, match=r"oskar.yaml line 7: gigs\[0\].packages\[1\].price"):
        st.assistant("oskar").setup(bad)
    with pytest.raises(StudioError, match="no creator with handle 'nobody'"):
        st.assistant("nobody")
    with pytest.raises(StudioError, match="no creator with handle 'nobody'"):
        Assistant(st.context, "nobody")


def test_every_sample_knowledge_file_is_valid():
    for handle in ("mira", "oskar", "juno"):
        k = parse_knowledge(knowledge_path(handle).read_text())
        assert k.gigs and k.handoff_topics
        # the sample's own Q&A answers pass its guardrails
        assert all(guardrails.check(a, k) == [] for _, a in k.qa), handle


# Valid by the schema, 3 KB of text, 300 topics x 300 examples x 100 characters once the aliases are expanded.
BILLION_LAUGHS = KNOWLEDGE.split("handoff_topics:")[0] + "handoff_topics:\n" + (
    "  - &t {topic: &s '" + "lol " * 25 + "', examples: [" + ", ".join(["*s"] * 300) + "]}\n") + "  - *t\n" * 299


def test_yaml_alias_bomb_is_refused_fast_and_nothing_is_stored(oskar):
    import time

    before = oskar.knowledge().to_dict()
    started = time.perf_counter()
    with pytest.raises(StudioError) as caught:
        oskar.setup(BILLION_LAUGHS)
    assert time.perf_counter() - started < 1.0
    assert str(caught.value) == "knowledge line 11: YAML anchors (&t) are not accepted; write the value out"
    assert len(BILLION_LAUGHS) < 5000
    assert oskar.knowledge().to_dict() == before
    with pytest.raises(StudioError, match=r"line 3: YAML aliases \(\*base\) are not accepted"):
        parse_knowledge("profile: {name: Oskar}\ngigs: []\nqa: *base\n")


@pytest.mark.parametrize("text, expected", [
    ("profile: {name: !!python/object/apply:os.system [echo pwned]}\ngigs: []\n",
     "knowledge line 1: the YAML tag '!!python/object/apply:os.system' is not accepted"),
    ("!!python/object/apply:os.system\n- echo pwned\n", "knowledge line 1: the YAML tag '!!python/object/apply:os.system'"),
    ("profile: {name: !!python/name:os.system ''}\n", "line 1: the YAML tag '!!python/name:os.system'"),
    ("profile: {name: !!binary aGk=}\n", "line 1: the YAML tag '!!binary'"),
    ("profile: {name: !mine x}\n", "line 1: the YAML tag '!mine'"),
    ("profile: {name: !!int ten}\n", "line 1: not valid YAML"),
    ("profile: {name: X}\ngigs:\n  - ? [a, b]\n    : c\n", "line 3: a mapping key must be plain text"),
    ("profile: {name: X}\n---\nprofile: {}\n", "not valid YAML"),
    (KNOWLEDGE.replace("price: 40", "price: .inf"), "line 6: gigs[0].packages[0].price must be a positive number"),
    (KNOWLEDGE.replace("price: 40", "price: .nan"), "line 6: gigs[0].packages[0].price must be a positive number"),
])
def test_yaml_tags_and_odd_values_are_one_line_errors(text, expected):
    with pytest.raises(StudioError) as caught:
        parse_knowledge(text)
    assert expected in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("depth", [33, 100_000])
def test_deeply_nested_yaml_is_refused(depth):
    text = "profile: {name: X}\ngigs: " + "[" * depth + "]" * depth + "\n"
    with pytest.raises(StudioError) as caught:
        parse_knowledge(text)
    assert str(caught.value) == "knowledge line 2: nested more than 32 levels deep"
    at_limit = KNOWLEDGE.replace("includes: [one concept]", "includes: " + "[" * 27 + "]" * 27)  # 32 levels in all
    with pytest.raises(StudioError, match=r"line 6: gigs\[0\].packages\[0\].includes must be a list of texts"):
        parse_knowledge(at_limit)  # past the loader: the validator sees it


# --- past chats -----------------------------------------------------------------------------


@pytest.fixture
def mira(st):
    st.add_creator("mira", "Mira Okafor", level="top_rated")
    a = st.assistant("mira")
    a.setup(knowledge_path("mira"))
    return a


def test_chat_import_proposes_pairs_and_nothing_unapproved_is_answered(mira):
    before = mira.reply("Do you draw animals?")
    assert before.handoff
    info = mira.import_chats(chats_path("mira"))
    assert info["imported"] == 8 and info["skipped_without_consent"] == 2 and info["proposed"] >= 1
    animals = next(p for p in mira.proposals() if "animal" in p.question.lower())
    assert animals.support >= 2 and animals.status == "proposed"
    assert mira.reply("Do you draw animals?").handoff  # proposed is not approved
    mira.approve(animals.id, answer="Yes, animals are my favourite subject.")
    r = mira.reply("Do you draw animals?")
    assert not r.handoff and r.source == f"qa:{animals.id}" and r.text == "Yes, animals are my favourite subject."


def test_rejected_proposals_are_never_used(mira):
    mira.import_chats(chats_path("mira"))
    animals = next(p for p in mira.proposals() if "animal" in p.question.lower())
    mira.reject(animals.id)
    assert mira.reply("Do you draw animals?").handoff
    mira.import_chats(chats_path("mira"))  # importing again proposes nothing new
    assert all(p.id != animals.id for p in mira.proposals())


def test_unconsented_chats_are_never_used(mira, st):
    mira.import_chats(chats_path("mira"))
    # The two unconsented conversations ask the same question twice ("Moonfox Harbour"):
    # it would be proposed and would show in insights if they were used.
    everything = json.dumps([q.as_dict() for q in mira.qa()]) + json.dumps(mira.insights(), default=str)
    assert "Moonfox" not in everything
    from sqlalchemy import select

    from studio.store.tables import AssistantChat

    with st.transaction() as s:
        stored = list(s.scalars(select(AssistantChat)))
    assert all(c.consent for c in stored) and "Moonfox" not in json.dumps([c.turns for c in stored])


@pytest.mark.parametrize("lines, expected", [
    (['{"id": "a", "consent": true, "turns": [{"role": "client", "text": "hi"}]}', '{"id": "b", consent: true}'],
     "line 2: not valid JSON"),
    (['{"id": "a", "turns": [{"role": "client", "text": "hi"}]}'], "line 1: consent is missing"),
    (['{"id": "a", "consent": "yes", "turns": [{"role": "client", "text": "hi"}]}'], "consent must be true or false"),
    (['{"id": "a", "consent": true, "turns": [{"role": "bot", "text": "hi"}]}'], r"line 1: turns\[0\].role"),
    (['{"id": "a", "consent": true, "turns": []}'], "line 1: turns must be a non-empty list"),
    (['', '   '], "no conversations"),
])
def test_malformed_chat_logs_are_rejected_whole(mira, tmp_path, lines, expected):
    with pytest.raises(StudioError, match=expected):
        parse_chats("\n".join(lines), "chats.jsonl")
    if not any(line.strip() for line in lines):
        return
    path = tmp_path / "chats.jsonl"
    good = '{"id": "ok", "consent": true, "turns": [{"role": "client", "text": "Do you draw animals for books?"}]}'
    path.write_text("\n".join([good, *lines]) + "\n")
    with pytest.raises(StudioError):
        mira.import_chats(path)
    assert mira.insights()["conversations"] == 0  # nothing imported, not even the good line



@pytest.mark.parametrize("depth", [33, 100_000])
def test_deeply_nested_json_in_a_chat_log_names_the_line(depth):
    good = '{"id": "a", "consent": true, "turns": [{"role": "client", "text": "hi"}]}'
    deep = '{"id": "b", "consent": true, "turns": ' + "[" * depth + "]" * depth + "}"
    with pytest.raises(StudioError) as caught:
        parse_chats(f"{good}\n{deep}", "chats.jsonl")
    assert str(caught.value) == f"chats.jsonl line 2: nested {depth + 1} levels deep, over the limit of 32"

# --- insights -------------------------------------------------------------------------------


def test_insights_show_gaps_reasons_rate_and_orders(mira):
    mira.import_chats(chats_path("mira"))
    r1 = mira.reply("How much is a children's book illustration?")
    mira.reply("Can you do it cheaper?", conversation_id=r1.conversation_id)
    mira.mark_order(r1.conversation_id)
    mira.reply("Do you paint murals on walls?")
    mira.reply("Could you paint a mural on my wall?")
    d = mira.insights()
    assert d["messages"] == 4 and d["answered"] == 1 and d["answer_rate"] == 0.25
    gap = d["unanswered_questions"][0]
    assert gap["count"] == 2 and "mural" in gap["question"].lower()
    assert {"reason": "handoff topic: custom pricing", "count": 1} in d["handoff_reasons"]
    assert any(c["conversation"] == r1.conversation_id for c in d["orders"])
    assert any(c["conversation"] == "mira-c01" for c in d["orders"])  # imported chats with an order
    assert d["frequent_questions"][0]["count"] >= 2


# --- CLI ------------------------------------------------------------------------------------


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_setup_reply_json_and_errors(home, tmp_path, capsys):
    import studio

    st = studio.open(home)
    st.add_creator("oskar", "Oskar Lind", level="level2")
    st.close()
    f = tmp_path / "k.yaml"
    f.write_text(KNOWLEDGE)
    assert run(capsys, "assistant", "setup", "oskar", str(f), "--home", str(home))[0] == 0
    code, out, _ = run(capsys, "assistant", "reply", "oskar", "how much is the premium logo?", "--json", "--home", str(home))
    data = json.loads(out)
    assert code == 0 and {"text", "handoff", "topic", "source", "confidence"} <= set(data)
    assert data["handoff"] is False and "$150" in data["text"]
    code, out, _ = run(capsys, "assistant", "reply", "oskar", "can you do it for $20?", "--offline", "--json",
                       "--home", str(home))
    data = json.loads(out)
    assert data["handoff"] is True and data["text"].startswith("Oskar is offline")
    f.write_text(KNOWLEDGE.replace("price: 40", "price: free"))
    code, _, err = run(capsys, "assistant", "setup", "oskar", str(f), "--home", str(home))
    assert code == 1 and "line 6: gigs[0].packages[0].price" in err
    code, out, _ = run(capsys, "assistant", "insights", "oskar", "--json", "--home", str(home))
    assert code == 0 and json.loads(out)["messages"] == 2


def test_clinc_eval_on_a_small_subset():
    from studio.assistant import clinc

    if not (clinc.DEFAULT_DIR / "data_full.json").is_file():
        pytest.fail(f"CLINC150 is not in {clinc.DEFAULT_DIR}: put ../shared beside the checkout or set CLINC150_DIR")
    d = clinc.evaluate(intents=6, per_intent=10, oos=20)
    assert d["intents"] == 6 and d["test_queries"] == 6 * 10 and d["oos_test_queries"] == 20
    assert d["in_scope_accuracy"] >= 0.8 and d["oos_recall"] >= 0.4
    assert 0 < d["threshold"] < 1


def test_lexical_fallback_answers_and_hands_off(st):
    from studio.assistant.embed import LexicalEncoder

    st.add_creator("oskar", "Oskar Lind", level="level2")
    a = Assistant(st.context, "oskar", encoder=LexicalEncoder())
    a.setup(KNOWLEDGE)
    r = a.reply("how much is logo design?")
    assert not r.handoff and "$40" in r.text
    assert a.reply("Can you give me a discount please?").handoff
    assert a.reply("Do you repair bicycles?").handoff
