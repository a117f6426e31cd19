"""The server side of the benchmarks, run as its own process (`python -m bench.server`).

Modes:
- `connector`: the real ConnectorServer (what `gridops connector --exchange sim` runs)
  with the sim exchange and no price walk, plus a line-based control channel on
  stdin/stdout for what only the server process can see or do: its RSS and task count
  (`stats`) and publishing order events into the fan-out hub as fast as the
  subscribers take them (`prepare`, untimed, then `blast`). The control channel is idle
  while anything is timed.
- `echo`: a bare grpc.aio server with one generic unary handler returning a fixed
  payload: the floor our unary calls are compared against.

The first stdout line is `BENCH-PORT <port>`; every control reply is one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib
import importlib.util
import json
import logging
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc

from gridops.connector.events import to_broadcast
from gridops.connector.fanout import Broadcast, Hub, Subscriber, Topic
from gridops.connector.server import ConnectorServer
from gridops.connector.settings import ConnectorSettings
from gridops.connector.sim.adapter import SimAdapter
from gridops.models import Order, OrderEvent, OrderStatus, OrderType, Side
from gridops.simexchange.settings import SimSettings

ECHO_METHOD = "/bench.Echo/Call"
ECHO_STREAM_METHOD = "/bench.Echo/Stream"
# Grid-shaped ids (`<prefix>-<level>-<B|S>-<n>`): a prefix filter matches only those.
BLAST_PREFIX = "blast"
END_ORDER_ID = "blast-0-S-1"
BLAST_SYMBOL = "BTC/USDT"
#: distinct order events `prepare` serializes; longer blasts repeat them
PREPARED_POOL = 1024


def _order_template() -> Order:
    now = datetime.now(UTC)
    return Order(
        order_id="0",
        client_order_id=BLAST_PREFIX,
        symbol=BLAST_SYMBOL,
        side=Side.BUY,
        type=OrderType.LIMIT,
        price=Decimal("49000.00"),
        quantity=Decimal("0.001"),
        filled_quantity=Decimal(0),
        average_fill_price=Decimal(0),
        status=OrderStatus.NEW,
        created_at=now,
        updated_at=now,
    )


def rss_kb(pid: int | str = "self") -> int:
    """Resident set size from /proc (kB): what the OS charges the process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _subscribers(hub: Hub, topic: Topic) -> list[Subscriber]:
    # Hub exposes only counts; the blast needs each backlog for its flow control.
    # Reading the private map is fine for a benchmark driver, not for product code.
    subscribers: dict[Topic, set[Subscriber]] = hub._subscribers
    return list(subscribers[topic])


def _task_kinds() -> dict[str, int]:
    """Tasks by coroutine name: a leak names itself."""
    kinds: dict[str, int] = {}
    for task in asyncio.all_tasks():
        name = getattr(task.get_coro(), "__qualname__", "?")
        kinds[name] = kinds.get(name, 0) + 1
    return dict(sorted(kinds.items()))


def _backlog(hub: Hub) -> int:
    return max((s.backlog for s in _subscribers(hub, Topic.ORDERS)), default=0)


