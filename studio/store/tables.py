"""The studio's database schema (SQLAlchemy 2, portable across SQLite and PostgreSQL).

Money is integer cents, times are UTC, ids are stable prefixed strings.
Tables are grouped by the schema version that introduced them; see
`studio.store.schema` for the upgrade steps between versions.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(value: datetime | None) -> str | None:
    """A UTC time as the ledger writes it (``2026-01-02T03:04:05.000006Z``), or None."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value is not None else None


def new_id(prefix: str) -> str:
    """A stable, unguessable id such as ``itm_3f9a0c51d2e4b7a8``."""
    return f"{prefix}_{secrets.token_hex(8)}"


class UTCDateTime(TypeDecorator):
    """Stores aware UTC datetimes; SQLite hands them back naive, so re-attach UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: studio stores UTC-aware times only")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


def _created() -> Mapped[datetime]:
    return mapped_column(default=utcnow)


# --- schema version 1: the foundation -------------------------------------------------


class Meta(Base):
    """Key/value facts about the home: schema version, ledger head."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Blob(Base):
    """A file in the content-addressed blob store (the bytes live on disk)."""

    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _created()


class Creator(Base):
    __tablename__ = "creators"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("cr"))
    handle: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    vetted: Mapped[bool] = mapped_column(Boolean, default=False)
    plan: Mapped[str] = mapped_column(String(32), default="free")
    plan_cents: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = _created()
    # schema version 3: the creator's own style word (the trigger their models learn)
    style_word: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ConsentRecord(Base):
    """Why the studio may learn from an item: the creator's own work, or a client's consent."""

    __tablename__ = "consent_records"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("cns"))
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id"))
    basis: Mapped[str] = mapped_column(String(16))  # own | client | licensed_back
    reference: Mapped[str | None] = mapped_column(String(200))  # client consent ref / generation id
    granted_at: Mapped[datetime] = _created()
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(Text)


class PortfolioItem(Base):
    __tablename__ = "portfolio_items"
    __table_args__ = (UniqueConstraint("creator_id", "blob_sha256"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("itm"))
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id"), index=True)
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    kind: Mapped[str] = mapped_column(String(16))  # image | text
    caption: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)  # the file name it came from
    width: Mapped[int | None]
    height: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(Text)  # e.g. "converted from CMYK to RGB"
    consent_id: Mapped[str] = mapped_column(ForeignKey("consent_records.id"))
    added_at: Mapped[datetime] = _created()


class Model(Base):
    """A creator's personal creation model (its versions hold the weights)."""

    __tablename__ = "models"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("mdl"))
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft|published|disabled
    created_at: Mapped[datetime] = _created()
    disabled_at: Mapped[datetime | None]


class ModelVersion(Base):
    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("model_id", "number"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("mv"))
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id"), index=True)
    number: Mapped[int]
    base_model: Mapped[str] = mapped_column(Text)
    base_sha256: Mapped[str | None] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)  # folder, relative to the home
    trigger: Mapped[str | None] = mapped_column(String(64))
    manifest: Mapped[dict[str, Any]] = mapped_column(default=dict)
    scores: Mapped[dict[str, Any] | None]
    status: Mapped[str] = mapped_column(String(16), default="trained")  # trained|published|retired
    created_at: Mapped[datetime] = _created()
    published_at: Mapped[datetime | None]


class Price(Base):
    """Price history: the current price of a model is its latest row."""

    __tablename__ = "prices"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("prc"))
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id"), index=True)
    cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    effective_at: Mapped[datetime] = _created()


class Generation(Base):
    __tablename__ = "generations"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("gen"))
    model_version_id: Mapped[str | None] = mapped_column(ForeignKey("model_versions.id"), index=True)
    creator_id: Mapped[str | None] = mapped_column(ForeignKey("creators.id"), index=True)
    prompt: Mapped[str] = mapped_column(Text)
    seed: Mapped[int]
    buyer: Mapped[str | None] = mapped_column(String(320))
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))  # clean full image
    preview_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    phash: Mapped[str | None] = mapped_column(String(32))
    flagged: Mapped[str | None] = mapped_column(Text)  # why it may not be sold, if so
    price_cents: Mapped[int | None]  # the price in force when it was shown (None: creator's draft, or flagged)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft|sold|hidden
    created_at: Mapped[datetime] = _created()
    # schema version 4: which price row was in force when the preview was shown (the exposure log)
    price_id: Mapped[str | None] = mapped_column(String(32), nullable=True)


class Purchase(Base):
    __tablename__ = "purchases"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("pur"))
    generation_id: Mapped[str] = mapped_column(ForeignKey("generations.id"), unique=True)
    buyer: Mapped[str] = mapped_column(String(320))
    price_cents: Mapped[int]
    fee_cents: Mapped[int]
    creator_cents: Mapped[int]
    created_at: Mapped[datetime] = _created()
    # schema version 4: what was sold and delivered
    creator_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    model_version_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    mark_id: Mapped[str | None] = mapped_column(String(16), nullable=True, unique=True, index=True)  # softmark id, hex
    delivered_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the signed file, a blob


class Licence(Base):
    __tablename__ = "licences"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("lic"))
    purchase_id: Mapped[str] = mapped_column(ForeignKey("purchases.id"), unique=True)
    terms: Mapped[dict[str, Any]] = mapped_column(default=dict)
    certificate: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()


