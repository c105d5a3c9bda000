"""Versioned schema with upgrade steps.

A fresh home gets every table and the latest version. An older home is
upgraded one version at a time, each step in its own transaction, so a new
version of the code opens an older home without losing data. To change the
schema: add the tables/columns to `tables.py`, bump `SCHEMA_VERSION`, and add
an `_upgrade_to_N` step that makes the same change to an existing database.
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect, select, text

from studio.errors import StudioError
from studio.store.tables import TABLES_BY_VERSION, Base, Meta

SCHEMA_VERSION = 7
LEGACY_PLANS_KEY = "legacy_plans_to_adopt"  # set by the upgrade to 4; see `studio.marketplace.plans`


def _create_tables(conn: Connection, version: int) -> None:
    tables = [Base.metadata.tables[name] for name in TABLES_BY_VERSION[version]]
    Base.metadata.create_all(conn, tables=tables)


def _upgrade_to_2(conn: Connection) -> None:
    _create_tables(conn, 2)


def _upgrade_to_3(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE creators ADD COLUMN style_word VARCHAR(64)"))


def _upgrade_to_4(conn: Connection) -> None:
    """Plans and payouts, the price each preview was shown at, and what each purchase delivered.

    Creators on a paid plan label get an active creation subscription when the home is next
    opened with its key (a ledger event needs the key, which a schema step does not hold): the
    step leaves a marker that `Plans.adopt_legacy` turns into events and removes in one transaction.
    """
    _create_tables(conn, 4)
    conn.execute(text("ALTER TABLE generations ADD COLUMN price_id VARCHAR(32)"))
    for column in ("creator_id VARCHAR(32)", "model_version_id VARCHAR(32)", "mark_id VARCHAR(16)",
                   "delivered_sha256 VARCHAR(64)"):
        conn.execute(text(f"ALTER TABLE purchases ADD COLUMN {column}"))
    conn.execute(text("CREATE INDEX ix_purchases_creator_id ON purchases (creator_id)"))
    conn.execute(text("CREATE UNIQUE INDEX ix_purchases_mark_id ON purchases (mark_id)"))
    conn.execute(Meta.__table__.insert().values(key=LEGACY_PLANS_KEY, value="1"))


EDIT_COLUMNS_5 = ("creator_id", "quoted_at", "accepted_at", "delivered_at", "declined_at", "reason",
                  "delivered_sha256")


def _upgrade_to_5(conn: Connection) -> None:
    """Edit jobs: who the job is for, when each status was reached, and the delivered file's sha256.

    Each column's type is compiled from `tables.EditRequest` for the database at hand (a time is
    DATETIME on SQLite, TIMESTAMP WITH TIME ZONE on PostgreSQL)."""
    table = Base.metadata.tables["edit_requests"]
    for name in EDIT_COLUMNS_5:
        kind = table.c[name].type.compile(dialect=conn.dialect)
        conn.execute(text(f"ALTER TABLE edit_requests ADD COLUMN {name} {kind}"))
    conn.execute(text("CREATE INDEX ix_edit_requests_creator_id ON edit_requests (creator_id)"))


def _upgrade_to_6(conn: Connection) -> None:
    """Buyer accounts: a login per buyer email (the storefront's)."""
    _create_tables(conn, 6)


def _upgrade_to_7(conn: Connection) -> None:
    """The assistant's conversations (client id, taken over) and its inbox settings (None: the defaults).

    A home older than version 2 got `assistant_profiles` from today's tables in `_upgrade_to_2`, inbox
    column included; only a home that had the table before gets the column added here."""
    _create_tables(conn, 7)
    if "inbox" not in {c["name"] for c in inspect(conn).get_columns("assistant_profiles")}:
        kind = Base.metadata.tables["assistant_profiles"].c["inbox"].type.compile(dialect=conn.dialect)
        conn.execute(text(f"ALTER TABLE assistant_profiles ADD COLUMN inbox {kind}"))


UPGRADES = {2: _upgrade_to_2, 3: _upgrade_to_3, 4: _upgrade_to_4, 5: _upgrade_to_5, 6: _upgrade_to_6,
            7: _upgrade_to_7}


def current_version(conn: Connection) -> int | None:
    if not inspect(conn).has_table("meta"):
        return None
    row = conn.execute(select(Meta.value).where(Meta.key == "schema_version")).scalar()
    return int(row) if row is not None else None


def _set_version(conn: Connection, version: int) -> None:
    table = Meta.__table__
    if conn.execute(select(Meta.key).where(Meta.key == "schema_version")).first():
        conn.execute(table.update().where(table.c.key == "schema_version").values(value=str(version)))
    else:
        conn.execute(table.insert().values(key="schema_version", value=str(version)))


def migrate(engine) -> tuple[int | None, int]:
    """Bring the database to SCHEMA_VERSION; returns (version found, version now)."""
    with engine.begin() as conn:
        found = current_version(conn)
        if found is None:
            Base.metadata.create_all(conn)
            _set_version(conn, SCHEMA_VERSION)
            return None, SCHEMA_VERSION
    if found > SCHEMA_VERSION:
        raise StudioError(
            f"this studio home has schema version {found}, newer than this code "
            f"understands ({SCHEMA_VERSION}); upgrade the studio package"
        )
    for version in range(found + 1, SCHEMA_VERSION + 1):
        with engine.begin() as conn:
            UPGRADES[version](conn)
            _set_version(conn, version)
    return found, SCHEMA_VERSION
