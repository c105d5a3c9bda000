"""The creator's assistant knowledge: one YAML file, validated with field names and line numbers.

    profile: {name: ..., bio: ..., languages: [...], timezone: ...}
    offline_message: ...
    gigs:
      - title: Logo design
        packages:
          - {name: Basic, price: 40, delivery_days: 3, revisions: 1, includes: [...]}
    qa:
      - {q: ..., a: ...}
    handoff_topics:
      - {topic: custom pricing, examples: [can you do it cheaper, ...]}

Prices in the file are in the creator's currency units (40 means $40.00); the
studio keeps them as integer cents. `revisions` is a count or "unlimited".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from studio.errors import StudioError
from studio.untrusted import MAX_YAML_CHARS, load_yaml_node, yaml_value

UNLIMITED = "unlimited"
TOP_KEYS = {"profile", "offline_message", "gigs", "qa", "handoff_topics"}
PROFILE_KEYS = {"name", "bio", "languages", "timezone"}
PACKAGE_KEYS = {"name", "price", "delivery_days", "revisions", "includes"}

# Topics every assistant hands off even if the file does not list them: the assistant
# never negotiates money or deadlines, and a client who asks for the human gets the human.
DEFAULT_HANDOFF_TOPICS = (
    {"topic": "discount request", "examples": [
        "can you give me a discount", "is there a discount", "can you do it cheaper",
        "any coupon or promo code", "can you lower the price", "I can only pay half"]},
    {"topic": "talk to the creator", "examples": [
        "can I talk to a real person", "I want to speak to you directly", "are you a bot"]},
)


@dataclass(frozen=True)
class Package:
    name: str
    price_cents: int
    delivery_days: int
    revisions: int | str  # a count or "unlimited"
    includes: tuple[str, ...] = ()

    @property
    def price_text(self) -> str:
        return money(self.price_cents)

    @property
    def revisions_text(self) -> str:
        if self.revisions == UNLIMITED:
            return "unlimited revisions"
        return f"{self.revisions} revision{'s' if self.revisions != 1 else ''}"


@dataclass(frozen=True)
class Gig:
    title: str
    packages: tuple[Package, ...]
    description: str = ""


@dataclass(frozen=True)
class HandoffTopic:
    topic: str
    examples: tuple[str, ...]


@dataclass
class Knowledge:
    """A validated knowledge file."""

    profile: dict[str, Any]
    offline_message: str
    gigs: list[Gig]
    qa: list[tuple[str, str]]
    handoff_topics: list[HandoffTopic]
    raw: dict[str, Any] = field(default_factory=dict)  # as stored (without qa)

    @property
    def name(self) -> str:
        return self.profile.get("name") or "the creator"

    def all_handoff_topics(self) -> list[HandoffTopic]:
        """The file's topics plus the built-in ones it does not already name."""
        names = {t.topic.lower() for t in self.handoff_topics}
        extra = [HandoffTopic(t["topic"], tuple(t["examples"])) for t in DEFAULT_HANDOFF_TOPICS
                 if t["topic"] not in names]
        return list(self.handoff_topics) + extra

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": dict(self.profile),
            "offline_message": self.offline_message,
            "gigs": [{"title": g.title, **({"description": g.description} if g.description else {}),
                      "packages": [{"name": p.name, "price": cents_to_units(p.price_cents),
                                    "delivery_days": p.delivery_days, "revisions": p.revisions,
                                    "includes": list(p.includes)} for p in g.packages]} for g in self.gigs],
            "qa": [{"q": q, "a": a} for q, a in self.qa],
            "handoff_topics": [{"topic": t.topic, "examples": list(t.examples)} for t in self.handoff_topics],
        }


def money(cents: int) -> str:
    return f"${cents // 100}" if cents % 100 == 0 else f"${cents / 100:.2f}"


def cents_to_units(cents: int) -> int | float:
    return cents // 100 if cents % 100 == 0 else cents / 100


# --- the value rules: one source for the parser's errors and the panel's form fields --------