class EditRequest(Base):
    """A buyer hiring the human creator to finish a generation by hand."""

    __tablename__ = "edit_requests"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("edt"))
    generation_id: Mapped[str] = mapped_column(ForeignKey("generations.id"), index=True)
    buyer: Mapped[str] = mapped_column(String(320))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|quoted|accepted|delivered|declined
    quote_cents: Mapped[int | None]
    created_at: Mapped[datetime] = _created()
    # schema version 5: the job's creator, when each status was reached, and what was delivered
    creator_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    quoted_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    declined_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # why the creator declined
    delivered_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the signed file, a blob


class LedgerEvent(Base):
    """Append-only, hash-chained record of every event that moves rights."""

    __tablename__ = "ledger_events"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON
    created_at: Mapped[str] = mapped_column(String(32))  # ISO 8601 UTC, hashed as written
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


# --- schema version 2: the personal assistant ----------------------------------------


class AssistantProfile(Base):
    """A creator's assistant knowledge (profile, gigs, Q&A, handoff topics) and settings."""

    __tablename__ = "assistant_profiles"
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id"), primary_key=True)
    knowledge: Mapped[dict[str, Any]] = mapped_column(default=dict)
    approve_before_send: Mapped[bool] = mapped_column(Boolean, default=False)
    min_confidence: Mapped[float | None]  # below it a message is handed off; None: the encoder's default
    updated_at: Mapped[datetime] = _created()
    # schema version 7: the inbox settings (`studio.assistant.inbox.InboxSettings`), None until first set
    inbox: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class AssistantChat(Base):
    """An imported past conversation; only consented ones are ever used."""

    __tablename__ = "assistant_chats"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("chat"))
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(200))
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    turns: Mapped[list[Any]] = mapped_column(default=list)
    led_to_order: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_at: Mapped[datetime] = _created()


class AssistantQA(Base):
    """A question/answer pair: from the setup file, or proposed from chats for approval."""

    __tablename__ = "assistant_qa"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("qa"))
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="proposed")  # proposed|approved|rejected
    origin: Mapped[str] = mapped_column(String(16), default="setup")  # setup|chats|insights
    support: Mapped[int] = mapped_column(Integer, default=1)  # how many client questions back it
    variants: Mapped[list[Any]] = mapped_column(default=list)  # other client phrasings of the question
    created_at: Mapped[datetime] = _created()


class AssistantMessage(Base):
    """Every client message the assistant saw and what it did: sent, queued or handed off."""

    __tablename__ = "assistant_messages"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("msg"))
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id"), index=True)
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    client_text: Mapped[str] = mapped_column(Text)
    reply_text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # sent|queued|handoff
    handoff: Mapped[bool] = mapped_column(Boolean, default=False)
    topic: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(200))
    confidence: Mapped[float] = mapped_column(default=0.0)
    summary: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)  # why it was handed off or queued
    led_to_order: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = _created()


# --- schema version 4: plans, payouts ---------------------------------------------------


class Subscription(Base):
    """A creator's monthly plan: active from ``started_at`` until ``ends_at`` (None: renews until cancelled)."""

    __tablename__ = "subscriptions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("sub"))
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id"), index=True)
    plan: Mapped[str] = mapped_column(String(32))  # a key of Policy.subscription_plans
    cents: Mapped[int]  # monthly price when subscribed
    started_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]


class Payout(Base):
    """One settlement: what a creator was paid in one `studio payouts run`."""

    __tablename__ = "payouts"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("po"))
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id"), index=True)
    cents: Mapped[int]
    lines: Mapped[int]
    created_at: Mapped[datetime] = _created()


class PayoutLine(Base):
    """What one sale owes its creator (price minus the platform fee), until a payout settles it."""

    __tablename__ = "payout_lines"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("pl"))
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id"), index=True)
    purchase_id: Mapped[str] = mapped_column(ForeignKey("purchases.id"), unique=True)
    cents: Mapped[int]
    payout_id: Mapped[str | None] = mapped_column(ForeignKey("payouts.id"), index=True)
    created_at: Mapped[datetime] = _created()


# --- schema version 6: buyer accounts ----------------------------------------------------


class BuyerAccount(Base):
    """A buyer's login: the email (the identity purchases and previews record) and a salted scrypt hash."""

    __tablename__ = "buyer_accounts"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("buy"))
    email: Mapped[str] = mapped_column(String(320), unique=True)  # lower-cased
    password_hash: Mapped[str] = mapped_column(String(200))  # scrypt$n$r$p$salt$hash (hex); never the password
    created_at: Mapped[datetime] = _created()


# --- schema version 7: assistant conversations ------------------------------------------


class AssistantConversation(Base):
    """A conversation the assistant takes part in: the client's buyer id, if known, and whether the creator took over."""

    __tablename__ = "assistant_conversations"
    __table_args__ = (UniqueConstraint("creator_id", "conversation_id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("acv"))
    creator_id: Mapped[str] = mapped_column(ForeignKey("creators.id"), index=True)
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)  # as in assistant_messages
    client: Mapped[str | None] = mapped_column(String(320), nullable=True, index=True)  # the buyer id, as in purchases
    taken_over_at: Mapped[datetime | None]  # set while the creator answers it personally
    created_at: Mapped[datetime] = _created()


TABLES_BY_VERSION: dict[int, list[str]] = {
    1: [
        "meta", "blobs", "creators", "consent_records", "portfolio_items", "models",
        "model_versions", "prices", "generations", "purchases", "licences",
        "edit_requests", "ledger_events",
    ],
    2: ["assistant_profiles", "assistant_chats", "assistant_qa", "assistant_messages"],
    3: [],  # a column: creators.style_word
    4: ["subscriptions", "payouts", "payout_lines"],  # and columns on generations and purchases
    5: [],  # columns on edit_requests
    6: ["buyer_accounts"],
    7: ["assistant_conversations"],  # and a column on assistant_profiles
}
