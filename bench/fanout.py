"""Stream throughput and fan-out: one order stream to 1, 10 and 100 subscribers.

The bench server publishes order events into the connector's hub (each serialized once
with the product's `to_broadcast`, then `Hub.publish`, each stream handler appending its
sequence: the product's fan-out path) as fast as the slowest subscriber takes them.
The ORDER stream is used because it is strict: nothing may be dropped, so "delivered"
is exactly "published × subscribers" and any loss is a bug, not coalescing. (Snapshot
streams coalesce: a publisher faster than its subscribers sees values replaced, which
measures the coalescing, not the delivery.)

Each subscriber has its own channel (its own HTTP/2 connection, as separate market
makers would) and counts messages until the end marker. Throughput = messages delivered
/ time from the first publish to the last subscriber's end marker. The same shape is
run against a bare grpc.aio server stream (pre-built bytes, no hub) as the gRPC floor.
"""

from __future__ import annotations

import asyncio
import time

import grpc

from gridops.client.channel import CHANNEL_OPTIONS
from gridops.v1 import connector_pb2 as cpb
from gridops.v1 import connector_pb2_grpc

from .report import Result
from .server import BLAST_PREFIX, BLAST_SYMBOL, ECHO_STREAM_METHOD, END_ORDER_ID
from .spawn import ServerProcess

DEFAULT_SIZES = {1: 40_000, 10: 8_000, 100: 1_500}
#: publisher flow control: wait while a subscriber has more than this pending
MAX_BACKLOG = 512


class _Subscriber:
    def __init__(self, address: str) -> None:
        self.channel = grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS)
        self.stub = connector_pb2_grpc.ExchangeConnectorStub(self.channel)
        self.received = 0
        self.gaps = 0
        self.done_at = 0.0
        self.ready = asyncio.Event()

    async def run(self) -> None:
        request = cpb.SubscribeOrdersRequest(
            symbol=BLAST_SYMBOL, client_order_id_prefix=BLAST_PREFIX
        )
        call = self.stub.SubscribeOrders(request)
        # Initial metadata = registered with the hub: nothing published after is missed.
        await call.initial_metadata()
        self.ready.set()
        expected = 1
        async for message in call:
            if message.sequence != expected:
                self.gaps += message.sequence - expected
            expected = message.sequence + 1
            self.received += 1
            if message.order.client_order_id == END_ORDER_ID:
                self.done_at = time.perf_counter()
                call.cancel()
                return


async def _case(server: ServerProcess, subscribers: int, messages: int) -> dict[str, float]:
    subs = [_Subscriber(server.address) for _ in range(subscribers)]
    tasks = [asyncio.create_task(s.run()) for s in subs]
    await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in subs)), 30)
    cpu_before = server.cpu_seconds()
    client_cpu_before = time.process_time()
    started = time.perf_counter()
    reply = await server.acontrol({"cmd": "blast", "count": messages, "max_backlog": MAX_BACKLOG})
    await asyncio.wait_for(asyncio.gather(*tasks), 300)
    elapsed = max(s.done_at for s in subs) - started
    cpu = server.cpu_seconds() - cpu_before
    client_cpu = time.process_time() - client_cpu_before
    for s in subs:
        await s.channel.close()
    delivered = sum(s.received for s in subs)
    return {
        "subscribers": subscribers,
        "published": messages,
        "delivered": delivered,
        "lost": messages * subscribers - delivered,
        "overflowed_subscribers": reply["overflows"],
        "sequence_gaps": sum(s.gaps for s in subs),
        "seconds": elapsed,
        "total_per_second": delivered / elapsed,
        "per_subscriber_per_second": delivered / elapsed / subscribers,
        "server_cpu_share": cpu / elapsed,
        "client_cpu_share": client_cpu / elapsed,
    }


