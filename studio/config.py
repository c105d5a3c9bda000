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
    # Monthly plan a creator pays to host a model, in cents.
    plans: dict[str, int] = field(default_factory=lambda: {"free": 0, "creator": 2500})
    # Portfolio intake limits.
    max_image_pixels: int = 40_000_000
    max_caption_chars: int = 500
    max_text_bytes: int = 1_000_000
    max_archive_members: int = 5_000

    def is_vetted(self, level: str) -> bool:
        return level in self.vetted_levels


DEFAULT_POLICY = Policy()


def default_home() -> Path:
    return Path(os.environ.get("STUDIO_HOME", ".studio")).expanduser()


def default_db_url(home: Path) -> str:
    return os.environ.get("STUDIO_DB_URL") or f"sqlite:///{(home / 'studio.db').resolve()}"
