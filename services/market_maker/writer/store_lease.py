"""The writer lease in a SQL database: a row per strategy, written by compare-and-swap.

Used outside Kubernetes: by the durable engine in its own database (SQLite or
PostgreSQL), by the simple engine in a small SQLite file in its data directory. A row
carries a version; a write succeeds only on the version it read, so of two engines that
race for a free lease exactly one wins.

A fast path for crashes: the holder also keeps a lock that dies with its process, an
exclusive `flock` on `<database>.<strategy>.writer-lock` (SQLite), or a session advisory
lock (PostgreSQL, released when the holder's connection closes, which the kernel does for
a killed process). A successor that gets that lock knows the holder is gone and takes
over at once instead of waiting out the lease. A paused (SIGSTOP) holder keeps its lock:
then the successor waits for expiry, as it must.

Every call blocks (a commit, an fsync): `ThreadedStoreLease` runs them on a thread of
their own for the async writer.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from gridops.market_maker.domain.lease import LeaseRecord
from gridops.market_maker.store.engine import make_engine, normalize_url

_metadata = MetaData()
# Not in the store's alembic history: the simple engine keeps it in a file of its own,
# and it holds one row per strategy that nothing else reads.
LEASES = Table(
    "gridops_writer_lease",
    _metadata,
    Column("strategy", String(64), primary_key=True),
    Column("holder", String(256), nullable=False),
    Column("token", BigInteger, nullable=False),
    Column("renewed_at", Float, nullable=False),  # unix seconds
    Column("seconds", Integer, nullable=False),
    Column("locked", Boolean, nullable=False),
    Column("version", BigInteger, nullable=False),
)


class StoreLease:
    kind = "store"

    def __init__(self, url: str, strategy: str) -> None:
        self.strategy = strategy
        parsed = normalize_url(url)
        self._engine = make_engine(parsed)
        _metadata.create_all(self._engine, checkfirst=True)
        database = parsed.database or ""
        self._lock_path: Path | None = None
        if parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:"):
            self._lock_path = (
                Path(database)
                .expanduser()
                .with_name(f"{Path(database).name}.{strategy}.writer-lock")
            )
        self._lock: IO[bytes] | None = None
        self._postgres = parsed.get_backend_name() == "postgresql"
        #: the session that holds the advisory lock (PostgreSQL)
        self._session: Connection | None = None
        digest = hashlib.sha256(f"gridops-writer:{strategy}".encode()).digest()
        self._key = int.from_bytes(digest[:8], "big", signed=True)
        self.where = parsed.render_as_string(hide_password=True)

    def read(self) -> tuple[LeaseRecord | None, int | None]:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(LEASES).where(LEASES.c.strategy == self.strategy)
            ).one_or_none()
        if row is None:
            return None, None
        record = LeaseRecord(
            holder=row.holder,
            token=row.token,
            renewed_at=datetime.fromtimestamp(row.renewed_at, UTC),
            seconds=row.seconds,
            locked=row.locked,
        )
        return record, row.version

    def write(self, record: LeaseRecord, version: int | None) -> bool:
        values = {
            "holder": record.holder,
            "token": record.token,
            "renewed_at": record.renewed_at.timestamp(),
            "seconds": record.seconds,
            "locked": record.locked,
            "version": (version or 0) + 1,
        }
        with self._engine.begin() as connection:
            if version is None:
                try:
                    connection.execute(insert(LEASES).values(strategy=self.strategy, **values))
                except IntegrityError:
                    return False
                return True
            result = connection.execute(
                update(LEASES)
                .where(LEASES.c.strategy == self.strategy, LEASES.c.version == version)
                .values(**values)
            )
            return result.rowcount == 1

    def try_lock(self) -> bool:
        """Take the file lock if nobody holds it; True when this process holds it."""
        if self._lock is not None or self._session is not None:
            return True
        if self._postgres:
            return self._try_advisory_lock()
        if self._lock_path is None:
            return False
        handle = open(self._lock_path, "ab")  # noqa: SIM115 - held open while it is held
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        os.set_inheritable(handle.fileno(), False)
        self._lock = handle
        return True

    def _try_advisory_lock(self) -> bool:
        session = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = session.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
            ).scalar_one()
        except BaseException:
            session.close()
            raise
        if not got:
            session.close()
            return False
        self._session = session
        return True

    def unlock(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            # Closing would only return it to the pool, session and lock alive: drop it.
            session.invalidate()
            session.close()
        if self._lock is not None:
            self._lock.close()  # closing the descriptor drops the flock
            self._lock = None

    def close(self) -> None:
        self.unlock()
        self._engine.dispose()


class ThreadedStoreLease:
    """A blocking `StoreLease` behind the async LeaseStore calls, on one thread of its own."""

    def __init__(self, lease: StoreLease) -> None:
        self._lease = lease
        self.kind = lease.kind
        self.where = lease.where
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="writer-lease")

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._worker, fn, *args)

    async def read(self) -> tuple[LeaseRecord | None, int | None]:
        result: tuple[LeaseRecord | None, int | None] = await self._run(self._lease.read)
        return result

    async def write(self, record: LeaseRecord, version: int | None) -> bool:
        return bool(await self._run(self._lease.write, record, version))

    async def try_lock(self) -> bool:
        return bool(await self._run(self._lease.try_lock))

    async def unlock(self) -> None:
        await self._run(self._lease.unlock)

    async def close(self) -> None:
        await self._run(self._lease.close)
        self._worker.shutdown(wait=False)
