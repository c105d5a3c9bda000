"""The assistant answers package questions in the client's words, hands off what is the creator's call,
works like a freelancer's inbox, ties conversations to orders, and checks the knowledge forms."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

import studio
from studio.assistant import parse_knowledge
from studio.assistant.knowledge import field_errors
from studio.errors import StudioError
from studio.store import SCHEMA_VERSION
from studio.store.tables import Blob, EditRequest, Generation, Purchase

KNOWLEDGE = """\
profile: {name: Noor, bio: Bright product and portrait photography., languages: [English, Urdu], timezone: Europe/London}
offline_message: Noor is on a shoot today.
gigs:
  - title: Product photography
    packages:
      - {name: Essentials, price: 90, delivery_days: 2, revisions: 1, includes: [10 edited photos, white background]}
      - {name: Catalogue Pro, price: 250, delivery_days: 4, revisions: 2, includes: [30 edited photos, lifestyle shots]}
      - {name: Campaign, price: 600, delivery_days: 7, revisions: unlimited, includes: [60 edited photos, lifestyle shots, stop-motion clip]}
  - title: Headshots
    packages:
      - {name: Single Look, price: 60, delivery_days: 3, revisions: 1, includes: [5 retouched photos]}
      - {name: Studio Session, price: 150, delivery_days: 5, revisions: 2, includes: [15 retouched photos, two outfits]}
qa:
  - q: "Do you come to my location?"
    a: "I shoot in my Leeds studio; you send the products by post and I send them back."
handoff_topics:
  - {topic: billboard licensing, examples: [can I use the photos on a billboard, I need an outdoor advertising licence]}
