"""The ccxt back end beside the in-process sim: PlaceOrder latency and order-stream
throughput through `gridops connector --exchange binance` trading `gridops venue`.

Both connectors run as the product command in their own process, on loopback; the venue
is a third process. Under ccxt a PlaceOrder is a look-up of the client id (GET
/api/v3/order) and the order (POST /api/v3/order), each a signed HTTP request, and its
event comes back over the venue's WebSocket API: the figures show what a real venue's
round trips cost before any network is involved.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from gridops.client import ConnectorClient, Update
from gridops.models import OrderRequest, OrderType, Side

from .report import Result
from .stats import latency_summary

VENUE_READY = re.compile(
    r"REST and WebSockets on http://[^ ]*:(\d+), Simulator gRPC on [^ ]*:(\d+)"
)
CONNECTOR_READY = re.compile(r"serving on [^ ]*:(\d+), session")
KEY, SECRET = "bench-key", "bench-secret"


class _Process:
    """`python -m gridops <args>`, ready once a stderr line matches `ready`."""

    def __init__(self, args: Sequence[str], ready: re.Pattern[str]) -> None:
        self.args = list(args)
        self.ready = ready
        self.lines: list[str] = []
        self.proc: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 60.0) -> re.Match[str]:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gridops", *self.args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                match = self.ready.search(line)
                if match:
                    return match
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"gridops {self.args[0]} did not start:\n{''.join(self.lines)}")

    def _read(self) -> None:
        assert self.proc is not None
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def _order(cid: str) -> OrderRequest:
    return OrderRequest(cid, "BTC/USDT", Side.BUY, Decimal("40000"), Decimal("0.001"),
                        OrderType.LIMIT_MAKER)  # fmt: skip


async def _measure(
    address: str, tag: str, samples: int, burst: int, pause: float
) -> dict[str, object]:
    client = await ConnectorClient.connect(address, timeout=30)
    try:
        latencies: list[float] = []
        for i in range(samples):
            started = time.perf_counter()
            await client.place_order(_order(f"{tag}-{i}-B-1"))
            latencies.append(time.perf_counter() - started)
        await client.cancel_all_orders("BTC/USDT", tag)
        # Untimed: let the venue's new-order count (100 per 10 s) empty before the burst.
        await asyncio.sleep(pause)

        # Throughput: `burst` orders placed 8 at a time while one subscriber counts
        # their events; from the first request to the last event.
        stream = client.subscribe_orders("BTC/USDT", f"{tag}s")
        assert not isinstance(await anext(stream), Update)  # Subscribed
        seen = 0
        done = asyncio.Event()

        async def count() -> None:
            nonlocal seen
            async for item in stream:
                if isinstance(item, Update):
                    seen += 1
                    if seen >= burst:
                        done.set()
                        return

        counter = asyncio.create_task(count())
        limit = asyncio.Semaphore(8)

        async def place(i: int) -> None:
            async with limit:
                await client.place_order(_order(f"{tag}s-{i}-B-1"))

        started = time.perf_counter()
        await asyncio.gather(*(place(i) for i in range(burst)))
        await asyncio.wait_for(done.wait(), timeout=120)
        elapsed = time.perf_counter() - started
        await counter
        await client.cancel_all_orders("BTC/USDT", f"{tag}s")
        return {
            "place_order": latency_summary(latencies),
            "latencies": latencies,
            "events_per_s": burst / elapsed,
        }
    finally:
        await client.close()


async def run(samples: int = 90, burst: int = 200, pause: float = 10.0) -> Result:
    """`samples` stays under Binance's 100 new orders per 10 s, so the latency is the
    request's; the burst goes past it, so the throughput is the paced one."""
    result = Result("venue")
    with tempfile.TemporaryDirectory(prefix="gridops-bench-venue-") as tmp:
        directory = Path(tmp)
        (directory / "keys.yaml").write_text(f"{KEY}: {SECRET}\n")
        (directory / "credentials.yaml").write_text(f"apiKey: {KEY}\nsecret: {SECRET}\n")
        venue = _Process(
            ["venue", "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0",
             "--keys", str(directory / "keys.yaml"), "--state", str(directory / "venue.db"),
             "--weight-limit", "1000000"],
            VENUE_READY,
        )  # fmt: skip
        sim = _Process(
            ["connector", "--exchange", "sim", "--sim-tick-seconds", "0", "--no-metrics",
             "--host", "127.0.0.1", "--port", "0"],
            CONNECTOR_READY,
        )  # fmt: skip
        ccxt_connector: _Process | None = None
        try:
            rest_port = venue.start().group(1)
            ccxt_connector = _Process(
                ["connector", "--exchange", "binance", "--no-metrics", "--host", "127.0.0.1",
                 "--port", "0", "--api-url", f"http://127.0.0.1:{rest_port}",
                 "--ws-url", f"ws://127.0.0.1:{rest_port}",
                 "--credentials-file", str(directory / "credentials.yaml")],
                CONNECTOR_READY,
            )  # fmt: skip
            ccxt_port = ccxt_connector.start().group(1)
            sim_port = sim.start().group(1)
            figures = {
                "sim": await _measure(f"127.0.0.1:{sim_port}", "bsim", samples, burst, pause),
                "ccxt": await _measure(f"127.0.0.1:{ccxt_port}", "bccxt", samples, burst, pause),
            }
        finally:
            for process in (ccxt_connector, sim, venue):
                if process is not None:
                    process.stop()
    result.params = {
        "place_order_samples": samples,
        "stream_burst": burst,
        "pause_between_s": pause,
        "servers": "gridops connector --exchange sim; gridops connector --exchange binance "
        "--api-url/--ws-url on gridops venue (three processes, loopback)",
        "order": "LIMIT_MAKER BUY 0.001 BTC/USDT at 40000, one in flight (latency); "
        "8 in flight (burst)",
    }
    for name, data in figures.items():
        summary = data["place_order"]
        assert isinstance(summary, dict)
        result.details[name] = {"place_order": summary, "events_per_s": data["events_per_s"]}
        result.samples[f"{name}_place_order_s"] = data["latencies"]
        result.add(f"{name}: PlaceOrder p50", summary["p50_ms"], "ms")
        result.add(f"{name}: PlaceOrder p99", summary["p99_ms"], "ms")
        events = data["events_per_s"]
        assert isinstance(events, float)
        result.add(f"{name}: order events/s (burst)", events, "/s")
    return result
