"""Engines for the two supported backends, tuned so a commit is durable when it returns."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from .errors import StoreError

# Execution option marking reads: they begin DEFERRED instead of taking the write lock.
_SQLITE_READ = "gridops_sqlite_read"

# How long a SQLite writer waits for another one (several strategies may share a file).
SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalize_url(url: str) -> URL:
    """Parse `url`; plain postgresql:// (and postgres://) mean psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise StoreError(f"invalid database URL {url!r}: {error}") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "postgres":
        backend = "postgresql"
    if backend == "postgresql" and driver in ("", "psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        return parsed.set(drivername="sqlite")
    raise StoreError(
        f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}: "
        "use sqlite:///PATH or postgresql://..."
    )


def make_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    # No pre-ping: it would add a round trip to every save; a dropped connection is
    # retried by the store instead (its writes are idempotent).
    return create_engine(url, pool_size=2, max_overflow=2)


def reader(engine: Engine) -> Engine:
    """The engine for multi-query reads that must see one consistent snapshot."""
    if engine.dialect.name == "postgresql":
        # READ COMMITTED takes a new snapshot per query; slots and fills could disagree.
        return engine.execution_options(isolation_level="REPEATABLE READ")
    # A WAL read transaction is a snapshot already; just don't block writers.
    return engine.execution_options(**{_SQLITE_READ: True})


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    options: dict[str, Any] = {}
    if in_memory:
        # Every connection to :memory: would be a new, empty database: share one.
        options["poolclass"] = StaticPool
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        **options,
    )
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    assert isinstance(dbapi_connection, sqlite3.Connection)
    # Python's sqlite3 would open transactions lazily, only before DML, so DDL and reads
    # would run outside them; take over: autocommit at the driver, BEGIN emitted below.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # WAL: readers never block the writer. FULL: the WAL is fsynced at every commit,
        # so a commit that returned survives a killed process and a power loss alike
        # (NORMAL, the usual WAL companion, may lose the last commits on power loss).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    if connection.get_execution_options().get(_SQLITE_READ):
        connection.exec_driver_sql("BEGIN DEFERRED")
        return
    # IMMEDIATE takes the write lock up front: two writers then queue on busy_timeout
    # instead of one failing with "database is locked" when it upgrades a read lock.
    connection.exec_driver_sql("BEGIN IMMEDIATE")
