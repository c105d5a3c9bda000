"""Generic surface styles for the copywriting world's copy, so the text base knows many ways of writing.

The world (:mod:`studio.text.world`) writes in one house style. A base pretrained on that alone gives
a writer's copy 10-15 nats a token: capitals, slang, emoji and punctuation habits it never saw are
beyond what a LoRA on 40 samples can teach. So pretraining also shows it world copy *restyled* at
random along generic dimensions, each drawn on its own (so they combine freely):

- ``case``: lower, UPPER, Title Case, or some words in capitals;
- ``end``: how sentences end (``!!``, ``!!!``, ``...``, ``…``, ``.``, ``?!``, nothing at the very end);
- ``joins``: commas and colons as dashes (``-``, ``—``) or ellipses;
- ``emoji``: from a broad set, at the end, after each sentence, doubled up, or at the start;
- ``opener`` / ``closer``: a generic phrase from broad pools, with digits or words;
- ``abbrev``: ``&``, ``w/``, ``u``, ``ur``, ``+``;
- ``tags``: hashtags lower, UPPER or with a generic extra tag (social posts);
- ``rhythm``: short sentences (commas become full stops) or long ones (sentences joined).

None of it is tuned to any writer: the pools are general-purpose social-copy habits and hold no
tone marker of the lexicon (a phrase must not tip a brief into another tone). A restyled copy still
follows its brief: :func:`restyle` checks it with the world's checker and draws again if not, as the
world's own copy always passes.

**The style hint.** A restyled copy is trained after a prompt with one more line, ``style: TAGS``
(:func:`styled_prompt`), naming a random subset of what was applied (sometimes none: ``style:
any``), so the model learns both to follow a stated style and to keep up a style it reads in the
copy so far. The plain brief prompt (no ``style:`` line) is only ever followed by the world's own
copy, so the base writes in the world's house style by default, and every figure measured on plain
prompts (brief following, watermark) is about that. A creator's LoRA is trained on plain prompts
and learns to *select* the writer's style without any hint.

Standard library only.
"""

from __future__ import annotations

import random
import re

from studio.text import checker, world
from studio.text.lexicon import TONES

STYLE_MARK = "style:"
NAME_MARK = "\ue000"  # stands in for the business's name while the case changes

