"""Simulated markets kept on disk: cheap per change, durable before anything is acknowledged.

Why SQLite (stdlib `sqlite3`, WAL) rather than an append-only journal of our own: both
write only what a change touched, so the cost per change does not grow with history.
But a journal has to be replayed at start (or compacted into snapshots, which is the
problem we are leaving), and it answers no question about the past: looking up a closed
order by its client id (idempotent PlaceOrder, GetOrder) or the fills since a time
(GetFills) would need the whole history in memory again. SQLite gives the same
sequential append (its write-ahead log) plus indexes on disk for those lookups, crash
safety that is tested far beyond anything we would write, and a file anyone can open
with `sqlite3 FILE`. So memory holds only open orders and the changes not yet durable.

CONTRACT (the connector's `--sim-state` and `gridops venue` both use it):

- `store = SimStore.open(path)` opens the database (creating it), takes an exclusive
  lock on it (a second process, or a second SimStore on the same file, fails with
  StoreBusy) and starts one writer thread. One file holds any number of markets, one
  per account name.
- `stored = store.market(account, settings)` gives the account's market: the one on
  disk, or (first time) a fresh one from `settings` - or `initial`, e.g. an imported
  JSON snapshot - written and fsynced before it returns. `settings` count only for a new
  account: a restored market keeps its own symbols, fees, balances and random state.
  `stored.market` is the SimMarket; `stored.created` says whether it was new.
- After each call that may change that market (place/cancel/set_price/step/fill_order/
  set_balances, a rejected one too), call `stored.commit(on_durable)` before the next
  await: it takes everything the market changed since the last commit, queues it for the
  writer and returns an awaitable. Await it before you acknowledge anything (the order,
  the cancel, a fill on a stream): it resolves once that change, and every change
  committed before it, is fsynced. Many commits share one transaction and one fsync
  (group commit), so throughput grows with the number of callers in flight.
- `on_durable` (optional) runs on the event loop once the change is durable, before the
  awaiting caller resumes, in commit order, and even when the caller was cancelled in the
  meantime (the write is shielded): deliver the change's events from it, so a stream
  never carries a fill that a crash could take back, and never misses one either.
- A commit with nothing new still waits for the commits before it (a repeated PlaceOrder
  must not acknowledge an order whose first write is still in flight); when nothing is
  in flight it resolves at once.
- Reads are the market's own calls. Open orders, balances, positions and prices are in
  memory; closed orders and fills leave memory once durable, and `get_order`,
  `get_fills` and a repeated PlaceOrder find them in the database (indexed reads on the
  calling thread, tens of microseconds). What is not durable yet is visible to reads
  (read-uncommitted, as with an exchange's matching engine); it is not acknowledged.
- When a write fails (disk full, I/O error) that commit and every later one raise
  StoreFailed (an Unavailable: retry later, restart to recover): the file keeps the last
  durable state, which is what a restart reads.
- `store.close()` writes what is queued, stops the writer and closes the file (it
  blocks for that last write; the commits it wrote settle on the loop's next turn).
- Threads: call everything from one thread (the event loop's); the writer thread only
  writes. `SimStore.open` and `store.market` block for one fsync at most; a restored
  market reads its open orders, balances, positions and prices, and the client ids of
  its closed orders (into a fixed-size filter that spares new orders a read), never
  the history itself.
- Schema (version 1, in `meta`; readers of the file, such as the venue's audit log, may
  rely on it): `accounts(id, name, config, counters, rng)`, `symbols(account, symbol,
  spec, price, price_time, position)`, `balances(account, asset, free, locked)`,
  `orders(account, seq, order_id, client_order_id, is_open, data)` and `fills(account,
  number, symbol, time_us, data)`, where `data` is `OrderState.to_dict()` or
  `fill_to_dict()` as JSON and amounts are decimal strings.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gridops import order_ids
from gridops.errors import Unavailable
from gridops.models import Fill, OrderStatus

from .changes import Delta, SymbolState
from .fills import fill_from_dict, fill_number, fill_to_dict
from .ledger import Ledger
from .market import SNAPSHOT_VERSION, Clock, SimMarket, rng_to_json, utc_now
from .orders import OrderState
from .settings import SimSettings, create_market

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
#: the most commits one transaction takes (bounds the time a batch holds its callers)
MAX_BATCH = 2000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SQLITE_MAGIC = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    config TEXT NOT NULL,
    counters TEXT NOT NULL,
    rng TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS symbols (
    account INTEGER NOT NULL,
    symbol TEXT NOT NULL,
    spec TEXT NOT NULL,
    price TEXT NOT NULL,
    price_time TEXT NOT NULL,
    position TEXT NOT NULL,
    PRIMARY KEY (account, symbol)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS balances (
    account INTEGER NOT NULL,
    asset TEXT NOT NULL,
    free TEXT NOT NULL,
    locked TEXT NOT NULL,
    PRIMARY KEY (account, asset)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS orders (
    account INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    order_id TEXT NOT NULL,
    client_order_id TEXT NOT NULL,
    is_open INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (account, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS orders_by_client_id ON orders (account, client_order_id);
CREATE UNIQUE INDEX IF NOT EXISTS orders_by_id ON orders (account, order_id);
CREATE INDEX IF NOT EXISTS orders_open ON orders (account) WHERE is_open;
CREATE TABLE IF NOT EXISTS fills (
    account INTEGER NOT NULL,
    number INTEGER NOT NULL,
    symbol TEXT NOT NULL,
    time_us INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (account, number)
);
CREATE INDEX IF NOT EXISTS fills_by_time ON fills (account, time_us);
"""


