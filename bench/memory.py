"""Connector memory and tasks under client churn: the grpc.aio leak class of bugs
(streams whose handlers never finish, calls kept alive by a cancelled client).

Clients connect, subscribe to account, price and order streams, read a little, and go
away, over and over, while the exchange publishes; half close their channel, half
cancel the stream first. RSS (from /proc) and the asyncio task count (from inside the
server, after a gc) are taken after a warm-up of the same churn, and again after the
measured run once every client is gone.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from gridops.client import ConnectorClient, SimulatorClient

from .report import Result
from .spawn import ServerProcess


async def _read(stream: AsyncIterator[object]) -> int:
    count = 0
    async for _ in stream:
        count += 1
    return count


async def _one_client(address: str, rng: random.Random) -> int:
    client = await ConnectorClient.connect(address)
    streams = [client.subscribe_account(), client.subscribe_prices(), client.subscribe_orders()]
    tasks = [asyncio.create_task(_read(s)) for s in streams]
    await client.get_account()
    await asyncio.sleep(rng.uniform(0.05, 0.4))
    if rng.random() < 0.5:
        # Abrupt: the channel goes away under open streams (a killed client).
        await client.close()
        for task in tasks:
            task.cancel()
    else:
        # Polite: each stream is cancelled, then the channel closed.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await client.close()
    await asyncio.gather(*tasks, return_exceptions=True)
    return len(streams)


async def churn(address: str, seconds: float, parallel: int, seed: int) -> int:
    """Clients coming and going for `seconds`, `parallel` at a time; streams opened."""
    rng = random.Random(seed)
    deadline = time.perf_counter() + seconds
    opened = 0

    async def worker() -> None:
        nonlocal opened
        while time.perf_counter() < deadline:
            opened += await _one_client(address, rng)

    await asyncio.gather(*(worker() for _ in range(parallel)))
    return opened


async def publish(address: str, stop: asyncio.Event, rate: float) -> int:
    """Account and price events at `rate` per second until `stop`."""
    sim = SimulatorClient(address)
    sent = 0
    try:
        while not stop.is_set():
            await sim.set_balances({"USDT": Decimal(100_000 + sent)})
            await sim.set_price("BTC/USDT", Decimal(50_000) + Decimal(sent % 100))
            sent += 2
            await asyncio.sleep(2 / rate)
    finally:
        await sim.close()
    return sent


def _handler_tasks(stats: dict[str, Any]) -> int:
    """Tasks other than grpc.aio's own request waiters, whose number varies by itself
    (one per registered method waiting for a call, more or fewer at any instant)."""
    kinds: dict[str, int] = stats["task_kinds"]
    return sum(n for name, n in kinds.items() if not name.startswith("AioServer._request"))


async def run(duration: float = 60.0, warmup: float = 10.0, parallel: int = 10) -> Result:
    result = Result("memory")
    rss_series: list[tuple[float, int]] = []
    with ServerProcess("connector") as server:
        # Warm-up: the same churn and events, so allocator arenas and gRPC's pools have
        # grown before the baseline. Both samples are taken with nothing in flight.
        stop = asyncio.Event()
        publisher = asyncio.create_task(publish(server.address, stop, rate=100))
        await churn(server.address, warmup, parallel, seed=1)
        stop.set()
        await publisher
        await asyncio.sleep(1.0)
        before = await server.acontrol({"cmd": "stats"})
        stop = asyncio.Event()
        publisher = asyncio.create_task(publish(server.address, stop, rate=100))
        started = time.perf_counter()

        async def sample() -> None:
            while True:
                rss_series.append((time.perf_counter() - started, server.rss_kb()))
                await asyncio.sleep(1.0)

        sampler = asyncio.create_task(sample())
        opened = await churn(server.address, duration, parallel, seed=2)
        stop.set()
        events = await publisher
        sampler.cancel()
        # Give the server a moment to see every disconnect before we count.
        await asyncio.sleep(2.0)
        after = await server.acontrol({"cmd": "stats"})
    growth_mb = (after["rss_kb"] - before["rss_kb"]) / 1024
    peak_mb = (max(r for _, r in rss_series) - before["rss_kb"]) / 1024 if rss_series else 0.0
    result.params = {
        "duration_seconds": duration,
        "warmup_seconds": warmup,
        "parallel_clients": parallel,
        "client": "ConnectorClient: account + prices + orders streams and a GetAccount, "
        "0.05-0.4 s each, then half close the channel abruptly, half cancel first",
        "events": "SetBalances + SetPrice, 100 events/s in total",
        "server": "bench.server --mode connector (ConnectorServer, own process)",
    }
    result.details = {
        "before": before,
        "after": after,
        "streams_opened": opened,
        "events_published": events,
    }
    result.samples = {
        "rss_seconds": [t for t, _ in rss_series],
        "rss_kb": [r for _, r in rss_series],
    }
    result.add("RSS growth", growth_mb, "MB", 5.0)
    result.add("RSS peak above start", peak_mb, "MB")
    result.add("tasks before", before["tasks"], "tasks")
    result.add("tasks after", after["tasks"], "tasks")
    result.add("tasks left behind", _handler_tasks(after) - _handler_tasks(before), "tasks", 0)
    result.add("subscribers after", after["subscribers"], "streams", 0)
    result.add("streams opened", opened, "streams")
    return result