EMOJI: tuple[str, ...] = (
    "😀", "😃", "😊", "😍", "🥰", "😎", "🤩", "😋", "🤔", "😌", "😉", "🙂", "🥳", "😇", "🤓", "👀", "👋", "👏",
    "🙌", "👍", "👌", "✌️", "🤞", "💪", "🫶", "💯", "✨", "⭐", "🌟", "💫", "⚡", "🌈", "☀️", "🌸", "🌻", "🌼",
    "🍀", "🌱", "🍂", "❄️", "🌊", "🏡", "📍", "📣", "📢", "🛍️", "🎁", "🏷️", "💡", "📅", "🗓️", "☕", "🍰", "🍕",
    "🎶", "🎵", "📸", "🎨", "📚", "🧡", "💛", "💚", "💙", "💜", "🖤", "🤍", "💖", "💥", "🔔", "🆕", "✔️", "➡️",
    "👉", "⬇️", "🙏", "🥂", "🎯", "🏆", "🧁", "🍦", "🌞", "🌙", "🪴", "🕯️", "🚲", "🐾", "✂️", "🔨", "🧺", "📷",
)
OPENERS: tuple[str, ...] = (
    "Heads up:", "Big news:", "Okay so", "Psst", "PSA:", "Real talk:", "Guess what?", "Listen up:", "Attention please:",
    "Breaking:", "Good news:", "Newsflash:", "Ok ok ok", "Hey there,", "Hi all,", "Say it with me:", "Tbh",
    "Just saying hi:", "Quick one:", "Story time:", "Fact:", "Reminder:", "Note to self:", "Not gonna lie,",
    "This is it:", "Here it is:", "Announcement:", "Update:", "News of the week:",
    "Top tip:", "Pro tip:", "Mark your calendars:", "In other news,", "Whoa,", "Oh hey,", "Ahem,", "Drumroll please...",
    "No. 1 reason to smile:", "3 words:", "Two words:", "Step 1:", "For the record,", "FYI:", "P.S.",
    "Dear everyone,", "Ladies and gentlemen,", "Stop scrolling:", "Quick question?", "Wanna know a secret?",
)
CLOSERS: tuple[str, ...] = (
    "Link in bio.", "See you there.", "Tag someone.", "Spread the word.", "You know where to find us.", "Come by.",
    "Swing by.", "Drop in.", "Thank us later.", "Just saying.", "Details inside.", "More info in the link.",
    "That's it, that's the post.", "Enough said.", "Period.", "No notes.", "Ask us anything.", "DM us.",
    "Tell everyone.", "Share this.", "Save this post.", "Stay tuned.", "Watch this space.", "You're going to like it.",
    "We mean it.", "Go on.", "Treat yourself.", "Bring a buddy.", "Open 7 days.", "Open seven days a week.",
    "Since 1998.", "Est. 2011.", "24/7 online.", "2 for 1 on Fridays.", "Ten out of ten.", "10/10.", "5 stars.",
    "Five stars.", "See you soonish.", "Obviously.", "As always.", "Cheers.", "Thanks, all.", "Much appreciated.",
    "Questions? Ask away.", "Yes, really.", "Trust the process.", "Onwards.", "Happy days.", "All good things.",
)
HASHTAGS: tuple[str, ...] = (
    "LocalFinds", "InstaGood", "Weekend", "MustTry", "OpenNow", "CommunityFirst", "MadeHere", "Handmade", "GiftIdeas",
    "TreatYourself", "NewIn", "ThisWeek", "HighStreet", "Independent", "Seasonal", "ShopSmall", "EatLocal",
    "GoodVibes", "DailyDose", "TipOfTheDay", "Sunday", "FridayFeeling", "NoFilter", "OurTown", "BehindTheScenes",
)
ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    (r"\band\b", "&"), (r"\bwith\b", "w/"), (r"\byou\b", "u"), (r"\byour\b", "ur"), (r"\bplus\b", "+"),
    (r"\bare\b", "r"), (r"\bto\b", "2"), (r"\bfor\b", "4"),
)
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "case": ("lower", "upper", "title", "capswords"),
    "end": ("!!", "!!!", "...", "…", ".", "?!", "noend"),
    "joins": ("-", "—", "..."),
    "emoji": ("emoji-end", "emoji-each", "emoji-many", "emoji-start"),
    "opener": ("opener",),
    "closer": ("closer",),
    "abbrev": ("abbrev",),
    "tags": ("tags-lower", "tags-upper", "tags-extra"),
    "rhythm": ("short", "long"),
}
PROBABILITY = {"case": 0.45, "end": 0.45, "joins": 0.3, "emoji": 0.4, "opener": 0.3, "closer": 0.3, "abbrev": 0.2,
               "tags": 0.4, "rhythm": 0.25}
HINT_KEEP = 0.7  # each applied style is named in the hint with this probability


def _no_markers(pool: tuple[str, ...]) -> tuple[str, ...]:
    markers = {m for t in TONES.values() for m in t.markers}
    return tuple(p for p in pool if not set(checker.words(p)) & markers)


OPENERS, CLOSERS = _no_markers(OPENERS), _no_markers(CLOSERS)
END_RE = re.compile(r"[.!?…]+(?=\s|$)")


def _title(text: str) -> str:
    return re.sub(r"(?<![\w'#\[])([a-z])", lambda m: m.group(1).upper(), text)


def _case(text: str, how: str, rng: random.Random) -> str:
    if how == "lower":
        return text.lower()
    if how == "upper":
        return re.sub(r"#\w+", lambda m: m.group(0), text.upper())
    if how == "title":
        return _title(text)
    # capswords: a few longer words in capitals
    return re.sub(r"(?<![#\w])[A-Za-z]{4,}\b", lambda m: m.group(0).upper() if rng.random() < 0.3 else m.group(0), text)


def _ends(text: str, how: str, kind: str) -> str:
    """Every sentence end as ``how``; a headline never ends with a full stop."""
    if how == "noend":
        out = re.sub(r"[.!?…]+$", "", text)
    else:
        out = END_RE.sub(how, text)
    if kind == "headline":
        out = out.rstrip(".…")
    return out


def _split_tags(text: str) -> tuple[str, str]:
    m = re.search(r"(?:\s#[A-Za-z0-9]+)+$", text)
    return (text[:m.start()], text[m.start():]) if m else (text, "")


