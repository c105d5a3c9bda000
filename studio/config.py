"""Settings that are data, not code: where the studio lives and its policies."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

LEVELS = ("new", "level1", "level2", "top_rated", "pro")


@dataclass(frozen=True)
class Policy:
    """Marketplace policy. Change it here (or pass your own) — never in code paths."""

    # Seller levels allowed to train and publish a creation model.
    vetted_levels: frozenset[str] = frozenset({"level2", "top_rated", "pro"})
    # Platform fee on each sale, in basis points (20% = 2000).
    platform_fee_bps: int = 2000
    # The highest price per generation a creator may set, in cents.
    max_price_cents: int = 10_000
    # The plan label a creator signs up with (`Creator.plan`, kept from schema 1) and its monthly
    # cents; a paid one became an active creation-model subscription at the schema 4 upgrade.
    plans: dict[str, int] = field(default_factory=lambda: {"free": 0, "creator": 2500})
    # Subscriptions (schema 4): monthly price in cents of each plan a creator can subscribe to.
    # Publishing a creation model needs an active `publish_plan` subscription.
    subscription_plans: dict[str, int] = field(default_factory=lambda: {"creation": 2500, "assistant": 2900})
    publish_plan: str = "creation"
    plan_period_days: int = 30  # one paid month; a cancelled plan runs to the end of the month paid for
    # Payouts: what a creator is owed is paid only once it reaches this much.
    payout_minimum_cents: int = 1_000
    # Free previews a buyer may make per UTC day, across all models.
    free_previews_per_day: int = 30
    # The highest quote a creator may give for finishing a draft by hand (an edit job), in cents.
    max_edit_quote_cents: int = 1_000_000
    # Platform analytics never show a figure about fewer distinct buyers than this (k-anonymity).
    analytics_min_buyers: int = 5
    # A preview this close (perceptual-hash bits of 64) to an earlier sale of the same model is not sold.
    near_duplicate_bits: int = 4
    # Portfolio intake limits.
    max_image_pixels: int = 40_000_000
    max_caption_chars: int = 500
    max_text_bytes: int = 1_000_000
    max_archive_members: int = 5_000
    # Size limits, checked from the file system or zip header before a byte is read.
    max_image_bytes: int = 100_000_000
    max_caption_bytes: int = 16_000  # a same-name .txt caption file
    max_metadata_bytes: int = 10_000_000  # a folder's metadata.jsonl
    max_archive_bytes: int = 1_000_000_000  # all the members of one zip that would be read, uncompressed

    def is_vetted(self, level: str) -> bool:
        return level in self.vetted_levels


DEFAULT_POLICY = Policy()


def default_device() -> str:
    """Where generation runs for the marketplace (previews, the storefront): $STUDIO_DEVICE, else cpu.

    A GPU server sets STUDIO_DEVICE=cuda once and every preview, gate and storefront request uses it.
    """
    return os.environ.get("STUDIO_DEVICE", "").strip() or "cpu"


def default_home() -> Path:
    """$STUDIO_HOME, or ./.studio when it is unset; set but empty is an error, never the current folder."""
    value = os.environ.get("STUDIO_HOME")
    if value is None:
        return Path(".studio")
    if not value.strip():
        from studio.errors import StudioError

        raise StudioError("STUDIO_HOME is set but empty; set it to a folder, or unset it to use ./.studio")
    return Path(value).expanduser()


def default_db_url(home: Path) -> str:
    """$STUDIO_DB_URL, or the SQLite file in the home. May hold a password: show it with `masked_db_url`."""
    return os.environ.get("STUDIO_DB_URL") or f"sqlite:///{(home / 'studio.db').resolve()}"


def masked_db_url(url: str) -> str:
    """The database URL with its password replaced by ***, fit to print or log."""
    import re

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        # Not a URL SQLAlchemy can read: hide anything between "user:" and "@" all the same.
        shown = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)
    # libpq also takes the password as a query parameter (?password=...).
    return re.sub(r"([?&]password=)[^&]*", r"\1***", shown, flags=re.IGNORECASE)
