"""The durable engine's place path: what one placement costs, and what the loop feels.

A placement is: the decision committed (slot ENTRY_PENDING, SQLite with synchronous=FULL),
PlaceOrder on the instant in-process exchange, the outcome committed. `orders` entries
are placed in one plan through the real `Executor` and `DurableBackend`, while a task
wakes every millisecond and notes how late it woke: its worst lateness is the longest
time the event loop could serve nothing else (streams, HTTP) during the plan.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from gridops.market_maker.actions import Executor
from gridops.market_maker.backend import DurableBackend
from gridops.market_maker.domain.slots import RiskVerdict
from gridops.market_maker.reconcile import reconcile
from gridops.spec import StrategyConfig
from tests.support.fake_exchange import FakeExchange

WAKE_EVERY = 0.001


async def _watch(stop: asyncio.Event, lateness: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(WAKE_EVERY)
        lateness.append(time.perf_counter() - started - WAKE_EVERY)


def _config(orders: int) -> StrategyConfig:
    return StrategyConfig.model_validate(
        {
            "name": "bench-place",
            "symbol": "BTC/USDT",
            "grid": {"priceInterval": "50", "orderQuantity": "0.001", "buyWindow": orders},
            "engine": {"type": "durable"},
        }
    )


async def placing(orders: int) -> tuple[float, float]:
    """(seconds per placement, the loop's longest stall in seconds) for one plan."""
    config = _config(orders)
    exchange = FakeExchange()
    with tempfile.TemporaryDirectory() as tmp:
        backend = DurableBackend(f"sqlite:///{Path(tmp) / 'engine.db'}", config.name, "BTC/USDT")
        try:
            await backend.start(datetime.now(UTC))
            book = (await reconcile(exchange, backend, config, None)).book
            actions = book.plan(Decimal(50_000), RiskVerdict(), paused=False)
            executor = Executor(exchange, backend, config)
            stop = asyncio.Event()
            lateness: list[float] = []
            watcher = asyncio.create_task(_watch(stop, lateness))
            started = time.perf_counter()
            done = await executor.execute(book, actions)
            elapsed = time.perf_counter() - started
            stop.set()
            await watcher
        finally:
            await backend.close()
    assert done.placed == orders == exchange.placed, (done, orders, exchange.placed)
    return elapsed / orders, max(lateness, default=elapsed)


async def run(orders: int = 100, repeats: int = 5) -> tuple[dict[str, float], list[float]]:
    await placing(min(orders, 5))  # warm-up: SQLAlchemy's statement caches, the thread
    runs = [await placing(orders) for _ in range(repeats)]
    details = {
        "orders": orders,
        "repeats": repeats,
        "per_order_median_s": statistics.median(p for p, _ in runs),
        "per_order_max_s": max(p for p, _ in runs),
        "loop_stall_median_s": statistics.median(s for _, s in runs),
    }
    return details, [p for p, _ in runs]