class StoreFailed(Unavailable):
    """The sim store could not write: nothing more is acknowledged until a restart."""


class StoreBusy(RuntimeError):
    """Another process (or another SimStore here) has the database open."""


def is_sqlite_file(path: Path) -> bool:
    """True when `path` holds an SQLite database (an empty file counts: SQLite takes it)."""
    with path.open("rb") as file:
        head = file.read(len(_SQLITE_MAGIC))
    return head in (b"", _SQLITE_MAGIC)


def _micros(moment: datetime) -> int:
    """Microseconds since the epoch (a naive time is taken as UTC), exact."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


# ---- the writer thread ---------------------------------------------------------------


@dataclass(slots=True)
class _Job:
    """One commit: its delta, and how to settle it on its loop once written (or not)."""

    account: int
    delta: Delta
    loop: asyncio.AbstractEventLoop
    settle: Callable[[BaseException | None], None]


@dataclass(slots=True)
class _Setup:
    """A new account's whole state, written like a commit; its caller blocks on `done`."""

    name: str
    snapshot: dict[str, Any]
    done: threading.Event = field(default_factory=threading.Event)
    #: set by the writer: the account's row id, or why it could not be written
    account: int = 0
    error: BaseException | None = None


@dataclass(slots=True)
class _Rows:
    """One account's part of a batch, merged: a later delta's state supersedes an
    earlier one's (orders by id, symbols by name, the ledger, counters, rng), and only
    what is left gets serialized. Fills all go in."""

    orders: dict[str, OrderState] = field(default_factory=dict)
    fills: list[Fill] = field(default_factory=list)
    symbols: dict[str, SymbolState] = field(default_factory=dict)
    ledger: Ledger | None = None
    counters: dict[str, int] | None = None
    rng: tuple[Any, ...] | None = None

    def add(self, delta: Delta) -> None:
        for order in delta.orders:
            self.orders[order.order_id] = order
        self.fills += delta.fills
        for state in delta.symbols:
            self.symbols[state.symbol] = state
        if delta.ledger is not None:
            self.ledger = delta.ledger
        if delta.counters is not None:
            self.counters = delta.counters
        if delta.rng is not None:
            self.rng = delta.rng