def text_error(value, required: bool = True) -> str | None:
    if value is None or value == "":
        return "must be a non-empty text" if required else None
    return None if isinstance(value, str) and (value.strip() or not required) else "must be a non-empty text"


def price_error(value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1e12:
        return f"must be a positive number (got {value!r})"
    if abs(round(value * 100) - value * 100) > 1e-6:
        return f"has more than two decimals ({value!r})"
    return None


def days_error(value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return f"must be a whole number of days (got {value!r})"
    return None


def revisions_error(value) -> str | None:
    if (isinstance(value, int) and not isinstance(value, bool) and value >= 0) or value == UNLIMITED:
        return None
    return f"must be a count or 'unlimited' (got {value!r})"


def texts_error(value, what: str = "texts") -> str | None:
    ok = isinstance(value, list) and all(isinstance(x, str) and x.strip() for x in value)
    return None if ok else f"must be a list of {what}"


PACKAGE_RULES = {"name": text_error, "price": price_error, "delivery_days": days_error,
                 "revisions": revisions_error, "includes": lambda v: texts_error(v or [])}


def field_errors(data: dict[str, Any]) -> dict[str, str]:
    """Every field error of a knowledge dict (as `Knowledge.to_dict` makes it), keyed by its path.

    The same rules `parse` applies, all at once, for a form that shows each next to its field:
    {"gigs[0].packages[1].price": "must be a positive number (got -5)", ...}.
    """
    errors: dict[str, str] = {}

    def check(path: str, message: str | None) -> None:
        if message:
            errors[path] = message

    profile = data.get("profile") or {}
    check("profile.name", text_error(profile.get("name")))
    for key in ("bio", "timezone"):
        check(f"profile.{key}", text_error(profile.get(key), required=False))
    check("profile.languages", texts_error(profile.get("languages") or [], "language names"))
    check("offline_message", text_error(data.get("offline_message"), required=False))
    if not data.get("gigs"):
        errors["gigs"] = "must be a non-empty list of gigs"
    for gi, gig in enumerate(data.get("gigs") or []):
        check(f"gigs[{gi}].title", text_error(gig.get("title")))
        if not gig.get("packages"):
            errors[f"gigs[{gi}].packages"] = "must be a non-empty list"
        names = [str(p.get("name", "")).strip().lower() for p in gig.get("packages") or []]
        for pi, package in enumerate(gig.get("packages") or []):
            for key, rule in PACKAGE_RULES.items():
                check(f"gigs[{gi}].packages[{pi}].{key}", rule(package.get(key)))
            if names[pi] and names.index(names[pi]) != pi:
                errors[f"gigs[{gi}].packages[{pi}].name"] = "is the name of another package of this gig"
    for qi, pair in enumerate(data.get("qa") or []):
        check(f"qa[{qi}].q", text_error(pair.get("q")))
        check(f"qa[{qi}].a", text_error(pair.get("a")))
    for hi, topic in enumerate(data.get("handoff_topics") or []):
        check(f"handoff_topics[{hi}].topic", text_error(topic.get("topic")))
        check(f"handoff_topics[{hi}].examples", texts_error(topic.get("examples") or [], "example messages"))
    return errors


def form_fields(data: dict[str, Any]) -> dict[str, str]:
    """A knowledge dict as one text per field, keyed by the paths `field_errors` uses (lists comma-separated)."""
    def text(v) -> str:
        return ", ".join(v) if isinstance(v, list) else "" if v is None else str(v)

    profile = data.get("profile") or {}
    out = {f"profile.{k}": text(profile.get(k)) for k in ("name", "bio", "languages", "timezone")}
    out["offline_message"] = text(data.get("offline_message"))
    for gi, gig in enumerate(data.get("gigs") or []):
        out[f"gigs[{gi}].title"] = text(gig.get("title"))
        for pi, package in enumerate(gig.get("packages") or []):
            out.update({f"gigs[{gi}].packages[{pi}].{k}": text(package.get(k)) for k in PACKAGE_RULES})
    for qi, pair in enumerate(data.get("qa") or []):
        out.update({f"qa[{qi}].q": text(pair.get("q")), f"qa[{qi}].a": text(pair.get("a"))})
    for hi, t in enumerate(data.get("handoff_topics") or []):
        out.update({f"handoff_topics[{hi}].topic": text(t.get("topic")),
                    f"handoff_topics[{hi}].examples": text(t.get("examples"))})
    return out


def from_form(fields: dict[str, str]) -> dict[str, Any]:
    """The knowledge dict of `form_fields` texts: numbers read as numbers, lists split at commas (then checked
    by `field_errors` and `parse`, which judge what a text that is not a number means)."""
    def number(v: str):
        try:
            return int(v) if v.lstrip("-").isdigit() else float(v)
        except ValueError:
            return v

    def count(prefix: str) -> int:
        return len({p[len(prefix):].split("]")[0] for p in fields if p.startswith(prefix)})

    def listed(path: str) -> list[str]:
        return [x.strip() for x in fields.get(path, "").split(",") if x.strip()]

    get = lambda path: fields.get(path, "").strip()  # noqa: E731
    data: dict[str, Any] = {"profile": {k: get(f"profile.{k}") for k in ("name", "bio", "timezone") if get(f"profile.{k}")},
                            "offline_message": get("offline_message"), "gigs": []}
    data["profile"]["languages"] = listed("profile.languages")
    for gi in range(count("gigs[")):
        at = [f"gigs[{gi}].packages[{pi}]." for pi in range(count(f"gigs[{gi}].packages["))]
        data["gigs"].append({"title": get(f"gigs[{gi}].title"), "packages": [
            {"name": get(a + "name"), "price": number(get(a + "price")), "delivery_days": number(get(a + "delivery_days")),
             "revisions": UNLIMITED if get(a + "revisions") == UNLIMITED else number(get(a + "revisions")),
             "includes": listed(a + "includes")} for a in at]})
    data["qa"] = [{"q": get(f"qa[{i}].q"), "a": get(f"qa[{i}].a")} for i in range(count("qa["))]
    data["handoff_topics"] = [{"topic": get(f"handoff_topics[{i}].topic"), "examples": listed(f"handoff_topics[{i}].examples")}
                              for i in range(count("handoff_topics["))]
    return data


# --- parsing with line numbers -----------------------------------------------------------


class _Located:
    """Wraps YAML nodes so a validation error can name the line it came from."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, node: yaml.Node | None, path: str, message: str):
        where = f" line {node.start_mark.line + 1}" if node is not None else ""
        raise StudioError(f"{self.source}{where}: {path} {message}")


def _mapping(node: yaml.Node) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    return {k.value: (k, v) for k, v in node.value} if isinstance(node, yaml.MappingNode) else {}


def parse(text: str, source: str = "knowledge") -> Knowledge:
    """Validate a knowledge file's text; raises StudioError naming the field and line."""
    loc = _Located(source)
    root = load_yaml_node(text, source)  # no aliases, custom tags or deep nesting; one-line errors
    if root is None:
        raise StudioError(f"{source}: the file is empty; it needs at least profile and gigs")
    if not isinstance(root, yaml.MappingNode):
        loc.fail(root, "the file", "must be a mapping with profile, gigs, qa and handoff_topics")
    top = _mapping(root)
    for key, (knode, _) in top.items():
        if key not in TOP_KEYS:
            loc.fail(knode, key, f"is not a known field (expected one of {', '.join(sorted(TOP_KEYS))})")
    data = yaml_value(root, source)

    # profile
    if "profile" not in top:
        loc.fail(root, "profile", "is missing")
    pkey, pnode = top["profile"]
    if not isinstance(pnode, yaml.MappingNode):
        loc.fail(pnode, "profile", "must be a mapping with name, bio, languages, timezone")
    pfields = _mapping(pnode)
    for key, (knode, _) in pfields.items():
        if key not in PROFILE_KEYS:
            loc.fail(knode, f"profile.{key}", f"is not a known field (expected {', '.join(sorted(PROFILE_KEYS))})")
    profile = dict(data["profile"])
    if not isinstance(profile.get("name"), str) or not profile["name"].strip():
        loc.fail(pfields.get("name", (None, pnode))[1], "profile.name", "must be a non-empty text")
    for key in ("bio", "timezone"):
        if key in profile and profile[key] is not None and not isinstance(profile[key], str):
            loc.fail(pfields[key][1], f"profile.{key}", "must be text")
    if "languages" in profile:
        langs = profile["languages"]
        if not isinstance(langs, list) or not all(isinstance(x, str) for x in langs):
            loc.fail(pfields["languages"][1], "profile.languages", "must be a list of language names")

    offline = data.get("offline_message") or ""
    if not isinstance(offline, str):
        loc.fail(top["offline_message"][1], "offline_message", "must be text")

    # gigs
    if "gigs" not in top:
        loc.fail(root, "gigs", "is missing (list at least one gig with its packages)")
    gnode = top["gigs"][1]
    if not isinstance(gnode, yaml.SequenceNode) or not gnode.value:
        loc.fail(gnode, "gigs", "must be a non-empty list of gigs")
    gigs = []
    for gi, (gitem, graw) in enumerate(zip(gnode.value, data["gigs"])):
        path = f"gigs[{gi}]"
        if not isinstance(gitem, yaml.MappingNode):
            loc.fail(gitem, path, "must be a mapping with title and packages")
        gf = _mapping(gitem)
        for key, (knode, _) in gf.items():
            if key not in {"title", "description", "packages"}:
                loc.fail(knode, f"{path}.{key}", "is not a known field (expected title, description, packages)")
        if not isinstance(graw.get("title"), str) or not graw["title"].strip():
            loc.fail(gf.get("title", (None, gitem))[1], f"{path}.title", "must be a non-empty text")
        if "packages" not in gf:
            loc.fail(gitem, f"{path}.packages", "is missing")
        pk_node = gf["packages"][1]
        if not isinstance(pk_node, yaml.SequenceNode) or not pk_node.value:
            loc.fail(pk_node, f"{path}.packages", "must be a non-empty list")
        packages = []
        for pi, (pitem, praw) in enumerate(zip(pk_node.value, graw["packages"])):
            pp = f"{path}.packages[{pi}]"
            if not isinstance(pitem, yaml.MappingNode):
                loc.fail(pitem, pp, "must be a mapping with name, price, delivery_days, revisions")
            pf = _mapping(pitem)
            for key, (knode, _) in pf.items():
                if key not in PACKAGE_KEYS:
                    loc.fail(knode, f"{pp}.{key}", f"is not a known field (expected {', '.join(sorted(PACKAGE_KEYS))})")
            for key in ("name", "price", "delivery_days", "revisions"):
                if key not in pf:
                    loc.fail(pitem, f"{pp}.{key}", "is missing")
            if not isinstance(praw["name"], str) or not praw["name"].strip():
                loc.fail(pf["name"][1], f"{pp}.name", "must be a non-empty text")
            for key in ("price", "delivery_days", "revisions", "includes"):
                problem = PACKAGE_RULES[key](praw.get(key))
                if problem:
                    loc.fail(pf[key][1], f"{pp}.{key}", problem)
            includes = [x.strip() for x in praw.get("includes") or []]
            packages.append(Package(praw["name"].strip(), round(praw["price"] * 100), praw["delivery_days"],
                                    praw["revisions"], tuple(includes)))
        names = [p.name.lower() for p in packages]
        if len(set(names)) != len(names):
            loc.fail(pk_node, f"{path}.packages", "has two packages with the same name")
        desc = graw.get("description") or ""
        if not isinstance(desc, str):
            loc.fail(gf["description"][1], f"{path}.description", "must be text")
        gigs.append(Gig(graw["title"].strip(), tuple(packages), desc))

    # qa
    qa = []
    if "qa" in top:
        qnode = top["qa"][1]
        if not isinstance(qnode, yaml.SequenceNode) and data["qa"] is not None:
            loc.fail(qnode, "qa", "must be a list of {q: ..., a: ...}")
        for qi, (qitem, qraw) in enumerate(zip(getattr(qnode, "value", []), data["qa"] or [])):
            qf = _mapping(qitem)
            if not isinstance(qitem, yaml.MappingNode):
                loc.fail(qitem, f"qa[{qi}]", "must be a mapping {q: ..., a: ...}")
            for key, (knode, _) in qf.items():
                if key not in {"q", "a"}:
                    loc.fail(knode, f"qa[{qi}].{key}", "is not a known field (expected q and a)")
            for key in ("q", "a"):
                if not isinstance(qraw.get(key), str) or not qraw[key].strip():
                    loc.fail(qf.get(key, (None, qitem))[1], f"qa[{qi}].{key}", "must be a non-empty text")
            qa.append((qraw["q"].strip(), qraw["a"].strip()))

    # handoff topics
    topics = []
    if "handoff_topics" in top:
        hnode = top["handoff_topics"][1]
        if not isinstance(hnode, yaml.SequenceNode) and data["handoff_topics"] is not None:
            loc.fail(hnode, "handoff_topics", "must be a list of {topic: ..., examples: [...]}")
        for hi, (hitem, hraw) in enumerate(zip(getattr(hnode, "value", []), data["handoff_topics"] or [])):
            hp = f"handoff_topics[{hi}]"
            if not isinstance(hitem, yaml.MappingNode):
                loc.fail(hitem, hp, "must be a mapping {topic: ..., examples: [...]}")
            hf = _mapping(hitem)
            for key, (knode, _) in hf.items():
                if key not in {"topic", "examples"}:
                    loc.fail(knode, f"{hp}.{key}", "is not a known field (expected topic and examples)")
            if not isinstance(hraw.get("topic"), str) or not hraw["topic"].strip():
                loc.fail(hf.get("topic", (None, hitem))[1], f"{hp}.topic", "must be a non-empty text")
            ex = hraw.get("examples") or []
            if not isinstance(ex, list) or not all(isinstance(x, str) and x.strip() for x in ex):
                loc.fail(hf.get("examples", (None, hitem))[1], f"{hp}.examples", "must be a list of example messages")
            topics.append(HandoffTopic(hraw["topic"].strip(), tuple(x.strip() for x in ex)))

    k = Knowledge(profile=profile, offline_message=offline.strip(), gigs=gigs, qa=qa, handoff_topics=topics)
    k.raw = {key: value for key, value in k.to_dict().items() if key != "qa"}
    return k


def load(path_or_text: str | Path) -> Knowledge:
    """A knowledge file from a path, or YAML text given directly."""
    if isinstance(path_or_text, Path) or ("\n" not in str(path_or_text) and str(path_or_text).endswith((".yaml", ".yml"))):
        path = Path(path_or_text)
        if not path.is_file():
            raise StudioError(f"no knowledge file at {path}")
        if path.stat().st_size > 4 * MAX_YAML_CHARS:  # checked before reading; parse checks the characters
            raise StudioError(f"{path.name}: the file is {path.stat().st_size} bytes, over the limit of {4 * MAX_YAML_CHARS}")
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise StudioError(f"{path.name}: not UTF-8 text (is it really a YAML file?)") from None
        return parse(text, source=path.name)
    return parse(str(path_or_text), source="knowledge")


def from_stored(raw: dict[str, Any], qa: list[tuple[str, str]] | None = None) -> Knowledge:
    """Rebuild Knowledge from what the profile row stores (already validated once)."""
    data = dict(raw)
    data["qa"] = [{"q": q, "a": a} for q, a in (qa or [])]
    return parse(yaml.dump(data, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True), source="stored knowledge")


class _PlainDumper(yaml.SafeDumper):
    """Writes shared values out in full: the parser refuses anchors and aliases."""

    def ignore_aliases(self, data) -> bool:
        return True