class Control:
    """Commands from the benchmark process, one JSON object per line."""

    def __init__(self, server: ConnectorServer, adapter: SimAdapter) -> None:
        self.server = server
        self.adapter = adapter
        self.prepared: list[Broadcast] = []

    def stats(self, collect: bool = True) -> dict[str, Any]:
        # A full collection first, so RSS and object counts are not hiding garbage; a
        # soak sampling under load may skip it (it would stall the loop a few ms).
        if collect:
            gc.collect()
        hub = self.server.hub
        return {
            "rss_kb": rss_kb(),
            "tasks": len(asyncio.all_tasks()),
            "task_kinds": _task_kinds(),
            "subscribers": hub.count(),
            "coalesced": sum(hub.coalesced.values()),
            "overflows": sum(hub.overflows.values()),
            "gc_objects": len(gc.get_objects()),
        }

    def prepare(self, count: int) -> dict[str, Any]:
        """Serialize `count` order events, the last one for `END_ORDER_ID`, for `blast`.

        Each is serialized once as the upstream loop does (`to_broadcast`). Done before
        the timed part: it costs ~20 µs per event whatever the number of subscribers,
        which would make a one-subscriber run measure the serializer, not the fan-out.
        Events repeat after `PREPARED_POOL` distinct ones: a batched run publishes
        hundreds of thousands, and subscribers check sequences, not order ids.
        """
        template = _order_template()
        session = self.server.session_id
        started = time.perf_counter()

        def event(i: int, client_order_id: str) -> Broadcast:
            order = replace(template, client_order_id=client_order_id, order_id=str(i))
            return to_broadcast(OrderEvent(order), session)

        pool = [event(i, f"{BLAST_PREFIX}-{i}-B-1") for i in range(min(count - 1, PREPARED_POOL))]
        self.prepared = [pool[i % len(pool)] for i in range(count - 1)] if pool else []
        self.prepared.append(event(count - 1, END_ORDER_ID))
        return {"prepared": count, "prepare_seconds": time.perf_counter() - started}

    async def blast(self, max_backlog: int) -> dict[str, Any]:
        """Publish the prepared order events into the hub (`Hub.publish`).

        From there on it is the product's fan-out path. The order stream is strict
        (never coalesced), so every subscriber must get every event; the publisher
        waits while any subscriber has more than `max_backlog` pending, so we measure
        what the fan-out delivers, not how fast it overflows. `busy_seconds` is the
        publisher's own time (publish calls, without its waits): if it came near the
        run's length, the publisher would be what limits the rate.
        """
        hub = self.server.hub
        items, self.prepared = self.prepared, []
        busy = 0.0
        started = mark = time.perf_counter()
        for i, item in enumerate(items):
            hub.publish(item)
            if i % 32 == 31:
                busy += time.perf_counter() - mark
                # Let the stream handlers run between batches.
                await asyncio.sleep(0)
                # Polled: the hub has no "drained" event to wait on, and a benchmark
                # driver should not add one to product code.
                while _backlog(hub) > max_backlog:  # noqa: ASYNC110
                    await asyncio.sleep(0.0002)
                mark = time.perf_counter()
        ended = time.perf_counter()
        return {
            "published": len(items),
            "publish_seconds": ended - started,
            "busy_seconds": busy + ended - mark,
            "overflows": hub.overflows[Topic.ORDERS],
        }

    async def handle(self, line: str) -> dict[str, Any]:
        command = json.loads(line)
        if command["cmd"] == "stats":
            return self.stats(bool(command.get("gc", True)))
        if command["cmd"] == "prepare":
            return self.prepare(int(command["count"]))
        if command["cmd"] == "blast":
            if "count" in command:
                self.prepare(int(command["count"]))
            return await self.blast(int(command.get("max_backlog", 512)))
        return {"error": f"unknown command {command['cmd']!r}"}


async def _stdin_lines() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


def _say(payload: str) -> None:
    sys.stdout.write(payload + "\n")
    sys.stdout.flush()


async def run_connector(max_pending: int) -> None:
    adapter = SimAdapter(SimSettings(tick_interval=0))
    settings = ConnectorSettings(
        host="127.0.0.1", port=0, metrics_port=None, grace_seconds=1.0, max_pending=max_pending
    )
    server = ConnectorServer(adapter, settings)
    await server.start()
    control = Control(server, adapter)
    _say(f"BENCH-PORT {server.port}")
    reader = await _stdin_lines()
    try:
        while line := (await reader.readline()).decode().strip():
            if line == "quit":
                break
            _say(json.dumps(await control.handle(line)))
    finally:
        await server.stop(grace=0.5)


async def run_echo(payload_size: int) -> None:
    payload = os.urandom(payload_size)

    async def call(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
        return payload

    async def stream(
        request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]
    ) -> AsyncIterator[bytes]:
        # The request is how many messages to send: the floor of a server stream.
        for _ in range(int(request)):
            yield payload

    handler = grpc.method_handlers_generic_handler(
        "bench.Echo",
        # No (de)serializers: bytes in, bytes out, the least work gRPC can do per call.
        {
            "Call": grpc.unary_unary_rpc_method_handler(call),
            "Stream": grpc.unary_stream_rpc_method_handler(stream),
        },
    )
    server = grpc.aio.server()
    server.add_generic_rpc_handlers([handler])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    _say(f"BENCH-PORT {port}")
    reader = await _stdin_lines()
    with contextlib.suppress(asyncio.CancelledError):
        while line := (await reader.readline()).decode().strip():
            if line == "quit":
                break
            _say(json.dumps({"rss_kb": rss_kb(), "tasks": len(asyncio.all_tasks())}))
    await server.stop(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.server")
    parser.add_argument("--mode", choices=("connector", "echo"), default="connector")
    parser.add_argument("--payload-size", type=int, default=200)
    parser.add_argument("--max-pending", type=int, default=10_000)
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop if installed")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    main_coro = (
        run_echo(args.payload_size) if args.mode == "echo" else run_connector(args.max_pending)
    )
    if args.uvloop and importlib.util.find_spec("uvloop") is not None:
        # Optional, never a dependency of gridops: only to check whether it matters.
        importlib.import_module("uvloop").run(main_coro)
    else:
        if args.uvloop:
            print("uvloop is not installed: running on asyncio", file=sys.stderr)
        asyncio.run(main_coro)


if __name__ == "__main__":
    main()
