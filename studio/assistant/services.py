"""Service requests: does the client ask for something the creator does not offer?

A message asks for a service when it asks whether the creator does or can do something: "do you
(also) X", "can / could / would / will you X" opening a clause, "would you be able to X", "are you
able to X", "is it possible to X", "I need someone to X", "I'm looking for someone who can X", "(I
wonder) if you could X". `requests(message)` reads each as a verb and the objects it acts on, up to
the next preposition ("could you translate my script into french" -> translate [script]; "do you
offer video editing" -> editing [video]). A question in the form of a request ("can you tell me the
price", "do you know if...") is no service request.

`Offerings.of(knowledge, encoder)` is what the creator offers: every word of the gigs (titles,
descriptions), packages (names, contents, revisions), approved Q&A and profile (bio, languages),
compared by root ("illustrate" ~ "illustration", "edit" ~ "edited", typos forgiven); and the gig
phrases (titles, descriptions, package contents, bio), embedded with the index. A request is
covered when

- its verb is generic (do, make, create...) or one of the creator's words; speaking or writing in
  a language, with no other object, is the profile's to answer;
- the head (last word) of each object is the creator's word or a package attribute (revisions,
  files, delivery...); a head naming an activity ("podcast editing") needs its modifiers too;
- or, by meaning (`NEAR`, sentence encoder only): a verb of the creator's craft in a paraphrase of
  a gig phrase ("draw the cover" for "cover design"); a known thing qualified by words the creator
  never uses, still close to a gig phrase ("a minimalist logo", not "tattoo designs"); an unknown
  thing under a known verb only in a paraphrase.

`unoffered(message, offerings)` is the first request that is not covered, or None.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from studio.assistant import guardrails, reading
from studio.assistant.knowledge import Knowledge


class Near(NamedTuple):
    """Cosines under one sentence encoder (tuned on the tune part of the evaluation and our own phrasings)."""

    phrase: float  # a request this close to a gig phrase paraphrases it
    qualified: float  # enough for a known thing qualified by words the creator never uses ("a minimalist logo")
    verb: float  # an unknown verb this close to a word of the gig phrases names the same craft ("draw")


NEAR = {"all-MiniLM-L6-v2": Near(0.7, 0.5, 0.55)}  # an encoder not listed (the lexical one): words alone decide
ASK_RE = re.compile(r"\b(?:(?:do|can|could|would|will) (?:you|u)|(?:are|r) (?:you|u)(?: also)? (?:able|willing) to|"
                    r"is it possible (?:for (?:you|u) )?to)\b")
# Forms that ask for a service wherever they stand in the sentence.
SOMEONE_RE = re.compile(r"\b(?:need|want|looking for|searching for|like|love|hire|find)\s+(?:someone|somebody|"
                        r"a freelancer|an artist|a person|you|u)\s+(?:who|that)?\s*(?:can|could|will|is able to|to)\b"
                        r"|\b(?:if|whether) (?:you|u) (?:can|could|would|will|do|are able to)\b")
CLAUSE_END_RE = re.compile(r"[.?!;]")
FILLERS = frozenset("and but so or also plus then hi hey hello ok okay oh well great cool thanks thank please "
                    "btw question quick first next one more thing sorry yes no maybe".split())
SKIP = frozenset("also even guys please pls plz maybe possibly perhaps still actually kindly really just ever be "
                 "able to willing happy interested in u you".split())
# Verbs that ask for information or an opinion, not for work: "can you tell me...", "do you know if...".
INFO_VERBS = frozenset("tell explain show recommend suggest advise confirm clarify describe compare check let share "
                       "answer remind list walk break help say know think mind remember need want prefer require "
                       "expect see agree mean like".split())
GENERIC_VERBS = frozenset("do make offer provide have get handle work create deliver send give take produce supply "
                          "sell prepare include add accept".split())
LANGUAGE_VERBS = frozenset("speak talk write communicate chat reply respond understand read work record do".split())
BOUNDARY = frozenset("for with in into on of to from by at as than about onto using via without within before after "
                     "across throughout through over under between per around during inside "
                     "until like what which who whom how when where why whether if is are do does can could would will "
                     "should did was were today tomorrow tonight asap now soon next too again please so because since "
                     "but then while".split())
CONJUNCTIONS = frozenset("and or plus".split())
NEUTRAL = (reading.STOP | guardrails.STOP | reading.CUE_WORDS | set(reading.TIER_WORDS) | set(reading.NUMBER_WORDS)
           | frozenset("one ones something anything everything stuff piece pieces version versions option options "
                       "extra more bit little same different another other new own kind sort type types thing".split()))
SUFFIXES = frozenset("s es e ed d n en ing ings er ers or ors ion ions ation ations ly al ally y ies ist ists ment "
                     "ments ise ised ize ized ful ure ures ive".split()) | {""}
ACTIVITY_RE = re.compile(r"(?:ing|tion|sion|ment|graphy)$")  # a head naming an activity: "video editing"


class Request(NamedTuple):
    """One service a message asks for."""

    verb: str
    objects: list[list[str]]  # the content words of each object, in order (the head last)
    text: str  # the words as the client wrote them, from the verb to the end of the objects
    language: bool = False  # the clause names a language ("write to me in german")


def same_root(a: str, b: str) -> bool:
    """One word another's derived form ("illustrate" / "illustration"), or a typo or plural of it."""
    if a == b or reading.similar(a, b):
        return True
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    if n < 3 or (n < 4 and n < min(len(a), len(b))):
        return False
    rest = [a[n:], b[n:]]
    rest = [r[1:] if r[:1] == a[n - 1] and r[1:] in SUFFIXES else r for r in rest]  # ship / shipping
    return all(r in SUFFIXES for r in rest)


