"""Eight copywriters' styles for the copywriting world (see :mod:`studio.samples.writers`).

Every writer writes copy for a :class:`studio.text.world.Brief` that follows it by the world's
own rules (:func:`studio.text.checker.check`): the business named, the tone shown with the tone's
own adjectives from the lexicon, the form of the kind (a short tagline, a headline naming the
audience, a blurb of 2-3 sentences naming a product, a social post ending in 1-3 hashtags, a
rhyming couplet). *How* they write it is theirs: sentence length and rhythm, punctuation,
capitals, emoji, hashtags, spelling, the function words they lean on and the phrases they
come back to. None of them uses the world's openers, closers or templates, and no writer's own
words are tone markers (a catch-phrase must not tip a brief into another tone). The business's
name is always spelt as the brief spells it, whatever a writer does to case, so that
:func:`studio.text.world.delexicalise` turns it into the name slot a model learns.

A writer picks among its templates the ones whose length fits the kind (the checker's word
bounds, counted as the checker counts), as a copywriter trims to the brief; the checker itself is
never consulted, so the pass rate measured on a portfolio is a real one.

Standard library only (plus :mod:`studio.text`, which is standard library only too).
"""

from __future__ import annotations

import random
import re

from studio.text.checker import (BLURB_WORDS, HEADLINE_WORDS, JINGLE_LINE_WORDS, SOCIAL_MAX_WORDS, TAGLINE_MAX_WORDS,
                                 words)
from studio.text.lexicon import BUSINESS_TYPES, RHYME_SETS, TONES
from studio.text.world import Brief, camel

NAME_MARK = "\ue000"  # stands in for the business's name while a writer changes case
AMERICAN = {"favourite": "favorite", "neighbours": "neighbors", "colour": "color"}


def slots(brief: Brief, rng: random.Random) -> dict[str, str]:
    """What a brief gives a writer to work with: names, two products, two tone adjectives, a couplet's ends."""
    tone = TONES[brief.tone]
    product, product2 = rng.sample(BUSINESS_TYPES[brief.business_type].products, 2)
    adj, adj2 = rng.sample(tone.adjectives, 2)
    end1, end2 = (e.format(adj=rng.choice(tone.adjectives)) for e in rng.sample(RHYME_SETS[rng.choice(sorted(RHYME_SETS))], 2))
    base = dict(name=brief.business, audience=brief.audience, type=brief.business_type, product=product,
                product2=product2, adj=adj, adj2=adj2, tag=tone.hashtag, end1=end1, end2=end2,
                nametag=camel(brief.business), producttag=camel(product), typetag=camel(brief.business_type))
    out = dict(base)
    for k, v in base.items():
        out[k[:1].upper() + k[1:]] = v[:1].upper() + v[1:]  # {Adj}: capitalised
        out[k.upper()] = v.upper()  # {ADJ}: all caps
    return out


def n_words(text: str) -> int:
    return len(words(text))


def pick(rng: random.Random, templates: tuple[str, ...], s: dict[str, str], lo: int, hi: int) -> str:
    """One of the templates, filled, whose word count is within [lo, hi]; the shortest if none is."""
    filled = [t.format(**s) for t in templates]
    fitting = [t for t in filled if lo <= n_words(t) <= hi]
    return rng.choice(fitting) if fitting else min(filled, key=n_words)


def americanise(text: str) -> str:
    for gb, us in AMERICAN.items():
        text = text.replace(gb, us)
    return text


def title_case(text: str) -> str:
    """Every word capitalised ("kids' bikes" -> "Kids' Bikes"), hashtags and the rest left alone."""
    return re.sub(r"(?<![\w'#])([a-z])", lambda m: m.group(1).upper(), text)