async def _bare_case(echo: ServerProcess, subscribers: int, messages: int) -> dict[str, float]:
    """The same fan-out shape against a bare grpc.aio server stream: the gRPC floor."""
    channels = [
        grpc.aio.insecure_channel(echo.address, options=CHANNEL_OPTIONS) for _ in range(subscribers)
    ]
    received = [0] * subscribers
    cpu_before = echo.cpu_seconds()
    started = time.perf_counter()

    async def one(index: int) -> None:
        method: grpc.aio.UnaryStreamMultiCallable[bytes, bytes] = channels[index].unary_stream(
            ECHO_STREAM_METHOD
        )
        call = method(str(messages).encode())
        async for _ in call:
            received[index] += 1

    await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(subscribers))), 300)
    elapsed = time.perf_counter() - started
    cpu = echo.cpu_seconds() - cpu_before
    for channel in channels:
        await channel.close()
    delivered = sum(received)
    return {
        "subscribers": subscribers,
        "delivered": delivered,
        "seconds": elapsed,
        "total_per_second": delivered / elapsed,
        "server_cpu_share": cpu / elapsed,
    }


def _us_per_message(case: dict[str, float]) -> float:
    """Server CPU per delivered message: the figure least moved by the machine's load."""
    return case["server_cpu_share"] * case["seconds"] / case["delivered"] * 1e6


async def run(sizes: dict[int, int] | None = None, uvloop_server: bool = False) -> Result:
    sizes = sizes or DEFAULT_SIZES
    result = Result("fanout")
    cases: list[dict[str, float]] = []
    with ServerProcess("connector", uvloop=uvloop_server) as server:
        # Warm-up: connections, code paths and allocator, not measured.
        await _case(server, 2, 500)
        for subscribers, messages in sorted(sizes.items()):
            cases.append(await _case(server, subscribers, messages))
    bare: list[dict[str, float]] = []
    with ServerProcess("echo", ["--payload-size", "150"], uvloop=uvloop_server) as echo:
        await _bare_case(echo, 2, 500)
        for subscribers, messages in sorted(sizes.items()):
            bare.append(await _bare_case(echo, subscribers, messages))
    result.params = {
        "messages_published_per_case": {str(k): v for k, v in sizes.items()},
        "stream": "SubscribeOrders (symbol + prefix filter); order events published into the "
        f"hub in the server process, held back while a subscriber has > {MAX_BACKLOG} pending",
        "client": "generated stub, one channel per subscriber, all in the bench process",
        "server": "bench.server --mode connector (ConnectorServer, own process)"
        + (" on uvloop" if uvloop_server else ""),
        "bare": "bench.server --mode echo: a grpc.aio server stream of pre-built 150-byte "
        "messages, same subscriber counts",
    }
    result.details = {"cases": cases, "bare_grpc": bare}
    result.samples = {
        "subscribers": [c["subscribers"] for c in cases],
        "total_per_second": [c["total_per_second"] for c in cases],
        "per_subscriber_per_second": [c["per_subscriber_per_second"] for c in cases],
        "bare_total_per_second": [c["total_per_second"] for c in bare],
    }
    for case, floor in zip(cases, bare, strict=True):
        n = int(case["subscribers"])
        target = 50_000.0 if n == 100 else None
        result.add(f"{n} sub: total msg/s", case["total_per_second"], "msg/s", target, ">=")
        result.add(f"{n} sub: per-subscriber msg/s", case["per_subscriber_per_second"], "msg/s")
        result.add(f"{n} sub: lost", case["lost"], "msgs", 0)
        result.add(f"{n} sub: server CPU", case["server_cpu_share"] * 100, "%")
        result.add(f"{n} sub: client CPU", case["client_cpu_share"] * 100, "%")
        result.add(f"{n} sub: server CPU per message", _us_per_message(case), "us")
        result.add(f"{n} stream(s): bare grpc.aio msg/s", floor["total_per_second"], "msg/s")
        result.add(f"{n} stream(s): bare server CPU per message", _us_per_message(floor), "us")
    return result
