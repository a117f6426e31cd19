"""Schema migrations, run in code: the store brings a database to head when it opens it."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, text

from .errors import StoreError

MIGRATIONS = Path(__file__).resolve().with_name("migrations")

log = logging.getLogger(__name__)

# Any constant works; it only has to be the same for every gridops process.
_PG_MIGRATION_LOCK = 0x6772_6964_6F70  # "gridop"


def alembic_config(connection: Connection | None = None) -> Config:
    """An alembic Config without an ini file, bound to `connection` for env.py."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


def current_revisions(connection: Connection) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(connection).get_current_heads())


def upgrade(engine: Engine) -> None:
    """Bring the schema to head in one transaction; a no-op when it is there already.

    A database migrated by a newer gridops carries a revision this code does not know:
    touching it could corrupt what the newer code wrote, so that is an error.
    """
    config = alembic_config()
    scripts = ScriptDirectory.from_config(config)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two engines starting together must not both create the tables.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
            )
        current = current_revisions(connection)
        for revision in current:
            try:
                known = scripts.get_revision(revision)
            except CommandError:
                known = None
            if known is None:
                raise StoreError(
                    f"database schema revision {revision!r} is newer than this gridops "
                    f"knows (its newest is {scripts.get_current_head()!r}): upgrade gridops"
                )
        if set(current) == set(scripts.get_heads()):
            return
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        log.info(
            "database schema upgraded from %s to %s",
            ", ".join(current) or "empty",
            ", ".join(scripts.get_heads()),
        )