_STOP = object()


class _Writer:
    """The thread that owns the writing connection: batches, one transaction, one fsync."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        #: the first write that failed: later batches are refused, never written on top
        self._failure: BaseException | None = None
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sim-store-writer", daemon=True)
        self._thread.start()

    def submit(self, job: _Job | _Setup) -> None:
        self._queue.put(job)

    def stop(self) -> None:
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if _STOP in batch:
                # Nothing is submitted after _STOP: what came before it is the last batch.
                stopping = True
                batch.remove(_STOP)
            if batch:
                self._write(batch)
        self._db.close()

    def _write(self, batch: list[_Job | _Setup]) -> None:
        setups = [job for job in batch if isinstance(job, _Setup)]
        jobs = [job for job in batch if isinstance(job, _Job)]
        rows: dict[int, _Rows] = {}
        for job in jobs:
            if job.delta:
                rows.setdefault(job.account, _Rows()).add(job.delta)
        if self._failure is None and (setups or rows):
            try:
                self._db.execute("BEGIN IMMEDIATE")
                for setup in setups:
                    setup.account = _write_setup(self._db, setup)
                for account, merged in rows.items():
                    _write_rows(self._db, account, merged)
                self._db.execute("COMMIT")
            except Exception as failure:  # every caller hears of it
                log.exception("sim store: a write failed; nothing more is acknowledged")
                self._failure = failure
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
        for setup in setups:
            setup.error = self._failure
            setup.done.set()
        # One wake-up of each loop per batch, settling its commits in order.
        by_loop: dict[asyncio.AbstractEventLoop, list[Callable[[BaseException | None], None]]]
        by_loop = {}
        for job in jobs:
            by_loop.setdefault(job.loop, []).append(job.settle)
        for loop, settles in by_loop.items():
            loop.call_soon_threadsafe(_settle_all, settles, self._failure)


def _settle_all(
    settles: list[Callable[[BaseException | None], None]], error: BaseException | None
) -> None:
    for settle in settles:
        settle(error)


def _write_setup(db: sqlite3.Connection, setup: _Setup) -> int:
    snap = setup.snapshot
    counters = snap["counters"] | {
        "next_order": snap["book"]["next_number"],
        "next_trade": snap["fills"]["next_number"],
    }
    cursor = db.execute(
        "INSERT INTO accounts (name, config, counters, rng) VALUES (?, ?, ?, ?)",
        (setup.name, _dumps(snap["config"]), _dumps(counters), _dumps(snap["rng"])),
    )
    account = cursor.lastrowid
    assert account is not None
    db.executemany(
        "INSERT INTO symbols VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                account,
                raw["symbol"],
                _dumps({k: v for k, v in raw.items() if k != "price_time"}),
                raw["price"],
                raw["price_time"],
                _dumps(snap["positions"][raw["symbol"]]),
            )
            for raw in snap["symbols"]
        ],
    )
    _put_orders(db, account, snap["book"]["orders"])
    _put_fills(db, account, [fill_from_dict(f) for f in snap["fills"]["fills"]])
    _put_balances(db, account, snap["ledger"])
    return account


def _write_rows(db: sqlite3.Connection, account: int, rows: _Rows) -> None:
    if rows.orders:
        _put_orders(db, account, [o.to_dict() for o in rows.orders.values()])
    if rows.fills:
        _put_fills(db, account, rows.fills)
    if rows.symbols:
        db.executemany(
            "UPDATE symbols SET price = ?, price_time = ?, position = ? "
            "WHERE account = ? AND symbol = ?",
            [
                (
                    str(s.price),
                    s.price_time.isoformat(),
                    _dumps(s.position.to_dict()),
                    account,
                    s.symbol,
                )
                for s in rows.symbols.values()
            ],
        )
    if rows.ledger is not None:
        _put_balances(db, account, rows.ledger.to_dict())
    if rows.counters is not None:
        db.execute(
            "UPDATE accounts SET counters = ? WHERE id = ?", (_dumps(rows.counters), account)
        )
    if rows.rng is not None:
        db.execute(
            "UPDATE accounts SET rng = ? WHERE id = ?", (_dumps(rng_to_json(rows.rng)), account)
        )


def _put_orders(db: sqlite3.Connection, account: int, orders: list[dict[str, Any]]) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO orders VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                account,
                o["seq"],
                o["order_id"],
                o["client_order_id"],
                o["status"] in _OPEN_STATUSES,
                _dumps(o),
            )
            for o in orders
        ],
    )


def _put_fills(db: sqlite3.Connection, account: int, fills: list[Fill]) -> None:
    db.executemany(
        "INSERT INTO fills VALUES (?, ?, ?, ?, ?)",
        [
            (account, fill_number(f), f.symbol, _micros(f.time), _dumps(fill_to_dict(f)))
            for f in fills
        ],
    )


def _put_balances(db: sqlite3.Connection, account: int, ledger: dict[str, Any]) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO balances VALUES (?, ?, ?, ?)",
        [(account, asset, v["free"], v["locked"]) for asset, v in ledger.items()],
    )


_OPEN_STATUSES = frozenset(s.value for s in OrderStatus if s.is_open)


# ---- the store -------------------------------------------------------------------------


class SimStore:
    """One SQLite file of simulated markets (see the module docstring for the contract)."""

    def __init__(self, path: Path, lock: int, writer_db: sqlite3.Connection) -> None:
        self.path = path
        self._lock = lock
        self._reader = _connect(path)
        self._writer = _Writer(writer_db)
        self._markets: dict[str, StoredMarket] = {}
        self._failure: BaseException | None = None
        #: commits queued and not yet settled on the loop (their callbacks not yet run)
        self._unsettled = 0
        self._closed = False

    @classmethod
    def open(cls, path: str | Path) -> SimStore:
        """Open (or create) the database at `path`; StoreBusy if it is already open."""
        path = Path(path)
        lock = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock)
            raise StoreBusy(f"{path}: another process has this sim state open") from None
        db: sqlite3.Connection | None = None
        try:
            # Checked before SQLite opens it: closing a second descriptor of the file
            # would drop SQLite's own locks on it.
            if not is_sqlite_file(path):
                raise ValueError("not an SQLite database")
            db = _connect(path)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")  # fsync the log at every commit
            db.executescript(_SCHEMA)
            rows = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchall()
            if not rows:
                db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            elif int(rows[0][0]) != SCHEMA_VERSION:
                raise ValueError(f"unsupported sim store schema {rows[0][0]!r}")
            return cls(path, lock, db)
        except BaseException:
            if db is not None:
                db.close()
            os.close(lock)
            raise

    def market(
        self,
        account: str,
        settings: SimSettings | None = None,
        *,
        clock: Clock = utc_now,
        initial: SimMarket | None = None,
    ) -> StoredMarket:
        """The account's market: restored from the file, else new (written before return).

        A new account starts as `initial` when given (its whole state is written, history
        included), else as `create_market(settings)`.
        """
        if account in self._markets:
            raise ValueError(f"account {account!r}: its market is already open")
        rows = self._reader.execute(
            "SELECT id, config, counters, rng FROM accounts WHERE name = ?", (account,)
        ).fetchall()
        created = not rows
        if created:
            market = initial or create_market(settings or SimSettings(), clock)
            account_id = self._setup(account, market)
        else:
            account_id, market = rows[0][0], self._load(rows[0], clock)
        archive = _Archive(self._reader, account_id)
        market.attach(archive)
        stored = StoredMarket(self, account_id, market, archive, created=created)
        self._markets[account] = stored
        return stored

    def accounts(self) -> list[str]:
        """Names of the accounts in the file."""
        return [r[0] for r in self._reader.execute("SELECT name FROM accounts ORDER BY id")]

    def close(self) -> None:
        """Write what is queued, then close the file; later commits raise StoreFailed.

        Blocks for the last batch's write. The commits it wrote settle (their
        `on_durable`, their awaits) on the loop's next turn.
        """
        if self._closed:
            return
        self._closed = True
        self._writer.stop()
        self._reader.close()
        os.close(self._lock)

    # ---- internals -------------------------------------------------------------------

    def _setup(self, name: str, market: SimMarket) -> int:
        setup = _Setup(name, market.snapshot())
        self._writer.submit(setup)
        setup.done.wait()
        if setup.error is not None:
            raise StoreFailed(
                f"sim store {self.path}: cannot write account {name!r}: {setup.error}"
            )
        return setup.account

    def _load(self, row: tuple[Any, ...], clock: Clock) -> SimMarket:
        account, config, counters, rng = row
        counters = json.loads(counters)
        next_order, next_trade = counters.pop("next_order"), counters.pop("next_trade")
        positions = {}
        symbols = []
        for symbol, spec, price, price_time, position in self._reader.execute(
            "SELECT symbol, spec, price, price_time, position FROM symbols WHERE account = ?",
            (account,),
        ):
            symbols.append(json.loads(spec) | {"price": price, "price_time": price_time})
            positions[symbol] = json.loads(position)
        ledger = {
            asset: {"free": free, "locked": locked}
            for asset, free, locked in self._reader.execute(
                "SELECT asset, free, locked FROM balances WHERE account = ? ORDER BY asset",
                (account,),
            )
        }
        orders = [
            json.loads(data)
            for (data,) in self._reader.execute(
                "SELECT data FROM orders WHERE account = ? AND is_open ORDER BY seq", (account,)
            )
        ]
        snapshot = {
            "version": SNAPSHOT_VERSION,
            "config": json.loads(config),
            "symbols": symbols,
            "ledger": ledger,
            "positions": positions,
            "book": {"next_number": next_order, "orders": orders},
            "fills": {"next_number": next_trade, "fills": []},
            "counters": counters,
            "rng": json.loads(rng),
        }
        return SimMarket.restore(snapshot, clock=clock)

    def _commit(
        self, stored: StoredMarket, on_durable: Callable[[], None] | None
    ) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        delta = stored.market.take_delta()
        if self._failure is not None:
            future.set_exception(StoreFailed(f"sim store {self.path}: {self._failure}"))
            return future
        if self._closed:
            future.set_exception(StoreFailed(f"sim store {self.path} is closed"))
            return future
        if not delta and not self._unsettled:
            # Nothing new and nothing in flight: durable already.
            if on_durable is not None:
                on_durable()
            future.set_result(None)
            return future

        def settle(error: BaseException | None) -> None:
            # On the loop, in commit order: release, tell the caller's side, resolve.
            self._unsettled -= 1
            if error is not None:
                self._failure = error
                future.set_exception(StoreFailed(f"sim store {self.path}: {error}"))
                return
            try:
                stored.archive.archived(delta)
                stored.market.release(delta)
                if on_durable is not None:
                    on_durable()
            finally:
                future.set_result(None)

        self._unsettled += 1
        self._writer.submit(_Job(stored.account_id, delta, loop, settle))
        return future


class StoredMarket:
    """One account's market and its way to disk."""

    def __init__(
        self,
        store: SimStore,
        account_id: int,
        market: SimMarket,
        archive: _Archive,
        *,
        created: bool,
    ) -> None:
        self.store = store
        self.account_id = account_id
        self.market = market
        self.archive = archive
        #: True when the account was new in this file (nothing was restored)
        self.created = created

    def commit(self, on_durable: Callable[[], None] | None = None) -> Awaitable[None]:
        """Make everything the market did so far durable (see the module docstring).

        The changes are taken when this is called (not when the result is awaited), so
        call it right after the market call, and await the result before acknowledging.
        Cancelling the await leaves the write (and `on_durable`) to go ahead.
        """
        return asyncio.shield(self.store._commit(self, on_durable))


