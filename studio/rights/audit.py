"""The audit: does the state of the home agree with its ledger?

`ledger.verify` proves the chain holds together and its head is signed. That alone says
nothing of the tables: a consent record set back to active in the database, or a price
rewritten, leaves the chain intact. The audit replays every event into the state the
ledger says the home is in (creators, consent records, portfolio items, model versions,
prices, generations, plans, purchases, licences, payout lines, payouts and edit jobs) and compares it with the tables, row by row, both ways: every row
needs the event that made it, every event its row. ``deep`` also re-hashes every blob
and weights file the ledger names, so bytes changed on disk are found too.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from studio.portfolio.service import caption_sha256
from studio.rights import ledger
from studio.store.tables import (ConsentRecord, Creator, EditRequest, Generation, LedgerEvent, Licence, Meta, Model,
                                 ModelVersion, Payout, PayoutLine, PortfolioItem, Price, Purchase, Subscription, iso)

MAX_LISTED = 20  # problems listed in full; the rest are counted


@dataclass(frozen=True)
class Audit:
    ok: bool
    events: int
    broken_seq: int | None = None
    broken_id: str | None = None
    reason: str | None = None  # the first problem
    problems: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    deep: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "events": self.events, "broken_seq": self.broken_seq, "broken_id": self.broken_id,
                "reason": self.reason, "problems": self.problems, "checked": self.checked, "deep": self.deep}


@dataclass
class State:
    """The home as its ledger describes it."""

    creators: dict[str, dict] = field(default_factory=dict)  # creator id -> handle, style_word
    consents: dict[str, dict] = field(default_factory=dict)  # consent id -> item, basis, reference, active
    items: dict[str, dict] = field(default_factory=dict)  # item id -> sha256, consent, edited caption's sha256
    versions: dict[str, dict] = field(default_factory=dict)  # version id -> model, number, status, weights
    models: dict[str, dict] = field(default_factory=dict)  # model id -> disabled, price, price rows
    generations: dict[str, dict] = field(default_factory=dict)  # generation id -> sha256, preview, flagged, sold
    subscriptions: dict[str, dict] = field(default_factory=dict)  # subscription id -> creator, plan, cents, ends_at
    purchases: dict[str, dict] = field(default_factory=dict)  # purchase id -> generation, buyer, money, mark, file
    licences: dict[str, dict] = field(default_factory=dict)  # licence id -> purchase, certificate's sha256
    payout_lines: dict[str, dict] = field(default_factory=dict)  # line id -> purchase, cents, payout
    payouts: dict[str, dict] = field(default_factory=dict)  # payout id -> creator, cents
    edits: dict[str, dict] = field(default_factory=dict)  # edit job id -> generation, buyer, status, quote, file


def replay(events) -> State:
    """Fold the events, oldest first, into the state they describe."""
    st = State()
    for e in events:
        p = json.loads(e.payload)
        if e.kind == "creator.added":
            st.creators[e.subject] = {"handle": p["handle"], "style_word": p.get("style_word")}
        elif e.kind == "creator.changed":
            st.creators.setdefault(e.subject, {"handle": p["handle"]})["style_word"] = p.get("style_word")
        elif e.kind == "consent.given":
            if p.get("replaces") in st.consents:
                st.consents[p["replaces"]]["active"] = False
            st.consents[p["consent"]] = {"item": p["item"], "basis": p["basis"], "reference": p.get("reference"),
                                         "active": True}
            st.items.setdefault(p["item"], {}).update(sha256=p["sha256"], consent=p["consent"], creator=p["creator"])
        elif e.kind == "consent.revoked":
            st.consents.setdefault(p["consent"], {"item": p["item"]})["active"] = False
        elif e.kind == "portfolio.captioned":
            st.items.setdefault(p["item"], {})["caption_sha256"] = p["caption_sha256"]
        elif e.kind == "model.trained":
            st.models.setdefault(p["model"], {"disabled": False, "cents": None, "prices": set()})
            st.versions[p["version"]] = {"model": p["model"], "number": p["number"], "status": "trained",
                                         "weights_sha256": p["weights_sha256"]}
        elif e.kind == "model.published":
            for v in st.versions.values():
                if v["model"] == p["model"] and v["status"] == "published":
                    v["status"] = "retired"
            st.versions.setdefault(p["version"], {"model": p["model"]})["status"] = "published"
        elif e.kind == "price.changed":
            model = st.models.setdefault(p["model"], {"disabled": False, "cents": None, "prices": set()})
            model["cents"] = p["cents"]
            model["prices"].add(p["price"])
        elif e.kind == "model.disabled":
            model = st.models.setdefault(p["model"], {"cents": None, "prices": set()})
            model["disabled"] = True
            if "effective_at" in p:
                model["disabled_at"] = p["effective_at"]
        elif e.kind == "model.enabled":
            st.models.setdefault(p["model"], {"cents": None, "prices": set()}).update(disabled=False, disabled_at=None)
        elif e.kind == "generation.created":
            st.generations[e.subject] = {"sha256": p["sha256"], "preview_sha256": p.get("preview_sha256"),
                                         "flagged": p.get("flagged"), "version": p["version"], "sold": False}
            if "price_cents" in p:
                st.generations[e.subject]["price_cents"] = p["price_cents"]
        else:
            _replay_sales(st, e, p)
    return st


def _replay_sales(st: State, e, p: dict) -> None:
    """Plans, purchases, licences and payouts (schema 4)."""
    if e.kind == "plan.subscribed":
        st.subscriptions[e.subject] = {"creator": p["creator_id"], "plan": p["plan"], "cents": p["cents"],
                                       "ends_at": None}
    elif e.kind == "plan.cancelled":
        st.subscriptions.setdefault(e.subject, {})["ends_at"] = p["ends_at"]
    elif e.kind == "purchase.made":
        st.purchases[e.subject] = {k: p[k] for k in ("generation", "buyer", "price_cents", "fee_cents",
                                                     "creator_cents", "mark_id", "delivered_sha256")}
        st.generations.setdefault(p["generation"], {})["sold"] = True
        st.payout_lines[p["payout_line"]] = {"purchase": e.subject, "cents": p["creator_cents"], "payout": None}
    elif e.kind == "licence.granted":
        st.licences[e.subject] = {"purchase": p["purchase"], "certificate_sha256": p["certificate_sha256"]}
    elif e.kind == "payout.settled":
        st.payouts[e.subject] = {"creator": p["creator_id"], "cents": p["cents"]}
        for line in p["lines"]:
            st.payout_lines.setdefault(line, {})["payout"] = e.subject
    elif e.kind == "edit.requested":  # schema 5
        st.edits[e.subject] = {"generation": p["generation"], "buyer": p["buyer"], "creator": p["creator_id"],
                               "note_sha256": p["note_sha256"], "status": "open", "quote_cents": None,
                               "delivered_sha256": None}
    elif e.kind.startswith("edit."):
        job = st.edits.setdefault(e.subject, {})
        job["status"] = e.kind.removeprefix("edit.")
        if e.kind == "edit.quoted":
            job["quote_cents"] = p["quote_cents"]
        elif e.kind == "edit.delivered":
            job["delivered_sha256"] = p["delivered_sha256"]


def _compare(label: str, rows: dict[str, dict], expected: dict[str, dict], fields: tuple[str, ...]) -> list[str]:
    """Both ways: rows without their event, events without their row, and fields that differ."""
    out = [f"{label} {i} is in the database but no ledger event created it" for i in sorted(set(rows) - set(expected))]
    out += [f"{label} {i} is in the ledger but missing from the database" for i in sorted(set(expected) - set(rows))]
    for i in sorted(set(rows) & set(expected)):
        for f in fields:
            if f in expected[i] and rows[i][f] != expected[i][f]:
                out.append(f"{label} {i}: {f} is {rows[i][f]!r} in the database but {expected[i][f]!r} in the ledger")
    return out


def _tables(s) -> dict[str, dict[str, dict]]:
    models = {m.id: m for m in s.scalars(select(Model))}
    published = {v.model_id for v in s.scalars(select(ModelVersion).where(ModelVersion.status == "published"))}
    current = {}
    for price in s.scalars(select(Price).order_by(Price.effective_at, Price.id)):
        current[price.model_id] = price.cents
    return {
        "creator": {c.id: {"handle": c.handle, "style_word": c.style_word} for c in s.scalars(select(Creator))},
        "consent record": {c.id: {"basis": c.basis, "reference": c.reference, "active": c.revoked_at is None}
                           for c in s.scalars(select(ConsentRecord))},
        "portfolio item": {i.id: {"sha256": i.blob_sha256, "consent": i.consent_id,
                                  "caption_sha256": caption_sha256(i.caption)}
                           for i in s.scalars(select(PortfolioItem))},
        "model version": {v.id: {"model": v.model_id, "number": v.number, "status": v.status}
                          for v in s.scalars(select(ModelVersion))},
        "model": {m.id: {"disabled": m.status == "disabled", "cents": current.get(m.id),
                         "published": m.status == "published",
                         "disabled_at": iso(m.disabled_at) if m.status == "disabled" else None}
                  for m in models.values()},
        "price": {p.id: {} for p in s.scalars(select(Price))},
        "generation": {g.id: {"sha256": g.blob_sha256, "preview_sha256": g.preview_sha256, "flagged": g.flagged,
                              "version": g.model_version_id, "price_cents": g.price_cents, "sold": g.status == "sold"}
                       for g in s.scalars(select(Generation))},
        "subscription": {x.id: {"creator": x.creator_id, "plan": x.plan, "cents": x.cents, "ends_at": iso(x.ends_at)}
                         for x in s.scalars(select(Subscription))},
        "purchase": {p.id: {"generation": p.generation_id, "buyer": p.buyer, "price_cents": p.price_cents,
                            "fee_cents": p.fee_cents, "creator_cents": p.creator_cents, "mark_id": p.mark_id,
                            "delivered_sha256": p.delivered_sha256} for p in s.scalars(select(Purchase))},
        "licence": {x.id: {"purchase": x.purchase_id,
                           "certificate_sha256": hashlib.sha256(x.certificate.encode("utf-8")).hexdigest()}
                    for x in s.scalars(select(Licence))},
        "payout line": {x.id: {"purchase": x.purchase_id, "cents": x.cents, "payout": x.payout_id}
                        for x in s.scalars(select(PayoutLine))},
        "payout": {x.id: {"creator": x.creator_id, "cents": x.cents} for x in s.scalars(select(Payout))},
        "edit job": {x.id: {"generation": x.generation_id, "buyer": x.buyer, "creator": x.creator_id,
                            "note_sha256": hashlib.sha256(x.message.encode("utf-8")).hexdigest(), "status": x.status,
                            "quote_cents": x.quote_cents, "delivered_sha256": x.delivered_sha256}
                     for x in s.scalars(select(EditRequest))},
    }, published


def _sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _rehash(ctx, state: State, versions: dict[str, str]) -> tuple[list[str], int]:
    """Every blob and weights file the ledger names, re-hashed from disk."""
    from studio.inference import WEIGHTS_NAME

    problems, shas = [], set()
    for item in state.items.values():
        shas.add(item["sha256"])
    for g in state.generations.values():
        shas |= {g.get("sha256"), g.get("preview_sha256")} - {None}
    shas |= {p["delivered_sha256"] for p in state.purchases.values()} - {None}
    shas |= {j.get("delivered_sha256") for j in state.edits.values()} - {None}
    for sha in sorted(shas):
        path = ctx.blobs.path(sha)
        if not path.is_file():
            problems.append(f"blob {sha} named in the ledger is missing from the blob store")
        elif _sha256_file(path) != sha:
            problems.append(f"blob {sha} was changed on disk: its bytes no longer hash to its name")
    for vid, v in sorted(state.versions.items()):
        folder = versions.get(vid)
        weights = (ctx.home / folder / WEIGHTS_NAME) if folder else None
        if weights is None or not weights.is_file():
            problems.append(f"model version {vid}: its weights file is missing")
        elif "weights_sha256" in v and _sha256_file(weights) != v["weights_sha256"]:
            problems.append(f"model version {vid}: its weights file was changed after training")
    return problems, len(shas) + len(state.versions)


def audit(ctx, deep: bool = False) -> Audit:
    with ctx.reading() as s:
        chain = ledger.verify(s, ctx.key)
        if not chain.ok:  # a broken chain cannot be replayed: report where it breaks
            return Audit(False, chain.events, chain.broken_seq, chain.broken_id, chain.reason, [chain.reason],
                         deep=deep)
        problems = []
        if ctx.key is None:
            problems.append("the studio's signing key is missing (HOME/keys/): the ledger head cannot be checked")
        if chain.events == 0 and s.get(Meta, ledger.SIGNATURE_KEY) is not None:
            problems.append("the ledger is empty but its head was signed: its events and head were deleted")
        events = ledger.events(s)
        state = replay(events)
        tables, published = _tables(s)
        if not events and any(tables[t] for t in tables):
            counts = ", ".join(f"{len(rows)} {name} rows" for name, rows in tables.items() if rows)
            problems.append(f"the ledger is empty but the database holds {counts}: its events were deleted")
        expected_models = {mid: {"disabled": m["disabled"], "cents": m["cents"],
                                 "published": not m["disabled"] and mid in
                                 {v["model"] for v in state.versions.values() if v.get("status") == "published"},
                                 **({"disabled_at": m["disabled_at"]} if "disabled_at" in m else {})}
                           for mid, m in state.models.items()}
        expected_prices = {pid: {} for m in state.models.values() for pid in m["prices"]}
        for label, expected, fields in (
                ("creator", state.creators, ("handle", "style_word")),
                ("consent record", state.consents, ("basis", "reference", "active")),
                ("portfolio item", state.items, ("sha256", "consent", "caption_sha256")),
                ("model version", state.versions, ("model", "number", "status")),
                ("model", expected_models, ("disabled", "cents", "published", "disabled_at")),
                ("price", expected_prices, ()),
                ("generation", state.generations, ("sha256", "preview_sha256", "flagged", "version", "price_cents",
                                                   "sold")),
                ("subscription", state.subscriptions, ("creator", "plan", "cents", "ends_at")),
                ("purchase", state.purchases, ("generation", "buyer", "price_cents", "fee_cents", "creator_cents",
                                               "mark_id", "delivered_sha256")),
                ("licence", state.licences, ("purchase", "certificate_sha256")),
                ("payout line", state.payout_lines, ("purchase", "cents", "payout")),
                ("payout", state.payouts, ("creator", "cents")),
                ("edit job", state.edits, ("generation", "buyer", "creator", "note_sha256", "status", "quote_cents",
                                           "delivered_sha256"))):
            problems += _compare(label, tables[label], expected, fields)
        checked = {name: len(rows) for name, rows in tables.items()}
        if deep:
            paths = dict(s.execute(select(ModelVersion.id, ModelVersion.path)).all())
            found, n = _rehash(ctx, state, paths)
            problems += found
            checked["files re-hashed"] = n
    shown = problems[:MAX_LISTED] + ([f"... and {len(problems) - MAX_LISTED} more"]
                                     if len(problems) > MAX_LISTED else [])
    return Audit(not problems, chain.events, None, None, problems[0] if problems else None, shown, checked, deep)


def active_consents(ctx, handle: str) -> set[str]:
    """The consent records the ledger says are active for ``handle``'s items (training trusts only these)."""
    with ctx.reading() as s:
        state = replay(s.scalars(select(LedgerEvent).where(LedgerEvent.kind.in_(("consent.given", "consent.revoked")))
                                 .order_by(LedgerEvent.seq)))
    return {cid for cid, c in state.consents.items() if c.get("active")
            and state.items.get(c["item"], {}).get("creator") == handle
            and state.items[c["item"]]["consent"] == cid}
