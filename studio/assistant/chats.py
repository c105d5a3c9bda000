"""Past chats: a checked JSONL import (consented conversations only) and Q&A proposals mined from them.

`parse_chats` validates a whole log before anything is stored; `save` keeps the
consented conversations (the others are counted, never stored); `propose` clusters the
clients' recurring questions by meaning and offers each with the creator's best answer
for approval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select

from studio.assistant import guardrails
from studio.assistant.knowledge import Knowledge
from studio.errors import StudioError
from studio.store.tables import AssistantChat
from studio.untrusted import load_json

if TYPE_CHECKING:
    from studio.context import StudioContext

MAX_LOG_CHARS = 50_000_000  # a whole chat log; each line is also bounded by `untrusted.MAX_JSON_CHARS`
CLUSTER_SIMILARITY = 0.72  # client questions at least this similar count as the same question
LEXICAL_CLUSTER_SIMILARITY = 0.5  # the same bar on the lexical encoder's scale
KNOWN_SIMILARITY = 0.85  # a question this close to an existing pair was already decided


@dataclass(frozen=True)
class Proposal:
    question: str  # the cluster's most central phrasing
    answer: str  # the creator's best answer to it
    support: int  # how many client questions the cluster holds
    variants: list[str]  # other phrasings (at most 10)


# --- the log file -------------------------------------------------------------------------------


def parse_chats(text: str, source: str = "chats") -> list[dict]:
    """Validate a JSONL chat log; raises StudioError naming the line and field."""
    if len(text) > MAX_LOG_CHARS:
        raise StudioError(f"{source}: the file is {len(text)} characters, over the limit of {MAX_LOG_CHARS}")
    chats, seen = [], set()
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source} line {n}"
        obj = load_json(line, source, n)  # bounded size and nesting; one-line errors
        if not isinstance(obj, dict):
            raise StudioError(f"{where}: each line must be one conversation object")
        unknown = set(obj) - {"id", "consent", "led_to_order", "turns"}
        if unknown:
            raise StudioError(f"{where}: unknown field(s) {', '.join(sorted(unknown))} "
                              "(expected id, consent, led_to_order, turns)")
        if "consent" not in obj:
            raise StudioError(f"{where}: consent is missing (true only if the client agreed to its use)")
        if not isinstance(obj["consent"], bool):
            raise StudioError(f"{where}: consent must be true or false, not {obj['consent']!r}")
        if not isinstance(obj.get("led_to_order", False), bool):
            raise StudioError(f"{where}: led_to_order must be true or false")
        cid = obj.get("id", f"{source}:{n}")
        if not isinstance(cid, str) or not cid.strip():
            raise StudioError(f"{where}: id must be a non-empty text")
        if cid in seen:
            raise StudioError(f"{where}: id {cid!r} appears twice in the file")
        seen.add(cid)
        chats.append({"id": cid, "consent": obj["consent"], "led_to_order": obj.get("led_to_order", False),
                      "turns": _turns(obj.get("turns"), where)})
    if not chats:
        raise StudioError(f"{source}: no conversations in the file")
    return chats


def _turns(turns, where: str) -> list[dict]:
    if not isinstance(turns, list) or not turns:
        raise StudioError(f"{where}: turns must be a non-empty list of {{role, text}}")
    clean = []
    for i, t in enumerate(turns):
        if not isinstance(t, dict):
            raise StudioError(f"{where}: turns[{i}] must be an object with role and text")
        if t.get("role") not in ("client", "creator"):
            raise StudioError(f"{where}: turns[{i}].role must be 'client' or 'creator', not {t.get('role')!r}")
        if not isinstance(t.get("text"), str) or not t["text"].strip():
            raise StudioError(f"{where}: turns[{i}].text must be a non-empty text")
        clean.append({"role": t["role"], "text": t["text"].strip()})
    return clean


# --- stored chats -------------------------------------------------------------------------------


def save(ctx: StudioContext, creator_id: str, chats: list[dict]) -> dict[str, int]:
    """Store the consented conversations not stored before; counts imported, skipped and duplicates."""
    imported = skipped = duplicates = 0
    with ctx.transaction() as s:
        known = set(s.scalars(select(AssistantChat.external_id).where(AssistantChat.creator_id == creator_id)))
        for c in chats:
            if not c["consent"]:
                skipped += 1
                continue
            if c["id"] in known:
                duplicates += 1
                continue
            known.add(c["id"])
            s.add(AssistantChat(creator_id=creator_id, external_id=c["id"], consent=True,
                                turns=c["turns"], led_to_order=c["led_to_order"]))
            imported += 1
    return {"imported": imported, "skipped_without_consent": skipped, "duplicates": duplicates}


def consented(ctx: StudioContext, creator_id: str) -> list[dict]:
    """The creator's consented conversations: id, name (the log's id), turns, led_to_order."""
    with ctx.reading() as s:
        return [{"id": c.id, "name": c.external_id or c.id, "turns": list(c.turns or []), "led_to_order": c.led_to_order}
                for c in s.scalars(select(AssistantChat).where(AssistantChat.creator_id == creator_id,
                                                               AssistantChat.consent.is_(True)))]


def question_pairs(chats: list[dict]) -> list[dict]:
    """Each client question (3+ words) with the creator's next turn as its answer (None if there is none)."""
    pairs = []
    for c in chats:
        turns = c["turns"]
        for i, t in enumerate(turns):
            if t["role"] != "client" or len(t["text"].split()) < 3:
                continue
            nxt = next((u["text"] for u in turns[i + 1:i + 2] if u["role"] == "creator"), None)
            pairs.append({"chat": c["id"], "question": t["text"], "answer": nxt, "order": c["led_to_order"]})
    return pairs