# --- reading the requests -------------------------------------------------------------------------


def _initial(text: str, start: int, names: set[str]) -> bool:
    """Whether a match opens its clause ("hi marco, can you..."), not a question's middle ("what hours do you keep")."""
    before = text[:start].rstrip()
    if not before or before[-1] in ".,!?;:(-":
        return True
    last = reading.words(before)[-1:]
    return bool(last) and (last[0] in FILLERS or last[0] in names)


def _objects(tokens: list[str]) -> tuple[list[list[str]], int]:
    """The content words of each object up to the first boundary word, split at "and"/"or"; and how many tokens."""
    objects: list[list[str]] = [[]]
    used = 0
    for used, w in enumerate(tokens, 1):
        if w in BOUNDARY or (w in ("this", "that") and objects[-1]) or w in GENERIC_VERBS | INFO_VERBS:
            used -= 1
            break
        if w in CONJUNCTIONS:
            objects.append([])
        elif w not in NEUTRAL and not w.isdigit():
            objects[-1].append(w)
    return [o for o in objects if o], used


def _request(rest: str) -> Request | None:
    """The request in the words after "can you" (to the clause's end), or None for a question for information."""
    tokens = reading.words(CLAUSE_END_RE.split(rest, 1)[0])
    language = any(t in reading.LANGUAGES for t in tokens)
    while tokens and tokens[0] in SKIP:
        tokens = tokens[1:]
    if tokens[:1] == ["help"]:  # "can you help me (with) my logo" asks for the logo; "help me edit" for the edit
        tokens = tokens[1:]
        tokens = tokens[1:] if tokens[:1] in (["me"], ["us"]) else tokens
        tokens = ["do", *tokens[1:]] if tokens[:1] == ["with"] else tokens[1:] if tokens[:1] == ["to"] else tokens
    if not tokens or tokens[0] in INFO_VERBS or tokens[0] in reading.STOP - {"do", "get", "have"}:
        return None
    verb, rest_tokens = tokens[0], tokens[1:]
    objects, used = _objects(rest_tokens)
    if objects and len(objects[-1]) > 1 and ACTIVITY_RE.search(objects[-1][-1]) and verb in GENERIC_VERBS:
        *modifiers, head = objects[-1]  # "do video editing" asks to edit video
        verb, objects = head, [*objects[:-1], modifiers]
    return Request(verb, objects, " ".join(tokens[:used + 1]), language)


def requests(message: str, names: set[str] = frozenset()) -> list[Request]:
    """Every service the message asks the creator for (see the module docstring)."""
    text = " ".join(message.lower().split())
    found = [m for m in ASK_RE.finditer(text) if _initial(text, m.start(), names)] + list(SOMEONE_RE.finditer(text))
    out = []
    for m in sorted(found, key=lambda m: m.start()):
        r = _request(text[m.end():])
        if r is not None and r not in out:
            out.append(r)
    return out


# --- what the creator offers ------------------------------------------------------------------------