class _IdFilter:
    """A Bloom filter of client order ids: "surely not archived" without a query.

    Every new order's id is looked up (a repeated PlaceOrder returns the first order),
    and a read from the loop's thread waits for the GIL behind the writer thread: the
    filter answers most of those at once, in fixed memory (2 MiB; at a million ids one
    lookup in about 60 still goes to the database, which stays the truth).
    """

    BITS = 1 << 24
    _MASK = BITS - 1

    def __init__(self) -> None:
        self._bits = bytearray(self.BITS // 8)

    def add(self, key: str) -> None:
        for bit in self._bits_of(key):
            self._bits[bit >> 3] |= 1 << (bit & 7)

    def __contains__(self, key: str) -> bool:
        return all(self._bits[bit >> 3] & (1 << (bit & 7)) for bit in self._bits_of(key))

    def _bits_of(self, key: str) -> tuple[int, int, int]:
        # Three 24-bit slices of one 64-bit hash (str hashes are salted per process, and
        # the filter is rebuilt at every start, so that is fine).
        h = hash(key) & 0xFFFF_FFFF_FFFF_FFFF
        return h & self._MASK, (h >> 20) & self._MASK, (h >> 40) & self._MASK


class _Archive:
    """The database as the market's archive of closed orders and old fills."""

    def __init__(self, db: sqlite3.Connection, account: int) -> None:
        self._db = db
        self._account = account
        self._ids = _IdFilter()
        for (client_order_id,) in db.execute(
            "SELECT client_order_id FROM orders WHERE account = ? AND NOT is_open", (account,)
        ).fetchall():
            self._ids.add(client_order_id)

    def archived(self, delta: Delta) -> None:
        """The closed orders of `delta` are durable: they may be looked up here now."""
        for order in delta.orders:
            if not order.is_open:
                self._ids.add(order.client_order_id)

    def order(self, client_order_id: str | None, order_id: str | None) -> OrderState | None:
        if client_order_id and client_order_id not in self._ids:
            return None
        if client_order_id:
            query = "SELECT data FROM orders WHERE account = ? AND client_order_id = ?"
            key = client_order_id
        else:
            query = "SELECT data FROM orders WHERE account = ? AND order_id = ?"
            key = order_id or ""
        # fetchall: a statement left half-read would hold its read transaction open,
        # and the reader would go on seeing the database as it was then.
        rows = self._db.execute(query, (self._account, key)).fetchall()
        return OrderState.from_dict(json.loads(rows[0][0])) if rows else None

    def fills(
        self,
        before: int,
        symbol: str | None,
        since: datetime | None,
        prefix: str | None,
        limit: int | None,
    ) -> list[Fill]:
        query = "SELECT data FROM fills WHERE account = ? AND number < ?"
        args: list[Any] = [self._account, before]
        if symbol:
            query += " AND symbol = ?"
            args.append(symbol)
        if since is not None:
            query += " AND time_us >= ?"
            args.append(_micros(since))
        found: list[Fill] = []
        cursor = self._db.execute(query + " ORDER BY number", args)
        try:  # closed at once, for the reason in `order`
            for (data,) in cursor:
                fill = fill_from_dict(json.loads(data))
                if order_ids.matches(prefix, fill.client_order_id):
                    found.append(fill)
                    if limit and len(found) >= limit:
                        break
        finally:
            cursor.close()
        return found


def _connect(path: Path) -> sqlite3.Connection:
    # Autocommit (isolation_level=None): the writer says BEGIN/COMMIT itself, and a read
    # holds no transaction open between statements, so it always sees the last commit.
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA busy_timeout = 5000")
    return db