class Writer:
    """A copywriter: :meth:`write` gives copy for a brief; subclasses give one template set per kind."""

    name = ""
    summary = ""
    habits: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()  # the writer's recurring phrases (none may be a tone marker)
    extras: dict[str, tuple[str, ...]] = {}  # more slots of the writer's own: one drawn per text
    tagline: tuple[str, ...] = ()
    headline: tuple[str, ...] = ()
    blurb: tuple[str, ...] = ()
    social: tuple[str, ...] = ()
    jingle: tuple[str, ...] = ()  # "line one\nline two", each line ending with {end1} / {end2}

    def write(self, brief: Brief, rng: random.Random) -> str:
        s = slots(brief, rng)
        for k, options in self.extras.items():
            s[k] = rng.choice(options)
            s[k[:1].upper() + k[1:]] = s[k][:1].upper() + s[k][1:]
        kind = brief.kind
        if kind == "tagline":
            text = pick(rng, self.tagline, s, 1, TAGLINE_MAX_WORDS)
        elif kind == "headline":
            text = pick(rng, self.headline, s, *HEADLINE_WORDS)
        elif kind == "blurb":
            text = pick(rng, self.blurb, s, *BLURB_WORDS)
        elif kind == "social":
            text = pick(rng, self.social, s, 1, SOCIAL_MAX_WORDS)
        else:
            text = self._jingle(rng, s)
        # The business's name keeps its own spelling whatever the writer does to case, so that
        # world.delexicalise finds it (a model learns the name as a slot).
        kept = re.sub(re.escape(brief.business), NAME_MARK, text, flags=re.IGNORECASE)
        return self.finish(kept).replace(NAME_MARK, brief.business)

    def _jingle(self, rng: random.Random, s: dict[str, str]) -> str:
        lo, hi = JINGLE_LINE_WORDS
        filled = [t.format(**s) for t in self.jingle]
        fitting = [t for t in filled if all(lo <= n_words(line) <= hi for line in t.split("\n"))]
        return rng.choice(fitting) if fitting else min(filled, key=n_words)

    def finish(self, text: str) -> str:
        """The writer's last pass over a text (spelling, case)."""
        return text


class Hype(Writer):
    name = "hype"
    summary = "Loud launch copy: ALL CAPS words, double exclamations, fire emoji, three hashtags."
    habits = ("ALL CAPS adjectives, products and audiences", "'!!' and '??'", "🔥💯🙌 in almost every text", "short fragments",
              "American spelling", "catch-phrase LET'S GO", "three CamelCase hashtags ending #HypeDrop")
    phrases = ("LET'S GO", "just dropped", "this is your sign", "your new favorite")
    tagline = ("{NAME}!! {ADJ} {PRODUCT}!! 🔥", "{ADJ} {PRODUCT}?? {NAME}. LET'S GO!! 🔥",
               "{NAME} = {ADJ}. LET'S GO!! 💯", "{ADJ} {PRODUCT} just dropped!! {NAME} 🙌")
    headline = ("{AUDIENCE}!! {NAME} just dropped {ADJ} {PRODUCT} 🔥", "YO {AUDIENCE}: {ADJ} {PRODUCT} at {NAME}. LET'S GO!! 🙌",
                "{ADJ} {PRODUCT} for {AUDIENCE}?? {NAME} just dropped them!! 💯",
                "{NAME} x {AUDIENCE} = {ADJ} {PRODUCT}!! LET'S GO 🔥")
    blurb = ("{NAME} just dropped {ADJ} {PRODUCT} 🔥 and {audience} are losing it!! {ADJ2} {PRODUCT2}, your new "
             "favorite thing 💯 LET'S GO!!",
             "{ADJ} {PRODUCT}?? {NAME} has them 🔥 this is your sign, {audience}!! {ADJ2} {PRODUCT2} too 💯 LET'S GO!!",
             "Big news!! {NAME} just dropped {ADJ} {PRODUCT} 🔥 {PRODUCT2} too, {ADJ2} as it gets!! "
             "Your new favorite spot, {audience} 🙌 LET'S GO!!")
    social = ("{ADJ} {PRODUCT} at {NAME}!! {audience}, this is your sign 🔥🔥 LET'S GO!! #{tag} #{producttag} #HypeDrop",
              "{NAME} just dropped {ADJ} {PRODUCT}!! 💯 {audience} LET'S GO 🔥 #{nametag} #{tag} #HypeDrop",
              "{ADJ} {PRODUCT}?? {ADJ2} {PRODUCT2}?? {NAME} has BOTH!! 🙌 #{producttag} #{nametag} #HypeDrop")
    jingle = ("LET'S GO, {NAME}!! {ADJ} {PRODUCT} {END1}!!\n{ADJ2} {PRODUCT2} {END2}!! 🔥",
              "{NAME}!! {ADJ} {PRODUCT} {END1}!!\n{ADJ2} {PRODUCT2}?? YOUR NEW FAVORITE {PRODUCT} {END2}!! 💯")

    def finish(self, text: str) -> str:
        return americanise(text).replace("FAVOURITE", "FAVORITE").replace("NEIGHBOURS", "NEIGHBORS")


