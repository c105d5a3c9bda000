"""What the storefront shows, read from the Studio's public calls; no screen, no Gradio.

Every value here comes from one `Studio` method (`creators`, `listing`, `model_version`,
`generations`, `purchases`, `edit_jobs`); the storefront page and its API both render these
plain dicts, so the two say the same thing. A buyer's rows are always read with the buyer's own
identity, which the caller takes from the login, never from input.
"""

from __future__ import annotations

import base64

from studio.errors import StudioError
from studio.money import dollars
from studio.quality.gate import score_rows

SAMPLES_SHOWN = 4


def offered_models(st) -> list[dict]:
    """Every creator model a buyer may generate from now: offered, or closing after a notice."""
    out = []
    for creator in st.creators():
        try:
            listing = st.listing(creator.handle)
        except StudioError:  # no model yet
            continue
        if not listing["offered"] or listing["price_cents"] is None:
            continue
        version = st.model_version(creator.handle, listing["version"])
        scores = version.scores or {}
        out.append({
            "creator": creator.handle, "name": creator.name, "version": listing["version"],
            "kind": version.manifest.get("kind", "image"),
            "number": listing["number"], "price_cents": listing["price_cents"],
            "price": dollars(listing["price_cents"]), "state": listing["state"],
            "available_until": listing["available_until"].isoformat() if listing["available_until"] else None,
            "quality_passed": bool(scores.get("passed")),
            "quality": [{"measure": k, "value": v} for k, v in score_rows(scores)] if scores.get(
                "style_distance_model") is not None else [],
        })
    return out


def model_card(st, handle: str) -> dict:
    """One offered model, or a clear error if it is not (any longer) offered."""
    for m in offered_models(st):
        if m["creator"] == handle:
            return m
    raise StudioError(f"{handle!r} offers no model right now")


def samples(st, handle: str, k: int = SAMPLES_SHOWN) -> list[dict]:
    """The newest of the creator's own drafts from the published version (watermarked previews): what
    the model makes, as its creator showed it. A draft the memorisation guard flagged is left out."""
    version = model_card(st, handle)["version"]
    drafts = [g for g in st.generations(handle) if g.buyer is None and g.model_version_id == version
              and g.flagged is None and g.status == "draft"]
    return [{"generation": g.id, "prompt": g.prompt, "seed": g.seed} for g in drafts[-k:]]


def preview_png(st, generation_id: str) -> bytes:
    """A preview as a picture: an image model's watermarked PNG, or a text model's masked copy drawn as a card."""
    data = st.image(generation_id, preview=True)
    if data.startswith(b"\x89PNG"):
        return data
    from studio.text.preview import card_png

    return card_png(data.decode("utf-8"))


def preview_text(st, generation_id: str) -> str | None:
    """A text model's masked preview as text (None for an image)."""
    data = st.image(generation_id, preview=True)
    return None if data.startswith(b"\x89PNG") else data.decode("utf-8")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def preview_row(g) -> dict:
    return {"generation": g.id, "prompt": g.prompt, "seed": g.seed, "status": g.status,
            "price_cents": g.price_cents, "price": dollars(g.price_cents) if g.price_cents is not None else None,
            "for_sale": g.offered and g.price_cents is not None,
            "why_not": g.flagged, "created_at": g.created_at.isoformat()}


def my_previews(st, buyer: str) -> list[dict]:
    """The buyer's previews, newest first (hidden ones, of a model whose disabling took effect, left out)."""
    return [preview_row(g) for g in reversed(st.generations(buyer=buyer))]


def purchase_row(p) -> dict:
    return {"purchase": p.id, "generation": p.generation_id, "creator": p.creator, "price": dollars(p.price_cents),
            "price_cents": p.price_cents, "licence": p.licence_id, "bought_at": p.created_at.isoformat()}


def my_purchases(st, buyer: str) -> list[dict]:
    return [purchase_row(p) for p in reversed(st.purchases(buyer))]


def edit_row(e) -> dict:
    return {"job": e.id, "generation": e.generation_id, "creator": e.creator, "status": e.status,
            "quote": dollars(e.quote_cents) if e.quote_cents is not None else None, "note": e.note,
            "reason": e.reason, "requested_at": e.created_at.isoformat()}


def my_edit_jobs(st, buyer: str) -> list[dict]:
    return [edit_row(e) for e in reversed(st.edit_jobs(buyer=buyer))]


def conversation_id(buyer: str, handle: str) -> str:
    """One assistant conversation per buyer and creator, named without the buyer's email."""
    import hashlib

    return "buyer_" + hashlib.sha256(f"{buyer}\n{handle}".encode()).hexdigest()[:24]
