"""Persistence of the durable engine: slots, applied fills, risk state and strategy meta
in SQLite (the default) or PostgreSQL, schema managed by alembic migrations."""

from __future__ import annotations

from .errors import StoreError
from .rows import StoredState, StrategyMeta
from .sql_store import SqlStore

__all__ = ["SqlStore", "StoreError", "StoredState", "StrategyMeta"]