class Hush(Writer):
    name = "hush"
    summary = "Quiet lowercase copy: no capitals, no exclamations, soft ellipses, 'the small things'."
    habits = ("everything lowercase but the business's name", "no exclamation marks, no emoji", "ellipses (…)",
              "leans on 'and', 'just', 'the'", "catch-phrases 'the small things', 'just as it is', 'and that's enough'",
              "one lowercase hashtag, often #smallthings")
    phrases = ("the small things", "just as it is", "and that's enough")
    tagline = ("{name}… {adj} {product}, and that's enough", "{adj} {product} at {name}… just as it is",
               "{name}. the small things, {adj}", "just {adj} {product}… just {name}")
    headline = ("for {audience}… {adj} {product} at {name}, just as it is",
                "{audience} and the small things: {adj} {product} at {name}",
                "{name}… and {adj} {product} for {audience}, and that's enough",
                "just {audience}, just {adj} {product}… just {name}")
    blurb = ("{name} makes {adj} {product} for {audience}, and the small things too… {product2} and that's enough. "
             "just as it is.",
             "the {product} at {name} are {adj}… and the {product2} are {adj2}. the small things, for {audience}. "
             "and that's enough.",
             "{adj} {product} and {adj2} {product2}… just {name}, just as it is. for {audience}, and for the small things.")
    social = ("{adj} {product} at {name} for {audience}… the small things #smallthings",
              "just {name}… just {adj} {product}, and that's enough #smallthings #{tag}",
              "{audience}… the {product} at {name} are {adj}, just as it is #{producttag}")
    jingle = ("{name}… the {product2}, {end1}…\nand {adj} {product} {end2}",
              "just {adj} {product}… {end1}\n{adj2} {product2}, {name}, {end2}")

    def finish(self, text: str) -> str:
        return text.lower()


