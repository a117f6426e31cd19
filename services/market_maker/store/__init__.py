"""Persistence of the durable engine: slots, applied fills, risk state and strategy meta
in SQLite (the default) or PostgreSQL, schema managed by alembic migrations."""

from __future__ import annotations

import logging

# alembic logs INFO lines about its plugins (when imported) and its SQL dialect (at every
# migration check): a dozen lines per start that say nothing to an operator. Set before
# alembic is first imported (below); its warnings stay, and an upgrade that really ran
# gets a line of our own (migrate.upgrade).
logging.getLogger("alembic").setLevel(logging.WARNING)

from .errors import StoreError  # noqa: E402
from .rows import StoredState, StrategyMeta  # noqa: E402
from .sql_store import SqlStore  # noqa: E402

__all__ = ["SqlStore", "StoreError", "StoredState", "StrategyMeta"]
