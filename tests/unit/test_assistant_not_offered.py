"""A service the creator does not offer goes to the creator; questions about what they do offer are answered.

The phrasings here are our own (not the evaluation's), on the unit fixtures' creators: Noor the
photographer (test_assistant_inbox), and the sample illustrator Mira and logo designer Oskar.
"""

from __future__ import annotations

import pytest

import studio
from studio.assistant import parse_knowledge, services
from studio.assistant.embed import LexicalEncoder
from studio.samples import knowledge_path
from tests.unit.test_assistant_inbox import KNOWLEDGE as NOOR


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    """One home with three creators' assistants (the index and encoder are built once for the module)."""
    st = studio.open(tmp_path_factory.mktemp("desk") / "home")
    for handle, name, source in (("noor", "Noor Aziz", NOOR), ("mira", "Mira Okafor", knowledge_path("mira")),
                                 ("oskar", "Oskar Lind", knowledge_path("oskar"))):
        st.add_creator(handle, name, level="level2")
        st.assistant(handle).setup(source)
    yield st
    st.close()


# --- reading the request ------------------------------------------------------------------------


@pytest.mark.parametrize("message, verb, objects", [
    ("would you be able to translate my poem into Urdu?", "translate", [["poem"]]),  # up to the preposition
    ("hey noor, do you also retouch old family photos?", "retouch", [["old", "family", "photos"]]),
    ("I need someone to paint a mural and a shop sign", "paint", [["mural"], ["shop", "sign"]]),
    ("do you offer podcast editing?", "editing", [["podcast"]]),  # an activity noun is the service
    ("I'm looking for somebody who can code an app", "code", [["app"]]),
    ("I was wondering if you could help me with my menu", "do", [["menu"]]),
    ("can u pls knit me a scarf", "knit", [["scarf"]]),
])
def test_a_request_is_read_as_a_verb_and_its_objects(message, verb, objects):
    found = services.requests(message, {"noor"})
    assert [(r.verb, r.objects) for r in found] == [(verb, objects)]


@pytest.mark.parametrize("message", [
    "what hours do you keep on weekends?",  # a question's middle, not a request
    "which package would you suggest for a cafe?",
    "could you tell me what the campaign package includes?",  # asking for information
    "can you explain the difference between the two headshot options?",
    "how much is the essentials package?",
])
def test_questions_in_the_form_of_a_request_are_no_service_requests(message):
    assert services.requests(message, {"noor"}) == []


@pytest.mark.parametrize("a, b, same", [
    ("illustrate", "illustration", True), ("edit", "edited", True), ("ship", "shipping", True),
    ("vectorise", "vectorised", True), ("draw", "drawn", True), ("commercially", "commercial", True),
    ("sing", "single", False), ("pain", "painting", False), ("use", "user", False),
])
def test_words_are_compared_by_root(a, b, same):
    assert services.same_root(a, b) is same


# --- end to end ----------------------------------------------------------------------------------


@pytest.mark.parametrize("handle, message", [
    ("noor", "could you also cut a promo video from the shoot?"),
    ("noor", "would you be able to translate my product captions into Urdu?"),  # Urdu is a profile language
    ("noor", "I need someone to write the descriptions for my online shop"),
    ("noor", "can you design the labels for my candle jars?"),
    ("mira", "do you also do tattoo designs?"),  # a word of hers ("design") for a thing she never lists
    ("mira", "could you edit my picture book's text?"),  # "edit" reads like a revisions question
    ("mira", "can you translate my picture book into French?"),  # French is a profile language
    ("mira", "are you able to animate the characters for a short film?"),
    ("oskar", "can you edit my promo video?"),
    ("oskar", "is it possible for you to build a website for my tattoo studio?"),
    ("oskar", "do you offer web design as well?"),
    ("oskar", "hi! can you do the lettering, and also print the posters and mail them to me?"),
])
def test_a_service_the_creator_does_not_offer_goes_to_the_creator(desk, handle, message):
    r = desk.assistant(handle).reply(message)
    assert r.handoff and r.kind == "not_offered", (r.reason, r.text)
    assert r.reason.startswith("not offered") and "$" not in r.text
    assert "say whether you take this on" in r.summary and message[:40] in r.summary


@pytest.mark.parametrize("handle, message, figures", [
    ("mira", "can you do 3 rounds of revisions on the premium book?", ["3 revisions"]),
    ("mira", "do you send the illustrations as PNG files?", ["PNG"]),  # an approved answer
    ("mira", "can you sell me the commercial rights too?", ["commercial"]),
    ("mira", "can you write to me in French?", ["French"]),  # a language with no other object: the profile
    ("oskar", "would you be able to send SVG files with the logo?", ["SVG"]),
    ("oskar", "can you use the colours of my brand?", ["brand colours"]),
    ("oskar", "could you redesign our logo? how much is the standard one?", ["$80"]),  # "redesign": his "design"
    ("noor", "do you do headshots? how long do they take", ["3 days", "5 days"]),
])
def test_questions_about_what_the_creator_offers_are_answered(desk, handle, message, figures):
    r = desk.assistant(handle).reply(message)
    assert not r.handoff, r.reason
    for f in figures:
        assert f in r.text


@pytest.mark.parametrize("handle, message", [
    ("mira", "could you illustrate a label for my honey jars?"),
    ("mira", "would you paint the cover art for my storybook?"),  # "paint": her craft, by meaning
    ("oskar", "can you ink a comic page for my zine?"),
    ("oskar", "could you do a minimalist logo for my bakery?"),  # a word he never uses, for a thing he sells
    ("noor", "can you photograph my products for a catalogue?"),
    ("noor", "could you shoot lifestyle shots of my mugs?"),
])
def test_offered_services_in_the_clients_words_are_not_taken_for_unoffered_ones(desk, handle, message):
    assert desk.assistant(handle).reply(message).kind != "not_offered"


def test_without_the_sentence_encoder_the_words_alone_decide():
    k = parse_knowledge(NOOR)
    offers = services.Offerings.of(k, LexicalEncoder())
    assert services.unoffered("can you also edit my wedding video?", offers).text == "edit my wedding video"
    assert services.unoffered("would you translate my captions into Urdu?", offers).verb == "translate"
    assert services.unoffered("could you retouch the headshots from last year?", offers) is None
    assert services.unoffered("do you do 2 revisions on catalogue pro?", offers) is None