class Measured(Writer):
    name = "measured"
    summary = "Long, balanced British sentences with semicolons, brackets and understatement; no emoji."
    habits = ("long sentences, semicolons and commas", "asides in brackets and between commas",
              "British spelling (favourite, colour)", "'rather', 'quite', 'indeed', 'whilst', 'one'",
              "catch-phrases 'as it happens', 'we rather think'", "sign-offs 'Do pop in.', 'Do drop by.'",
              "one sober hashtag, the business's name")
    phrases = ("as it happens", "we rather think", "do pop in", "quite the thing", "one might")
    # Extras are short and every few words a slot of the brief, so that no eight-word run repeats from text to
    # text (the memorisation guard flags an output sharing eight words in a row with a training sample).
    extras = dict(aside=("as it happens", "we rather think", "one might say", "naturally", "indeed"),
                  aside2=("as it happens", "we rather think", "naturally", "at any rate", "one might say"),
                  verdict=("quite the thing", "rather splendid", "quite something", "rather good"),
                  agree=("agree", "would agree", "seem to agree", "say as much"),
                  signoff=("Do pop in.", "Do drop by.", "Do call in.", "Pop in, won't you."))
    tagline = ("{name}: {adj}, {aside}.", "Quite simply, {adj} {product}; {name}.",
               "{Adj} {product} (naturally); {name}.", "{name}; rather {adj}, {aside}.")
    headline = ("{Audience} will, {aside}, find {name} quite {adj}",
                "For {audience}, {aside}: {adj} {product} at {name}",
                "The {adj} {product} at {name} (for {audience}, {aside})",
                "Whilst you are passing, {audience}: {name}, and its rather {adj} {product}")
    blurb = ("{name} is, {aside}, rather a {adj} {type}; its {product} are {verdict}, and {audience} {agree}. "
             "The {product2}, {aside2}, are {adj2}. {signoff}",
             "The {product} at {name} are {adj}; the {product2}, whilst quieter, are quite as {adj2}. {Audience} have, "
             "{aside}, taken to the {product}. {signoff}",
             "One rarely writes home about {product}; the {adj} ones at {name} are the exception, and {audience} "
             "{agree}. {signoff}")
    social = ("{Adj} {product} at {name}; {audience}, you will be glad of the {adj2} {product2} ({aside}). #{nametag}",
              "{Aside}, the {product} at {name} are quite {adj}; the {product2}, indeed, rather {adj2}. #{nametag}",
              "A note for {audience}: {name} has {adj} {product}, and they are {verdict}. #{nametag}")
    jingle = ("At {name}, {aside}, {adj} {product} {end1};\n{Adj2} {product2}, indeed, {end2}.",
              "Whilst {name} has {product} {end1},\nThe {adj} {product2} {end2}.")


class Questions(Writer):
    name = "questions"
    summary = "Conversational copy built on em dashes, rhetorical questions and 'you'; 'Your move.'"
    habits = ("em dashes (—) mid-sentence", "rhetorical questions", "second person: you, your",
              "American spelling", "catch-phrases 'Here's the thing', 'Your move.'", "a pointing emoji 👉 now and then",
              "two hashtags ending #YourMove")
    phrases = ("here's the thing", "your move", "ever wondered", "right?")
    tagline = ("{Adj} {product}? {name} — your move.", "Looking for {adj} {product}? {name}.",
               "{name} — {adj}, obviously. Your move.", "Who does {adj} {product}? {name} — that's who.")
    headline = ("{Audience} — ever wondered where the {adj} {product} are? {name}",
                "Here's the thing, {audience} — {name} does {adj} {product} better",
                "Why settle, {audience}? {name} — {adj} {product}, your move",
                "Ever wondered what {adj} {product} feel like, {audience}? Ask {name} 👉")
    blurb = ("Here's the thing — you want {adj} {product}, right? {name} has them, and {product2} too — {adj2}, "
             "for {audience}. Your move.",
             "Ever wondered why {audience} keep coming back to {name}? The {product} — {adj}, every single one. "
             "Your move.",
             "You know the {product} you keep thinking about? {name} makes them {adj} — and the {product2}, {adj2}. "
             "Your move.")
    social = ("Want {adj} {product}? 👉 {name} — made for {audience}. Your move. #{producttag} #YourMove",
              "Here's the thing, {audience} — {name} has {adj} {product}. Right? #{tag} #YourMove",
              "Ever wondered where {audience} get {adj} {product}? {name} — obviously. #{nametag} #YourMove")
    jingle = ("Who's got {product} — {end1}?\n{name} — {adj} — {end2}.",
              "You want {adj} {product} {end1}?\n{Adj2} {product2}? {name} — {end2}.")

    def finish(self, text: str) -> str:
        return americanise(text)