"""


@pytest.fixture
def noor(st):
    st.add_creator("noor", "Noor Aziz", level="level2")
    a = st.assistant("noor")
    a.setup(KNOWLEDGE)
    return a


# --- answers from the creator's facts, whatever the wording ------------------------------------


@pytest.mark.parametrize("message, figures, absent", [
    ("what does the essentials one cost", ["$90"], ["$250"]),  # a package and an attribute
    ("How long does the catalogue pro package take?", ["4 days"], ["7 days"]),
    ("how many revisions do i get with campaign", ["unlimited revisions"], []),
    ("whats included in the essentails pakage", ["10 edited photos", "white background"], []),  # typos
    ("how much is the catalog one?", ["$250"], ["$90"]),  # a distinctive word of a two-word name, misspelt
    ("how much for product photos?", ["$90", "$250", "$600"], ["$60"]),  # an attribute, one gig: all its packages
    ("how long do headshots take", ["3 days", "5 days"], ["7 days"]),
    ("what's the difference between essentials and campaign?", ["$90", "$600", "2 days", "7 days"], []),
    ("price of the second product package?", ["$250"], ["$90"]),  # an ordinal
    ("how fast can you deliver the cheapest headshot option", ["3 days"], ["5 days"]),
    ("what would the most expensive package set me back", ["$600"], ["$150"]),
    ("whats the price of the basic product shoot", ["$90"], ["$600"]),  # the marketplace's tier word
    ("does the campaign include a stop-motion clip?", ["stop-motion clip"], []),
    ("how much is studio session and how many revisions does it have?", ["$150", "2 revisions"], ["$60"]),
    ("which package would fit if I need 25 photos of my candles?", ["Catalogue Pro", "$250"], []),
    ("do you speak urdu?", ["Urdu"], []),
    ("which time zone are you in", ["Europe/London"], []),
    ("do you come to my house for the shoot?", ["Leeds studio"], []),  # approved Q&A, reworded
])
def test_package_profile_and_qa_questions_are_answered_with_the_files_figures(noor, message, figures, absent):
    r = noor.reply(message)
    assert not r.handoff, r.reason
    for f in figures:
        assert f in r.text
    for f in absent:
        assert not re.search(re.escape(f) + r"(?!\d)", r.text)  # "$60" is not in "$600"


@pytest.mark.parametrize("message, kind", [
    ("can you give me a discount on the campaign?", "discount"),
    ("could you throw in a free extra photo?", "discount"),
    ("can you do catalogue pro for $200?", "custom_price"),
    ("my budget is tight, can we work something out", "custom_price"),
    ("how much would 100 edited photos cost?", "custom_price"),  # more than any package includes
    ("I need the campaign photos in 3 days", "rush"),  # sooner than its 7 days
    ("can you have them ready by friday?", "rush"),  # a date only the creator can promise
    ("can I talk to Noor herself?", "human"),
    ("can I use the photos on a billboard on the motorway?", "topic"),
    ("do you also film wedding videos?", "not_offered"),
    ("what's the capital of Peru?", "unknown"),
])
def test_what_only_the_creator_can_decide_is_handed_off_with_its_kind(noor, message, kind):
    r = noor.reply(message)
    assert r.handoff and r.status == "handoff" and r.kind == kind, r.reason
    assert "Noor" in r.text and "$" not in r.text


def test_a_guardrail_hands_off_an_approved_answer_that_states_an_unknown_figure(noor):
    noor.add_qa("Do you shoot jewellery?", "Yes, a jewellery set is $45 and ready in 1 day.")
    r = noor.reply("Do you shoot jewellery?")
    assert r.handoff and r.kind == "guardrail" and "$45" in r.reason and "$45" not in r.text


def test_the_handoff_summary_names_who_what_was_answered_and_the_next_step(noor):
    first = noor.reply("how much is essentials?", client="ana@example.com")
    r = noor.reply("could you do it for $70?", conversation_id=first.conversation_id, client="ana@example.com")
    assert r.handoff and r.kind == "custom_price"
    assert "ana@example.com" in r.summary
    assert "already answered" in r.summary and "how much is essentials?" in r.summary and "$90" in r.summary
    assert "could you do it for $70?" in r.summary and "Suggested next step" in r.summary


# --- the inbox --------------------------------------------------------------------------------------


def test_a_paused_assistant_queues_every_message_for_the_creator(noor):
    assert noor.pause()["paused"] is True
    r = noor.reply("how much is essentials?")
    assert r.status == "held" and r.handoff and "$90" not in r.text
    assert "queued for Noor" in r.text and "held" in r.reason
    noor.resume()
    assert not noor.reply("how much is essentials?").handoff


def test_a_taken_over_conversation_gets_no_assistant_reply_until_handed_back(noor):
    first = noor.reply("how much is essentials?")
    transcript = noor.take_over(first.conversation_id)
    assert [m.client_text for m in transcript] == ["how much is essentials?"] and "$90" in transcript[0].reply_text
    r = noor.reply("and campaign?", conversation_id=first.conversation_id)
    assert r.status == "held" and r.text == ""  # the creator is in the conversation
    assert noor.reply("how much is campaign?").status == "sent"  # other conversations go on
    assert [m.client_text for m in noor.hand_back(first.conversation_id)][-1] == "and campaign?"
    assert noor.reply("how much is campaign?", conversation_id=first.conversation_id).status == "sent"
    with pytest.raises(StudioError, match="no conversation"):
        noor.take_over("nope")


def test_only_while_away_and_the_away_switch(noor):
    noor.inbox(only_when_away=True)
    assert noor.reply("how much is essentials?").status == "held"
    assert noor.reply("how much is essentials?", offline=True).status == "sent"
    noor.inbox(away=True)
    assert noor.reply("how much is essentials?").status == "sent"
    r = noor.reply("can you give me a discount?")
    assert r.text.startswith("Noor is on a shoot today.")  # away: the offline message


def test_only_new_clients_leaves_returning_clients_to_the_creator(noor):
    noor.inbox(only_new_clients=True)
    assert noor.reply("how much is essentials?", client="ana@example.com").status == "sent"
    again = noor.reply("how much is campaign?", client="ana@example.com")  # a second conversation: returning
    assert again.status == "held" and "returning" in again.reason
    assert noor.reply("how much is campaign?").status == "sent"  # no client id: treated as new


def test_an_out_of_office_period_turns_on_the_offline_message(noor, st):
    now = st.context.now()
    settings = noor.inbox(out_of_office_start=now - timedelta(hours=1), out_of_office_end=now + timedelta(days=2))
    assert settings["out_of_office_now"] and settings["away_now"]
    assert noor.reply("can I talk to Noor herself?").text.startswith("Noor is on a shoot today.")
    st.context.now = lambda: now + timedelta(days=3)
    assert not noor.inbox()["away_now"]
    assert noor.reply("can I talk to Noor herself?").text.startswith("Thanks for your message")
    with pytest.raises(StudioError, match="end .* must come after its start"):
        noor.inbox(out_of_office_start="2030-01-02T00:00", out_of_office_end="2030-01-01T00:00")
    with pytest.raises(StudioError, match="date-time"):
        noor.inbox(out_of_office_start="soon", out_of_office_end="later")
    with pytest.raises(StudioError, match="unknown inbox setting"):
        noor.inbox(holiday=True)


# --- insights tied to money -------------------------------------------------------------------------


def _order(st, creator_id: str, buyer: str, cents: int, when: datetime, edit: bool = False) -> None:
    """A purchase (or an accepted edit job) as the marketplace records it; made directly, no model needed."""
    with st.transaction() as s:
        sha = f"{abs(hash((buyer, cents, when))):064x}"[:64]
        s.add(Blob(sha256=sha, size=1, media_type="image/png"))
        g = Generation(creator_id=creator_id, prompt="p", seed=1, buyer=buyer, blob_sha256=sha)
        s.add(g)
        s.flush()
        if edit:
            s.add(EditRequest(generation_id=g.id, buyer=buyer, message="m", status="accepted", quote_cents=cents,
                              creator_id=creator_id, created_at=when, accepted_at=when))
        else:
            s.add(Purchase(generation_id=g.id, buyer=buyer, price_cents=cents, fee_cents=0, creator_cents=cents,
                           creator_id=creator_id, created_at=when))


def test_insights_link_conversations_to_later_purchases_and_edit_jobs(noor, st):
    before = st.context.now() - timedelta(days=1)
    _order(st, noor.creator_id, "ana@example.com", 9000, before)  # before any conversation: not linked
    alone = noor.reply("how much is essentials?", client="ana@example.com")
    mixed = noor.reply("how much is campaign?", client="bo@example.com")
    noor.reply("can you do it for $500?", conversation_id=mixed.conversation_id)
    noor.reply("do you also film wedding videos?")
    noor.reply("do you also film wedding videos??")
    later = st.context.now() + timedelta(minutes=1)
    _order(st, noor.creator_id, "ana@example.com", 9000, later)
    _order(st, noor.creator_id, "ana@example.com", 2500, later + timedelta(seconds=1), edit=True)
    _order(st, noor.creator_id, "bo@example.com", 60000, later)
    d = noor.insights()
    assert (d["answered"], d["handed_off"], d["answer_rate"]) == (2, 3, 0.4)
    rows = {c["conversation"]: c for c in d["orders"]}
    assert [o["kind"] for o in rows[alone.conversation_id]["orders"]] == ["purchase", "edit job"]
    assert rows[alone.conversation_id]["revenue_cents"] == 11500 and rows[mixed.conversation_id]["revenue_cents"] == 60000
    assert d["revenue_cents"] == 71500
    assert (d["conversations_answered_alone"], d["revenue_answered_alone_cents"]) == (1, 11500)
    gap = d["unanswered_questions"][0]
    assert gap["count"] == 2 and "wedding" in gap["question"]
    (proposed,) = noor.propose_gaps()
    assert proposed.status == "proposed" and proposed.origin == "insights" and noor.propose_gaps() == []
    with pytest.raises(StudioError, match="write the answer first"):
        noor.approve(proposed.id)
    noor.approve(proposed.id, answer="No, I only shoot photos.")
    assert noor.reply(gap["question"]).text == "No, I only shoot photos."


def test_an_older_hand_marked_order_still_counts(noor):
    r = noor.reply("how much is essentials?")
    noor.mark_order(r.conversation_id)
    (row,) = noor.insights()["orders"]
    assert row["marked_by_hand"] and row["revenue_cents"] == 0


# --- the knowledge forms' validation ----------------------------------------------------------------


def test_field_errors_name_each_bad_field_with_the_parsers_words():
    data = parse_knowledge(KNOWLEDGE).to_dict()
    assert field_errors(data) == {}
    data["profile"]["name"] = " "
    data["gigs"][0]["packages"][1].update(price=-5, delivery_days=1.5, revisions="many")
    data["gigs"][1]["packages"][1]["name"] = "single look"
    data["qa"][0]["a"] = ""
    errors = field_errors(data)
    assert errors == {
        "profile.name": "must be a non-empty text",
        "gigs[0].packages[1].price": "must be a positive number (got -5)",
        "gigs[0].packages[1].delivery_days": "must be a whole number of days (got 1.5)",
        "gigs[0].packages[1].revisions": "must be a count or 'unlimited' (got 'many')",
        "gigs[1].packages[1].name": "is the name of another package of this gig",
        "qa[0].a": "must be a non-empty text",
    }
    bad = KNOWLEDGE.replace("price: 250", "price: -5")
    with pytest.raises(StudioError, match=r"gigs\[0\].packages\[1\].price must be a positive number \(got -5\)"):
        parse_knowledge(bad)  # the same rule, the same words


def test_setup_from_the_forms_dict_and_nothing_saved_when_invalid(noor):
    data = noor.knowledge().to_dict()
    data["gigs"][0]["packages"][0]["price"] = 95
    noor.setup(data)
    assert "$95" in noor.reply("how much is essentials?").text
    data["gigs"][0]["packages"][0]["price"] = "cheap"
    with pytest.raises(StudioError, match="price must be a positive number"):
        noor.setup(data)
    assert "$95" in noor.reply("how much is essentials?").text


# --- schema version 7 ---------------------------------------------------------------------------------


def test_a_version_5_home_is_upgraded_with_its_assistant_data(noor, st, home):
    noor.reply("how much is essentials?", conversation_id="c1")
    st.close()
    with sqlite3.connect(home / "studio.db") as con:  # back to what schema version 5 wrote
        con.execute("DROP TABLE assistant_conversations")
        con.execute("DROP TABLE IF EXISTS buyer_accounts")  # version 6 (another service's)
        con.execute("ALTER TABLE assistant_profiles DROP COLUMN inbox")
        con.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    again = studio.open(home)
    try:
        assert (again.schema_found, again.schema_version) == (5, SCHEMA_VERSION)
        a = again.assistant("noor")
        assert [m.conversation_id for m in a.history()] == ["c1"]
        assert a.inbox()["paused"] is False  # no settings stored yet: the defaults
        a.pause()
        assert a.reply("how much is essentials?", conversation_id="c1").status == "held"
        a.take_over("c1")
        with again.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM assistant_conversations")).scalar() == 1
    finally:
        again.close()


def test_form_texts_round_trip_to_the_knowledge():
    from studio.assistant.knowledge import form_fields, from_form

    data = parse_knowledge(KNOWLEDGE).to_dict()
    texts = form_fields(data)
    assert texts["gigs[0].packages[2].revisions"] == "unlimited" and texts["profile.languages"] == "English, Urdu"
    assert from_form(texts) == data


def test_cli_inbox_reply_with_client_and_take_over(home, tmp_path, capsys):
    import json

    from studio.cli import main

    s = studio.open(home)
    s.add_creator("noor", "Noor Aziz", level="level2")
    s.close()
    (tmp_path / "k.yaml").write_text(KNOWLEDGE)
    assert main(["assistant", "setup", "noor", str(tmp_path / "k.yaml"), "--home", str(home)]) == 0
    capsys.readouterr()
    assert main(["assistant", "inbox", "noor", "--only-new-clients", "on", "--json", "--home", str(home)]) == 0
    assert json.loads(capsys.readouterr().out)["only_new_clients"] is True
    assert main(["assistant", "reply", "noor", "how much is essentials?", "--client", "ana@example.com",
                 "--conversation", "c1", "--json", "--home", str(home)]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "sent"
    assert main(["assistant", "take-over", "noor", "c1", "--home", str(home)]) == 0
    assert "taken over" in capsys.readouterr().out
    assert main(["assistant", "reply", "noor", "and campaign?", "--conversation", "c1", "--json",
                 "--home", str(home)]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "held"
    with pytest.raises(SystemExit):
        main(["assistant", "inbox", "noor", "--paused", "maybe", "--home", str(home)])