# --- mining -------------------------------------------------------------------------------------


def cluster(texts: list[str], encoder) -> list[list[int]]:
    """Greedy clustering by meaning: each text joins the nearest cluster centroid above the bar; largest first."""
    if not texts:
        return []
    E = encoder.encode(texts)
    threshold = CLUSTER_SIMILARITY if encoder.name != "lexical" else LEXICAL_CLUSTER_SIMILARITY
    clusters: list[list[int]] = []
    centroids: list[np.ndarray] = []
    for i, v in enumerate(E):
        if centroids:
            sims = np.array(centroids) @ v
            j = int(np.argmax(sims))
            if sims[j] >= threshold:
                clusters[j].append(i)
                c = E[clusters[j]].mean(axis=0)
                centroids[j] = c / max(np.linalg.norm(c), 1e-9)
                continue
        clusters.append([i])
        centroids.append(v.copy())
    return sorted(clusters, key=len, reverse=True)


def propose(pairs: list[dict], k: Knowledge | None, existing: list[str], encoder,
            min_support: int = 2) -> list[Proposal]:
    """Recurring questions (asked `min_support`+ times in 2+ chats) not yet decided and not handoff topics."""
    pairs = [p for p in pairs if p["answer"]]
    handoff_texts = [ex for t in (k.all_handoff_topics() if k else []) for ex in [t.topic, *t.examples]]
    E_exist = encoder.encode(existing) if existing else None
    E_handoff = encoder.encode(handoff_texts) if handoff_texts else None
    out = []
    for members in cluster([p["question"] for p in pairs], encoder):
        if len(members) < min_support or len({pairs[i]["chat"] for i in members}) < 2:
            continue
        qs = [pairs[i]["question"] for i in members]
        E = encoder.encode(qs)
        rep = qs[int(np.argmax(E @ E.mean(axis=0)))]
        v = encoder.encode([rep])[0]
        if E_exist is not None and float((E_exist @ v).max()) >= KNOWN_SIMILARITY:
            continue  # already asked and decided (approved, proposed or rejected)
        if E_handoff is not None and float((E_handoff @ v).max()) >= encoder.default_threshold:
            continue  # always the creator's to answer
        answers = [pairs[i] for i in members]
        if k is not None:
            answers = [a for a in answers if not guardrails.check(a["answer"], k)]
        if not answers:
            continue
        A = encoder.encode([a["answer"] for a in answers])
        consensus = A @ A.mean(axis=0)
        best = max(range(len(answers)), key=lambda j: (answers[j]["order"], consensus[j]))
        out.append(Proposal(rep, answers[best]["answer"], len(members), sorted({q for q in qs if q != rep})[:10]))
    return out