@dataclass
class Offerings:
    """The creator's own words, gig phrases and craft words, against which a request is checked."""

    words: set[str]  # every word of the gigs, packages, Q&A and profile
    phrases: list[str]  # gig titles and descriptions, package contents, bio: what the creator sells
    craft: list[str]  # the words of those phrases
    encoder: object = None
    _embedded: np.ndarray | None = field(default=None, repr=False)  # phrases, then craft words

    @classmethod
    def of(cls, k: Knowledge, encoder=None) -> Offerings:
        phrases = [g.title for g in k.gigs] + [g.description for g in k.gigs if g.description]
        phrases += [i for g in k.gigs for p in g.packages for i in p.includes] + [k.profile.get("bio") or ""]
        phrases = [p for p in dict.fromkeys(phrases) if p]
        texts = phrases + [f"{p.name} {p.revisions_text}" for g in k.gigs for p in g.packages]
        texts += [q + " " + a for q, a in k.qa] + list(k.profile.get("languages") or [])
        words = {w for t in texts for w in reading.words(t)}
        hyphenated = {w for t in texts for w in re.findall(r"[a-z]+(?:-[a-z]+)+", t.lower())}
        words |= {w.replace("-", "") for w in hyphenated}  # "voiceover" for "Voice-over"
        craft = sorted({w for t in phrases for w in reading.words(t) if w.isalpha() and len(w) > 2} - NEUTRAL)
        out = cls(words - NEUTRAL, phrases, craft, encoder)
        if out.near() is not None:  # embedded with the index, not on a client's first request
            out._embedded = encoder.encode(phrases + craft)
        return out

    def near(self) -> Near | None:
        """The cosines of this encoder, or None when words alone decide."""
        return NEAR.get(getattr(self.encoder, "name", None)) if self.phrases else None

    def knows(self, word: str) -> bool:
        """A neutral word, or one of the creator's by root; "redesign" is theirs when "design" is."""
        if word in NEUTRAL or any(same_root(word, w) for w in self.words):
            return True
        return word.startswith("re") and len(word) > 5 and self.knows(word[2:])

    def _verb_ok(self, r: Request) -> bool:
        if r.verb in GENERIC_VERBS or self.knows(r.verb):
            return True
        return r.verb in LANGUAGE_VERBS and r.language and all(w in reading.LANGUAGES for o in r.objects for w in o)

    def _object_ok(self, words: list[str]) -> bool | None:
        """True, False, or None when the head is the creator's but a modifier is not ("tattoo designs")."""
        *modifiers, head = words
        if not self.knows(head):
            return False
        if all(self.knows(w) for w in modifiers):
            return True
        return False if ACTIVITY_RE.search(head) else None

    def _similarity(self, text: str, craft: bool = False) -> float:
        """The best cosine of `text` with a gig phrase (or, with `craft`, with a word of them)."""
        n = len(self.phrases)
        targets = self._embedded[n:] if craft else self._embedded[:n]
        return float(np.max(self.encoder.encode([text]) @ targets.T)) if len(targets) else 0.0

    def covers(self, r: Request, own_verb_enough: bool = False) -> bool:
        """Whether the creator offers what `r` asks (see the module docstring); `own_verb_enough` near an approved
        answer: the creator's own (non-generic) verb is enough ("would you shoot at my shop" near "I shoot...")."""
        if own_verb_enough and r.verb not in GENERIC_VERBS and self.knows(r.verb):
            return True
        verb_ok, found = self._verb_ok(r), [self._object_ok(o) for o in r.objects]
        if verb_ok and all(f is True for f in found):
            return True
        near = self.near()
        if near is None:  # no sentence encoder: the creator's verb and heads decide
            return verb_ok and False not in found
        if not verb_ok:  # "draw the cover" for "cover design": a verb of the same craft, and a paraphrase
            return (False not in found and self._similarity(r.verb, craft=True) >= near.verb
                    and self._similarity(r.text) >= near.phrase)
        return self._similarity(r.text) >= (near.phrase if False in found else near.qualified)


def unoffered(message: str, offerings: Offerings, names: set[str] = frozenset(),
              own_verb_enough: bool = False) -> Request | None:
    """The first service the message asks for that the creator does not offer, or None."""
    return next((r for r in requests(message, names) if not offerings.covers(r, own_verb_enough)), None)