def _apply(brief: world.Brief, copy: str, styles: dict[str, str], rng: random.Random) -> str:
    copy = re.sub(re.escape(brief.business), NAME_MARK, copy, flags=re.IGNORECASE)  # the name keeps its spelling
    body, tags = _split_tags(copy) if brief.kind == "social" else (copy, "")
    lines = body.split("\n")
    out = []
    for i, line in enumerate(lines):
        s = line
        if styles.get("rhythm") == "short" and brief.kind not in ("blurb", "jingle"):
            s = re.sub(r", (\w)", lambda m: ". " + m.group(1).upper(), s)
        elif styles.get("rhythm") == "long" and brief.kind != "blurb":
            s = re.sub(r"([.!?])\s+(\w)", lambda m: ", " + m.group(2).lower(), s)
        if "joins" in styles:
            j = styles["joins"]
            s = re.sub(r"\s*[,:]\s+", " " + j + " " if j != "..." else "... ", s)
        if "abbrev" in styles:
            for pat, rep in rng.sample(ABBREVIATIONS, rng.randint(2, len(ABBREVIATIONS))):
                s = re.sub(pat, rep, s)
        if "opener" in styles and i == 0:
            s = styles["opener"] + " " + s
        if "closer" in styles and i == len(lines) - 1 and brief.kind != "jingle":
            s = s.rstrip() + " " + styles["closer"]
        if "end" in styles:
            s = _ends(s, styles["end"], brief.kind)
        e = styles.get("emoji")
        if e == "emoji-end" and i == len(lines) - 1:
            s += " " + styles["emoji_char"]
        elif e == "emoji-each":
            s = re.sub(r"([.!?…]+)(?=\s)", lambda m: m.group(1) + " " + rng.choice(EMOJI), s) + " " + rng.choice(EMOJI)
        elif e == "emoji-many" and i == len(lines) - 1:
            s += " " + styles["emoji_char"] * rng.randint(2, 3)
        elif e == "emoji-start" and i == 0:
            s = styles["emoji_char"] + " " + s
        out.append(s)
    body = "\n".join(out)
    if tags:
        t = styles.get("tags")
        if t == "tags-extra" and tags.count("#") < 3:
            tags += " #" + rng.choice(HASHTAGS)
        if t == "tags-lower":
            tags = tags.lower()
        elif t == "tags-upper":
            tags = tags.upper()
    text = body + tags
    if "case" in styles:
        text = _case(text, styles["case"], rng)
    return re.sub(r"[ \t]+", " ", text).strip().replace(NAME_MARK, brief.business)


def draw(rng: random.Random, kind: str = "social") -> dict[str, str]:
    """A random combination of styles: each dimension on its own, at least one (hashtag styles for social posts)."""
    while True:
        styles = {d: rng.choice(opts) for d, opts in DIMENSIONS.items()
                  if rng.random() < PROBABILITY[d] and (d != "tags" or kind == "social")}
        if styles:
            break
    if "opener" in styles:
        styles["opener"] = rng.choice(OPENERS)
    if "closer" in styles:
        styles["closer"] = rng.choice(CLOSERS)
    styles["emoji_char"] = rng.choice(EMOJI)
    return styles


def tags_of(styles: dict[str, str]) -> list[str]:
    """The hint's names for the styles applied, in a fixed order."""
    names = []
    for d in DIMENSIONS:
        if d in styles:
            names.append(d if d in ("opener", "closer", "abbrev") else styles[d])
    return names


def restyle(brief: world.Brief, copy: str, rng: random.Random, tries: int = 4) -> tuple[str, list[str]]:
    """``copy`` restyled at random, and the styles' names; the copy itself if no draw still follows the brief."""
    for _ in range(tries):
        styles = draw(rng, brief.kind)
        text = _apply(brief, copy, styles, rng)
        if text != copy and checker.check(brief, text).passed:
            return text, tags_of(styles)
    return copy, []


def styled_prompt(brief: world.Brief, hint: list[str]) -> str:
    """The brief's prompt with a ``style:`` line before ``copy:``."""
    head = world.prompt(brief)[: -len(world.COPY_MARK)]
    return f"{head}{STYLE_MARK} {', '.join(hint) if hint else 'any'}\n{world.COPY_MARK}"


def sample(seed: int, namespace: str = "train", share: float = 0.5) -> tuple[str, world.Brief, str]:
    """One pretraining example ``(prompt, brief, copy)``: the world's pair, restyled with probability ``share``
    (then the prompt carries a ``style:`` hint naming a random subset of the styles)."""
    brief, copy = world.sample(seed, namespace=namespace)
    rng = random.Random(f"{namespace}:surface:{seed}")
    if rng.random() >= share:
        return world.prompt(brief), brief, copy
    styled, names = restyle(brief, copy, rng)
    if not names:
        return world.prompt(brief), brief, copy
    hint = [n for n in names if rng.random() < HINT_KEEP]
    return styled_prompt(brief, hint), brief, styled
