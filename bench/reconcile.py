"""Reconcile on start with 100 and 1,000 open orders, for both engines.

A real connector (ConnectorServer, sim exchange) runs in this process, holding the
strategy's open orders, placed with the engine's own client order ids. Then, timed:
- simple: `reconcile()` of a fresh engine: GetSymbolInfo, GetOpenOrders, GetFills over
  gRPC and `rebuild` from them;
- durable: open the SqlStore (SQLite file, migrations checked), then `reconcile()`:
  load + `GridBook.restore`, the same three calls, each order acknowledged against its
  stored slot, and every slot saved in one transaction. The store was filled by a first
  reconcile of the same orders (an engine that had placed them and restarted).

The connector shares this process and loop: that is fine here, the engine waits for
each answer anyway, and what is timed is the engine's start, not the connector's.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from gridops.client import ConnectorClient
from gridops.connector.server import ConnectorServer
from gridops.connector.settings import ConnectorSettings
from gridops.connector.sim.adapter import SimAdapter
from gridops.market_maker.backend import Backend, DurableBackend, MemoryBackend
from gridops.market_maker.domain.book import GridBook
from gridops.market_maker.domain.ids import client_order_id, strategy_prefix
from gridops.market_maker.domain.slots import Direction
from gridops.market_maker.reconcile import reconcile
from gridops.models import OrderRequest, OrderType, Side
from gridops.simexchange.settings import SimSettings
from gridops.spec import StrategyConfig

from .report import Result
from .ticks import strategy

NAME = "bench-recon"
INTERVAL = Decimal(10)


@asynccontextmanager
async def connector() -> AsyncIterator[ConnectorServer]:
    sim = SimSettings(tick_interval=0, balances={"USDT": Decimal(10_000_000)})
    settings = ConnectorSettings(host="127.0.0.1", port=0, metrics_port=None, grace_seconds=0.5)
    server = ConnectorServer(SimAdapter(sim), settings)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def place_grid(client: ConnectorClient, count: int) -> None:
    """`count` resting buys at grid levels below 50,000, ids as the engine makes them."""
    prefix = strategy_prefix(NAME)
    top = int(Decimal(49_990) / INTERVAL)
    for i in range(count):
        level = top - i
        await client.place_order(
            OrderRequest(
                client_order_id=client_order_id(prefix, level, Direction.LONG, 1),
                symbol="BTC/USDT",
                side=Side.BUY,
                price=INTERVAL * level,
                quantity=Decimal("0.001"),
                type=OrderType.LIMIT_MAKER,
            )
        )


def _config() -> StrategyConfig:
    return strategy(NAME).model_copy(
        update={"grid": strategy(NAME).grid.model_copy(update={"price_interval": INTERVAL})}
    )


async def _reconcile(client: ConnectorClient, backend: Backend) -> GridBook:
    """What a starting engine does: reconcile with no book of its own yet."""
    return (await reconcile(client, backend, _config(), None)).book


async def _simple(client: ConnectorClient) -> tuple[float, int]:
    started = time.perf_counter()
    book = await _reconcile(client, MemoryBackend())
    return time.perf_counter() - started, book.totals(Decimal(50_000)).open_orders


async def _durable(client: ConnectorClient, url: str) -> tuple[float, float, int]:
    started = time.perf_counter()
    backend = DurableBackend(url, NAME, "BTC/USDT")
    opened = time.perf_counter()
    try:
        book = await _reconcile(client, backend)
    finally:
        await backend.close()
    done = time.perf_counter()
    return done - started, opened - started, book.totals(Decimal(50_000)).open_orders


async def case(count: int, repeats: int) -> dict[str, float]:
    async with connector() as server:
        client = await ConnectorClient.connect(server.address)
        try:
            await place_grid(client, count)
            simple = [await _simple(client) for _ in range(repeats)]
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite:///{Path(tmp) / 'engine.db'}"
                first = DurableBackend(url, NAME, "BTC/USDT")
                await first.start(datetime.now(UTC))
                await _reconcile(client, first)  # the engine that placed them
                await first.close()
                durable = [await _durable(client, url) for _ in range(repeats)]
        finally:
            await client.close()
    for _, adopted in simple:
        assert adopted == count, f"simple adopted {adopted} of {count} orders"
    for _, _, adopted in durable:
        assert adopted == count, f"durable adopted {adopted} of {count} orders"
    return {
        "open_orders": count,
        "simple_median_s": statistics.median(s for s, _ in simple),
        "simple_max_s": max(s for s, _ in simple),
        "durable_median_s": statistics.median(d for d, _, _ in durable),
        "durable_max_s": max(d for d, _, _ in durable),
        "durable_store_open_median_s": statistics.median(o for _, o, _ in durable),
    }


async def run(sizes: tuple[int, ...] = (100, 1_000), repeats: int = 5) -> Result:
    result = Result("reconcile")
    cases = [await case(n, repeats) for n in sizes]
    result.params = {
        "open_orders": list(sizes),
        "repeats": repeats,
        "connector": "ConnectorServer + sim in this process, over loopback gRPC",
        "durable_store": "SqlStore on a SQLite file (tempdir)",
        "timed": "simple: reconcile() (3 RPCs + rebuild); durable: SqlStore open + "
        "reconcile() (load, restore, 3 RPCs, acknowledge, save all slots)",
    }
    result.details = {"cases": cases}
    for c in cases:
        n = int(c["open_orders"])
        target = 1.0 if n == 1_000 else None
        result.add(f"simple, {n} orders (median)", c["simple_median_s"], "s", target)
        result.add(f"durable, {n} orders (median)", c["durable_median_s"], "s", target)
        result.add(f"durable, {n} orders (max)", c["durable_max_s"], "s")
        result.add(f"durable store open, {n}", c["durable_store_open_median_s"], "s")
    return result