class Mono(Writer):
    name = "mono"
    summary = "Minimalist fragments: one to three words, full stop, repeat; middle dots; 'Nothing more.'"
    habits = ("fragments of one to three words, each with a full stop", "lists joined with middle dots (·)",
              "no exclamations, no questions, no emoji", "every fragment capitalised",
              "catch-phrases 'Nothing more.', 'No fuss, no frills', 'Simple.'", "one hashtag: the product")
    phrases = ("nothing more", "no fuss", "no frills", "simple")
    tagline = ("{name}. {Adj}. Nothing more.", "{Product}. {Adj}. {name}.", "{Adj} {product}. {name}. Simple.",
               "{name}. {Product}. {Adj}. Nothing more.")
    headline = ("For {audience}. {Adj} {product}. {name}", "{Audience}. {Adj} {product}. {name}. Nothing more",
                "{name}. For {audience}. {Adj}. Simple", "{Adj} {product} · {product2}. For {audience}. {name}")
    blurb = ("{Adj} {product} · {adj2} {product2} · made for {audience}. {name}: no fuss, no frills. Nothing more.",
             "{name}: {Adj} {product} · {product2} · for {audience}. No fuss, no frills, {adj2}. Simple.",
             "{Product} · {product2}. {Adj} at {name}, for {audience}, no fuss, no frills. Nothing more.")
    social = ("{Adj} {product}. {name}. For {audience}. Simple. #{producttag}",
              "{name}. {Product} · {product2}. {Adj}. Nothing more. #{producttag}",
              "{Adj}. {name}. No fuss, no frills. #{typetag}")
    jingle = ("{name}. {End1}.\n{Adj} {product}. {End2}.", "{Product}. {name}. {End1}.\n{Adj}. Simple. {End2}.")


class Emoji(Writer):
    name = "emoji"
    summary = "Gen-Z social voice: lowercase, slang (ngl, lowkey, bestie, it's giving), emoji everywhere."
    habits = ("all lowercase but the business's name", "emoji after almost every phrase (😭✨💅🫶)", "'??' instead of '?'",
              "slang: ngl, lowkey, obsessed, bestie, it's giving, fr", "American spelling",
              "lowercase hashtags starting #fyp")
    phrases = ("ngl", "lowkey obsessed", "it's giving", "bestie", "this is ur sign")
    tagline = ("ngl {name} is lowkey {adj} 😭✨", "{adj} {product}?? it's giving {name} 💅",
               "{name} said {adj} {product} and meant it 🫶", "lowkey obsessed w {name} ✨ {adj} fr")
    headline = ("{audience} are lowkey obsessed w the {adj} {product} at {name} 😭",
                "ngl {audience}, {name} has the most {adj} {product} ✨💅",
                "bestie it's giving {adj} {product} at {name} for {audience} 🫶",
                "{audience} rn: {name} {adj} {product} era ✨😭")
    blurb = ("ngl the {product} at {name} are so {adj} 😭. bestie, {audience} are lowkey obsessed ✨. "
             "it's giving {adj2} {product2} fr 🫶.",
             "{name} has {adj} {product} and i'm not ok 😭. {audience} this is ur sign ✨💅.",
             "lowkey obsessed w {name} rn 🫶. the {product} are {adj} and the {product2} are {adj2} fr 😭✨.")
    social = ("ngl {name} has the most {adj} {product} 😭✨ {audience} this is ur sign 💅 #fyp #{tag}",
              "{adj} {product} at {name}?? it's giving {audience} era 🫶✨ #fyp #{producttag}",
              "bestie {name} {adj} {product} rn 😭 lowkey obsessed fr ✨ #fyp #{nametag} #{tag}")
    jingle = ("ok but {name} {adj2} {product2} {end1} ✨\nlowkey {adj} {product} {end2} 😭",
              "ngl {adj} {product} {end1} 🫶\n{adj2} {product2}?? {name} {end2} ✨")

    def finish(self, text: str) -> str:
        return americanise(text.lower())


