"""A bounded soak (`--soak SECONDS`): the load case plus churn, tracked over time.

15 account-stream clients as in the load case (100 updates/s), one of them restarted
(disconnect, reconnect) every 2 s as deployments would, and a unary GetAccount every
100 ms. Every window (1/30 of the run, at least 2 s) records server RSS and task count,
delivery latency p50/p99 and errors (failed calls, stream disconnects). A leak shows as
a trend in RSS or tasks, a slowdown as a trend in latency.
"""

from __future__ import annotations

import asyncio
import random
import time

from gridops import errors
from gridops.client import ConnectorClient, Disconnected, SimulatorClient, Update

from .load import BASE, _index
from .report import Result
from .spawn import ServerProcess
from .stats import percentile


class _Window:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0
        self.operations = 0


class _Soak:
    def __init__(self, address: str) -> None:
        self.address = address
        self.sent: dict[int, float] = {}
        self.window = _Window()
        self.restarts = 0

    async def client(self, stop: asyncio.Event, restart: asyncio.Event) -> None:
        """One client; reconnects (a new channel) whenever `restart` is set."""
        while not stop.is_set():
            client = await ConnectorClient.connect(self.address)
            try:
                reader = asyncio.create_task(self._read(client))
                await restart.wait()
                restart.clear()
                reader.cancel()
                await asyncio.gather(reader, return_exceptions=True)
            finally:
                await client.close()
            self.restarts += 1

    async def _read(self, client: ConnectorClient) -> None:
        async for item in client.subscribe_account():
            if isinstance(item, Disconnected):
                self.window.errors += 1
            elif isinstance(item, Update) and item.sequence > 1:
                index = _index(item.value)
                sent = self.sent.get(index) if index is not None else None
                if sent is not None:
                    self.window.latencies.append(time.perf_counter() - sent)

    async def drive(self, stop: asyncio.Event, rate: float) -> None:
        sim = SimulatorClient(self.address)
        started = time.perf_counter()
        k = 0
        try:
            while not stop.is_set():
                delay = started + k / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                self.sent[k] = time.perf_counter()
                self.window.operations += 1
                try:
                    await sim.set_balances({"USDT": BASE + k})
                except errors.GridopsError:
                    self.window.errors += 1
                k += 1
        finally:
            await sim.close()

    async def unary(self, stop: asyncio.Event) -> None:
        client = await ConnectorClient.connect(self.address)
        try:
            while not stop.is_set():
                self.window.operations += 1
                try:
                    await client.get_account(timeout=2)
                except errors.GridopsError:
                    self.window.errors += 1
                await asyncio.sleep(0.1)
        finally:
            await client.close()


async def run(seconds: float, clients: int = 15, rate: float = 100.0) -> Result:
    result = Result("soak")
    window_s = max(2.0, seconds / 30)
    series: list[dict[str, float]] = []
    rng = random.Random(3)
    with ServerProcess("connector") as server:
        soak = _Soak(server.address)
        stop = asyncio.Event()
        restarts = [asyncio.Event() for _ in range(clients)]
        tasks = [asyncio.create_task(soak.client(stop, r)) for r in restarts]
        tasks += [
            asyncio.create_task(soak.drive(stop, rate)),
            asyncio.create_task(soak.unary(stop)),
        ]
        started = time.perf_counter()
        next_restart = started + 2.0
        next_window = started + window_s
        while (now := time.perf_counter()) < started + seconds:
            if now >= next_restart:
                rng.choice(restarts).set()
                next_restart += 2.0
            if now >= next_window:
                window, soak.window = soak.window, _Window()
                stats = await server.acontrol({"cmd": "stats", "gc": False})
                lat = [x * 1000 for x in window.latencies]
                series.append(
                    {
                        "t_s": now - started,
                        "rss_mb": stats["rss_kb"] / 1024,
                        "tasks": stats["tasks"],
                        "subscribers": stats["subscribers"],
                        "p50_ms": percentile(lat, 50),
                        "p99_ms": percentile(lat, 99),
                        "deliveries": len(lat),
                        "errors": window.errors,
                        "operations": window.operations,
                    }
                )
                next_window += window_s
            await asyncio.sleep(0.05)
        stop.set()
        for event in restarts:
            event.set()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)
    ops = sum(w["operations"] for w in series)
    errs = sum(w["errors"] for w in series)
    result.params = {
        "seconds": seconds,
        "window_seconds": window_s,
        "clients": clients,
        "updates_per_second": rate,
        "restarts": "one random client every 2 s",
        "unary": "GetAccount every 100 ms",
        "server": "bench.server --mode connector (ConnectorServer, own process)",
    }
    result.details = {"client_restarts": soak.restarts}
    result.samples = {"series": series}
    if len(series) >= 2:
        first, last = series[0], series[-1]
        result.add("RSS growth (first to last window)", last["rss_mb"] - first["rss_mb"], "MB")
        result.add("tasks first window", first["tasks"], "tasks")
        result.add("tasks last window", last["tasks"], "tasks")
        result.add("p99 first window", first["p99_ms"], "ms")
        result.add("p99 last window", last["p99_ms"], "ms")
    result.add("error rate", errs / ops * 100 if ops else 0.0, "%", 0.01)
    result.add("client restarts", soak.restarts, "restarts")
    return result
