"""The reply policy: answer from the creator's own facts, or hand the message to the creator.

`decide` reads a client message twice, by structure (`reading.read`: packages, attributes,
money, deadlines, quantities) and by meaning (the index of approved Q&A, profile facts and
handoff topics), and applies the rules in order; the first that applies decides:

1. money is the creator's call: a reduction ("20% off", "a bulk deal", "throw in a free..."),
   an amount that is no package's price, a budget, or more than any package includes;
2. a deadline shorter than the package's delivery time, or a calendar date, is the creator's
   to promise; so is a client who asks for the human;
3. one of the creator's handoff topics that matches, within `HANDOFF_MARGIN` of the best answer;
4. an approved Q&A pair that matches strongly (`QA_FIRST`) and names no package;
5. a service the creator does not offer is the creator's to take on or decline: a request ("do
   you also edit videos", "could you translate my script") whose verb and object are not among
   the gigs, packages, Q&A and profile (`services`), however its words resemble a package
   attribute or a profile fact;
6. a profile question is answered from the profile, a question about packages from the packages
   (`answers.package_answer`);
7. the best approved pair or fact at or above the threshold;
8. otherwise nothing approved answers it: hand off.

Every draft must pass the guardrails (`guardrails.check`), or it is handed off instead.
`handoff_text` is what the client is told and `summary` the paragraph the creator gets:
who, what they asked, what was already answered, and the suggested next step.
Nothing here touches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from studio.assistant import guardrails, reading, services
from studio.assistant.answers import package_answer, quantity_fit
from studio.assistant.index import Index
from studio.assistant.knowledge import Knowledge, money
from studio.assistant.views import MessageView, clip

HANDOFF_MARGIN = 0.05  # a handoff topic this close to the best answer wins: when unsure, hand off
QA_FIRST = 0.7  # an approved pair this close answers before the package facts do
STRUCTURED_CONFIDENCE = 0.9  # reported for answers read from the package structure
MONEY_TOPIC_RE = re.compile(r"discount|cheap|pric|coupon|budget|quote|offer", re.I)
RUSH_TOPIC_RE = re.compile(r"rush|urgent|express|deadline|fast", re.I)
REDUCTION_RE = re.compile(r"\b(deal|bulk|knock\w*|for less|less money|lower (?:it|that|the)|reduce|waive|negotiat\w*|"
                          r"throw in|thrown in|for nothing|on the house|best price)\b|(?<!feel )\bfree\b(?! to\b| time\b)")
HUMAN_RE = re.compile(r"\b(real person|a human|human being|are you (?:a |an )?(?:bot|robot|ai|machine)|a bot|"
                      r"(?:speak|talk|chat) (?:to|with) (?!you about)\w+|directly|himself|herself|in person)\b")
KINDS = ("discount", "custom_price", "rush", "human", "topic", "not_offered", "unknown", "guardrail")
NEXT_STEP = {
    "discount": "decide whether to offer a reduction; the assistant quoted only the package prices",
    "custom_price": "send a custom offer if you want the work; the assistant quoted only the package prices",
    "rush": "confirm whether you can meet the deadline before the client orders",
    "human": "reply personally: the client asked for you",
    "topic": "reply about {topic}, one of your handoff topics",
    "not_offered": "say whether you take this on; if you do, add it to your gigs or Q&A",
    "unknown": "answer it, and approve your answer as a Q&A pair so the assistant can answer it next time",
    "guardrail": "check the approved answer: {reason}",
}


@dataclass(frozen=True)
class Decision:
    """What to do with one message: send `draft`, or hand off with `reason` and `kind`."""

    handoff: bool
    topic: str | None
    source: str | None
    confidence: float
    reason: str | None = None
    draft: str | None = None  # the answer, when not handed off
    kind: str | None = None  # one of KINDS, on a handoff


def _topic(k: Knowledge, pattern: re.Pattern, default: str) -> str:
    return next((t.topic for t in k.all_handoff_topics() if pattern.search(t.topic)), default)


def _handoff(topic: str, kind: str, why: str, confidence: float) -> Decision:
    return Decision(True, topic, f"handoff:{topic}", confidence, f"handoff topic: {topic} ({why})", kind=kind)


def _money_rule(message: str, r: reading.Reading, k: Knowledge) -> tuple[str, str] | None:
    if guardrails.asks_for_discount(message) or REDUCTION_RE.search(message.lower()):
        return "discount", "asks for a reduction"
    prices = {p.price_cents for g in k.gigs for p in g.packages}
    odd = [a for a in r.amounts if a not in prices]
    if odd:
        return "custom_price", f"names {money(odd[0])}, which is no package's price"
    if r.budget:
        return "custom_price", "talks about a budget"
    if quantity_fit(r, k, r.packages or [(g, p) for g in (r.gigs or k.gigs) for p in g.packages]) == []:
        return "custom_price", f"asks for {r.quantity[0]} {r.quantity[1]}(s), more than the packages include"
    return None


def _deadline_rule(r: reading.Reading, k: Knowledge) -> str | None:
    if r.dated:
        return "asks for a date only the creator can promise"
    if r.deadline_days is None:
        return None
    pairs = r.packages or [(g, p) for g in (r.gigs or k.gigs) for p in g.packages]
    fastest = min(p.delivery_days for _, p in pairs)
    if r.deadline_days < fastest:
        return f"wants it sooner than {fastest} day{'s' if fastest != 1 else ''}"
    return None


def _not_offered(message: str, k: Knowledge, index: Index, near_qa: bool) -> str | None:
    """The words of the first service the message asks for that the creator does not offer (`services`), or None.

    Near an approved pair (`near_qa`) the creator's own verb is enough ("would you shoot at my shop" near
    "I shoot in my studio").
    """
    offers = index.offers if index.offers is not None else services.Offerings.of(k, index.matcher.encoder)
    found = services.unoffered(message, offers, set(reading.words(k.name)), own_verb_enough=near_qa)
    return found.text if found else None


def decide(message: str, k: Knowledge, index: Index, threshold: float) -> Decision:
    """Apply the policy (see the module docstring) to one client message."""
    r = reading.read(message, k)
    scores = index.matcher.scores([message])[0]
    labels = index.labels
    order = np.argsort(-scores)
    best_answer = next((int(i) for i in order if not labels[i].startswith("handoff:")), None)
    best_handoff = next((int(i) for i in order if labels[i].startswith("handoff:")), None)
    best_qa = next((int(i) for i in order if labels[i].startswith("qa:")), None)
    sa = float(scores[best_answer]) if best_answer is not None else 0.0
    sh = float(scores[best_handoff]) if best_handoff is not None else 0.0
    sq = float(scores[best_qa]) if best_qa is not None else 0.0

    money_rule = _money_rule(message, r, k)
    if money_rule:
        return _handoff(_topic(k, MONEY_TOPIC_RE, "custom pricing"), money_rule[0], money_rule[1], max(sh, 0.9))
    rush = _deadline_rule(r, k)
    if rush:
        return _handoff(_topic(k, RUSH_TOPIC_RE, "rush order"), "rush", rush, max(sh, 0.9))
    if HUMAN_RE.search(message.lower()):
        return _handoff("talk to the creator", "human", "asks for the creator", max(sh, 0.9))
    if best_handoff is not None and sh >= threshold and sh >= max(sa, sq) - HANDOFF_MARGIN:
        topic = index.topics[labels[best_handoff]]
        return Decision(True, topic, f"handoff:{topic}", sh, f"handoff topic: {topic}", kind="topic")

    if best_qa is not None and sq >= QA_FIRST and not r.packages:
        return _checked(index.answers[labels[best_qa]], labels[best_qa], index.topics[labels[best_qa]], sq, k)
    near = f"; nearest: {index.topics[labels[best_answer]]}" if best_answer is not None else ""
    missing = _not_offered(message, k, index, near_qa=sq >= threshold)
    if missing:
        return Decision(True, "service not offered", None, sa, f"not offered: asks to \"{missing}\", which the gigs, "
                        f"packages, Q&A and profile do not list{near}", kind="not_offered")
    profile = [f"profile:{name}" for name in r.profile if f"profile:{name}" in index.answers]
    if profile and not r.about_packages:
        return _checked(" ".join(index.answers[label] for label in profile), "+".join(profile),
                        " and ".join(index.topics[label] for label in profile), STRUCTURED_CONFIDENCE, k)
    structured = package_answer(r, k)
    if structured is not None:
        return _checked(structured.text, structured.source, structured.topic, STRUCTURED_CONFIDENCE, k)
    if best_answer is not None and sa >= threshold:
        label = labels[best_answer]
        return _checked(index.answers[label], label, index.topics[label], sa, k)
    return Decision(True, None, None, sa, f"no confident answer: best match {sa:.2f} < {threshold:.2f}{near}",
                    kind="unknown")


def _checked(draft: str, source: str, topic: str, confidence: float, k: Knowledge) -> Decision:
    issues = guardrails.check(draft, k)
    if issues:
        return Decision(True, None, source, confidence, "guardrail: " + "; ".join(str(i) for i in issues),
                        kind="guardrail")
    return Decision(False, topic, source, confidence, draft=draft)


def handoff_text(k: Knowledge, offline: bool, away_note: str = "") -> str:
    """What the client reads on a handoff: the creator will reply personally."""
    name = k.name
    if offline and k.offline_message:
        return f"{k.offline_message}{away_note} I've passed your message to {name}, who will reply to you personally."
    if offline:
        return (f"{name} is away right now{away_note.rstrip('.') if away_note else ''}. I've passed your message on, "
                f"and {name} will reply to you personally.")
    return f"Thanks for your message! I've passed it to {name}, who will reply to you personally soon."


def summary(conversation_id: str, earlier: list[MessageView], message: str, reason: str, kind: str | None = None,
            client: str | None = None, topic: str | None = None) -> str:
    """One paragraph for the creator: who, the conversation so far, what was answered, this message, next step."""
    who = f"client {client}" if client else "a client without an account"
    parts = [f"Conversation {conversation_id} with {who}:"]
    answered = [m for m in earlier if not m.handoff and m.status in ("sent", "queued")]
    if earlier:
        parts.append(f"the client wrote {len(earlier) + 1} messages so far, first asking "
                     f"\"{clip(earlier[0].client_text, 70)}\";")
        if answered:
            parts.append("already answered: " + "; ".join(
                f"\"{clip(m.client_text, 50)}\" -> \"{clip(m.reply_text, 90)}\"" for m in answered[-4:]) + ";")
        handed = [m for m in earlier if m.handoff]
        if handed:
            parts.append(f"{len(handed)} earlier message(s) were already handed to you;")
    else:
        parts.append("nothing was answered before in this conversation;")
    parts.append(f"now the client writes \"{clip(message, 140)}\". Handed off because of {reason}.")
    step = NEXT_STEP.get(kind or "unknown", NEXT_STEP["unknown"]).format(topic=topic or "it", reason=reason)
    parts.append(f"Suggested next step: {step}. The client was told you will reply personally.")
    return " ".join(parts)