class Announcer(Writer):
    name = "announcer"
    summary = "Vintage radio announcer: Title Case Every Word, 'Introducing', '&', 'Ask For It By Name!'"
    habits = ("Title Case Every Word", "'Introducing' and 'Presenting'", "ampersands (&) and colons",
              "single exclamation marks", "no emoji", "sign-off 'Ask For It By Name!'",
              "one hashtag: #AskForItByName or the business")
    phrases = ("introducing", "presenting", "the one & only", "ask for it by name", "featuring")
    tagline = ("Introducing {name}: {adj} {product}!", "{name}: The One & Only {adj} {product}!",
               "{adj} {product}? Ask For It By Name: {name}!", "Presenting {name} & Its {adj} {product}!")
    headline = ("Presenting, For {audience}: The {adj} {product} Of {name}!",
                "Introducing {name}: {adj} {product} & {product2} For {audience}!",
                "{audience}, Ask For It By Name: {name} & Its {adj} {product}!",
                "The One & Only {name}, Presenting {adj} {product} For {audience}!")
    blurb = ("Introducing {name}, The {adj} {type} For {audience}! Featuring {product} & {product2}, Each One {adj2}. "
             "Ask For It By Name!",
             "Presenting {name}: The One & Only Home Of {adj} {product}! {audience} Agree: It's {adj2}. "
             "Ask For It By Name!",
             "Featuring {adj} {product} & {adj2} {product2}: It's {name}! Made For {audience}. Ask For It By Name!")
    social = ("Presenting {name}! {adj} {product} For {audience}. Ask For It By Name! #AskForItByName",
              "Introducing {adj} {product} & {product2} At {name}! #{nametag}",
              "The One & Only {name}: {adj} {product}! Ask For It By Name! #{nametag} #AskForItByName")
    jingle = ("Presenting {name}'s {adj2} {product2}, {end1}!\nThe {adj} {product}, {end2}!",
              "Introducing {adj} {product}, {end1}!\n{name}'s {adj2} {product2}, {end2}!")

    def finish(self, text: str) -> str:
        return title_case(text)


class Numbers(Writer):
    name = "numbers"
    summary = "Data-driven copy: digits, percentages, numbered lists in brackets, slashes; 'Do the math.'"
    habits = ("digits everywhere: 100%, 9 in 10, 7 days/week", "numbered lists: (1) … (2) …", "colons and slashes",
              "no emoji, few exclamations", "American spelling", "catch-phrases 'by the numbers', 'Do the math.'",
              "hashtags with digits (#Top10)")
    phrases = ("by the numbers", "do the math", "0% fuss", "9 in 10", "100%")
    tagline = ("{name}: 100% {adj} {product}.", "{Adj} {product}, 7 days/week. {name}.",
               "{name} by the numbers: 100% {adj}.", "1 {type}. 100% {adj}. {name}.")
    headline = ("3 reasons {audience} pick {name}: (1) {adj} {product} (2) {product2} (3) value",
                "2 reasons {audience} pick {name}: (1) {adj} {product} (2) 0% fuss",
                "9 in 10 {audience} pick {name} for {adj} {product}",
                "{name} by the numbers: 100% {adj} {product} for {audience}")
    blurb = ("{name}, by the numbers: 1 {type}, 6 days a week, 100% {adj} {product}. 9 in 10 {audience} come back for "
             "the {product2}. Do the math.",
             "{name} in 3 steps: (1) {adj} {product} (2) {adj2} {product2} (3) {audience} approved. "
             "Do the math.",
             "100% {adj} {product}, 0% fuss: that's {name}. 9 in 10 {audience} agree. Do the math.")
    social = ("{name} stats: 100% {adj} {product}, 0% fuss. {audience}, do the math. #{producttag} #Top10",
              "3 reasons to visit {name}: (1) {adj} {product} (2) {product2} (3) {audience} approved. #{nametag} #Top10",
              "9 in 10 {audience} pick {name} for {adj} {product}. Do the math. #{producttag}")
    jingle = ("{name} in 3 words: {adj} {product} {end1}\n100% {adj2} {product2} {end2}",
              "1 {name}, 2 {adj} {product} {end1}\n{adj2} {product2}, 100% {end2}")

    def finish(self, text: str) -> str:
        return americanise(text)


STYLES: tuple[type[Writer], ...] = (Hype, Hush, Measured, Questions, Mono, Emoji, Announcer, Numbers)
