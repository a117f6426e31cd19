"""The sim exchange's state file under a long run of fills: does throughput hold up?

The product command with `--sim-state FILE` (the demo's connector) in its own process;
`workers` clients each loop PlaceOrder (a resting LIMIT_MAKER, alternately a buy below
and a sell above the market) then Simulator.FillOrder, while one SubscribeOrders stream
counts the fills it is sent (a subscriber, as the demo's market maker and live server
are). Fills/s is taken over every window of `window` fills: the first window against the
last, after `fills` in all. The connector's RSS is read at the start and at the end.

The state it keeps (SQLite, every change durable before it is acknowledged) must cost
the same per change at the end as at the start: the JSON snapshot it replaced rewrote
the whole history at each change and fell from 603 to 86 fills per 30 s in 10 minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from gridops.client import ConnectorClient, SimulatorClient
from gridops.client.streams import Update
from gridops.models import OrderRequest, OrderType, Side

from .report import Result
from .spawn import ServerProcess

SYMBOL = "BTC/USDT"


class _Streamed:
    """Fills one subscriber was sent; `wait` for a count (or a timeout)."""

    def __init__(self) -> None:
        self.count = 0
        self.subscribed = asyncio.Event()
        self._target = math.inf
        self._reached = asyncio.Event()

    async def follow(self, client: ConnectorClient) -> None:
        async for item in client.subscribe_orders(SYMBOL):
            self.subscribed.set()
            if isinstance(item, Update) and item.value.fill is not None:
                self.count += 1
                if self.count >= self._target:
                    self._reached.set()

    async def wait(self, target: int, timeout: float) -> None:
        self._target = target
        if self.count < target:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._reached.wait(), timeout)


async def run(fills: int = 100_000, window: int = 1_000, workers: int = 16) -> Result:
    result = Result("simstate")
    with tempfile.TemporaryDirectory(prefix="bench-simstate-") as tmp:
        state = Path(tmp) / "exchange.db"
        with ServerProcess("cli", ["--sim-state", str(state)]) as connector:
            client = await ConnectorClient.connect(connector.address)
            sim = SimulatorClient(connector.address)
            watcher = await ConnectorClient.connect(connector.address)
            price = (await client.get_ticker(SYMBOL)).price
            await sim.set_balances({"USDT": Decimal("1000000000"), "BTC": Decimal("1000")})
            streamed = _Streamed()
            stream = asyncio.create_task(streamed.follow(watcher))
            await asyncio.wait_for(streamed.subscribed.wait(), 30)
            rss_start = connector.rss_kb()
            cpu_start = connector.cpu_seconds()
            stamps: list[float] = []
            #: the connector's RSS (kB) and CPU seconds each time another `window` fills
            #: are done
            rss: list[int] = []
            cpu_marks: list[float] = [cpu_start]
            next_id = iter(range(1, 10**9))
            step = Decimal("100")

            async def worker() -> None:
                while len(stamps) < fills:
                    n = next(next_id)
                    buy = n % 2 == 1
                    request = OrderRequest(
                        client_order_id=f"bench-{n}",
                        symbol=SYMBOL,
                        side=Side.BUY if buy else Side.SELL,
                        price=price - step if buy else price + step,
                        quantity=Decimal("0.001"),
                        type=OrderType.LIMIT_MAKER,
                    )
                    await client.place_order(request)
                    await sim.fill_order(request.client_order_id)
                    stamps.append(time.perf_counter())
                    if len(stamps) % window == 0:
                        rss.append(connector.rss_kb())
                        cpu_marks.append(connector.cpu_seconds())

            began = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(workers)))
            elapsed = time.perf_counter() - began
            cpu = connector.cpu_seconds() - cpu_start
            rss_end = connector.rss_kb()
            await streamed.wait(len(stamps), timeout=30)
            stream.cancel()
            await asyncio.gather(stream, return_exceptions=True)
            stats = await sim.get_stats()
            for c in (client, watcher, sim):
                await c.close()
            db_bytes = await asyncio.to_thread(_size, Path(tmp))

    done = len(stamps)  # the workers overshoot `fills` by up to one each
    # Fills/s over each window of `window` fills (stamps are completion times).
    stamps = stamps[:fills]
    edges = [began, *stamps[window - 1 :: window]]
    rates = [window / (b - a) for a, b in itertools.pairwise(edges)]
    first, last = rates[0], rates[-1]
    # A busy machine moves single windows by tens of percent: the mean of the first and
    # the last tenth of the run says more about a trend than two windows do.
    tenth = max(1, len(rates) // 10)
    first_tenth, last_tenth = statistics.fmean(rates[:tenth]), statistics.fmean(rates[-tenth:])
    # The server's CPU per fill is what a change costs, whatever else the machine runs.
    cpu_us = [(b - a) / window * 1e6 for a, b in itertools.pairwise(cpu_marks)][: len(rates)]
    cpu_first, cpu_last = statistics.fmean(cpu_us[:tenth]), statistics.fmean(cpu_us[-tenth:])
    result.params = {
        "fills": fills,
        "window": window,
        "workers": workers,
        "server": "python -m gridops connector --exchange sim --sim-state FILE "
        "(own process, SQLite in a temporary directory)",
        "client": "per worker: PlaceOrder (LIMIT_MAKER) then Simulator.FillOrder; "
        "one SubscribeOrders stream counting fills",
    }
    result.details = {
        "elapsed_s": elapsed,
        "server_cpu_s": cpu,
        "fills_streamed": streamed.count,
        "fills_counted_by_the_exchange": stats.fills,
        "state_bytes": db_bytes,
    }
    result.samples = {
        "fills_per_s_by_window": rates,
        "server_cpu_us_per_fill_by_window": cpu_us,
        "rss_kb_by_window": rss,
    }
    result.add(f"fills/s, first {window:,}", first, "/s")
    result.add(f"fills/s, last {window:,} (after {len(stamps):,})", last, "/s")
    result.add("last window over first", last / first, "x", 0.9, ">=")
    result.add(f"fills/s, mean of the first {tenth} windows", first_tenth, "/s")
    result.add(f"fills/s, mean of the last {tenth} windows", last_tenth, "/s")
    result.add("last tenth over first", last_tenth / first_tenth, "x", 0.9, ">=")
    result.add("fills/s over the run", done / elapsed, "/s")
    result.add("server CPU per fill (place + fill)", cpu / done * 1e6, "us")
    result.add(f"server CPU per fill, first {tenth} windows", cpu_first, "us")
    result.add(f"server CPU per fill, last {tenth} windows", cpu_last, "us")
    result.add("server CPU per fill, last tenth over first", cpu_last / cpu_first, "x", 1.1)
    result.add("connector RSS at start", rss_start / 1024, "MB")
    result.add(f"connector RSS after {window * tenth:,} fills", rss[tenth - 1] / 1024, "MB")
    result.add("connector RSS at end", rss_end / 1024, "MB")
    result.add("fills not streamed to the subscriber", done - streamed.count, "", 0)
    return result


def _size(directory: Path) -> int:
    """Bytes of the state file with its -wal and -shm."""
    return sum(p.stat().st_size for p in directory.glob("exchange.db*"))
