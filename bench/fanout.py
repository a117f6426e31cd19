"""Stream throughput and fan-out: one order stream to 1, 10 and 100 subscribers.

The bench server publishes order events into the connector's hub (each serialized once
with the product's `to_broadcast` before the timed part, then `Hub.publish`, each stream
handler stamping its sequence: the product's fan-out path) as fast as the slowest
subscriber takes them. The ORDER stream is used because it is strict: nothing may be
dropped, so "delivered" is exactly "published × subscribers" and any loss is a bug, not
coalescing. (Snapshot streams coalesce: a publisher faster than its subscribers sees
values replaced, which measures the coalescing, not the delivery.)

Three shapes, the same subscriber counts:
- batched: `SubscribeOrderBatches`, what `ConnectorClient.subscribe_orders` uses. A
  subscriber with a backlog gets it as one gRPC message, so the figure is order
  UPDATES delivered per second; gRPC messages (frames) per second and the mean batch
  size are reported beside it, so the gain is visible for what it is;
- unbatched: `SubscribeOrders`, one gRPC message per update;
- bare: a grpc.aio server stream of pre-built bytes (no hub): gRPC's per-message floor.

Each subscriber has its own channel (its own HTTP/2 connection, as separate market
makers would), parses every message with the generated classes, checks that sequences
run on without a gap, and counts updates until the end marker. Throughput = updates
delivered / time from the first publish to the last subscriber's end marker.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import grpc

from gridops.client import ConnectorClient, Subscribed, Update
from gridops.client.channel import CHANNEL_OPTIONS
from gridops.v1 import connector_pb2 as cpb
from gridops.v1 import connector_pb2_grpc

from .report import Result
from .server import BLAST_PREFIX, BLAST_SYMBOL, ECHO_STREAM_METHOD, END_ORDER_ID
from .spawn import ServerProcess

#: order events published per case, by subscriber count (unbatched, bare)
DEFAULT_SIZES = {1: 40_000, 10: 8_000, 100: 1_500}
#: the batched cases publish this many times as many, so they also run for seconds
BATCHED_SCALE = 8
#: publisher flow control: wait while a subscriber has more than this pending
MAX_BACKLOG = 512
#: the fan-out target (issue 6): updates per second in total to 100 subscribers
TARGET_SUBSCRIBERS = 100
TARGET_TOTAL = 50_000.0


class _Subscriber:
    def __init__(self, address: str, batched: bool) -> None:
        self.channel = grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS)
        self.stub = connector_pb2_grpc.ExchangeConnectorStub(self.channel)
        self.batched = batched
        self.received = 0
        self.frames = 0
        self.gaps = 0
        self.done_at = 0.0
        self.ready = asyncio.Event()

    async def run(self) -> None:
        request = cpb.SubscribeOrdersRequest(
            symbol=BLAST_SYMBOL, client_order_id_prefix=BLAST_PREFIX
        )
        rpc = self.stub.SubscribeOrderBatches if self.batched else self.stub.SubscribeOrders
        call: Any = rpc(request)
        # Initial metadata = registered with the hub: nothing published after is missed.
        await call.initial_metadata()
        self.ready.set()
        expected = 1
        async for message in call:
            updates = message.updates if self.batched else (message,)
            for update in updates:
                if update.sequence != expected:
                    self.gaps += update.sequence - expected
                expected = update.sequence + 1
            self.received += len(updates)
            self.frames += 1
            # The end marker is published last, so it can only end a batch.
            if updates and updates[-1].order.client_order_id == END_ORDER_ID:
                self.done_at = time.perf_counter()
                call.cancel()
                return


async def _case(
    server: ServerProcess, subscribers: int, messages: int, batched: bool
) -> dict[str, Any]:
    subs = [_Subscriber(server.address, batched) for _ in range(subscribers)]
    tasks = [asyncio.create_task(s.run()) for s in subs]
    await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in subs)), 30)
    await server.acontrol({"cmd": "prepare", "count": messages})
    cpu_before = server.cpu_seconds()
    client_cpu_before = time.process_time()
    started = time.perf_counter()
    reply = await server.acontrol({"cmd": "blast", "max_backlog": MAX_BACKLOG})
    await asyncio.wait_for(asyncio.gather(*tasks), 300)
    elapsed = max(s.done_at for s in subs) - started
    cpu = server.cpu_seconds() - cpu_before
    client_cpu = time.process_time() - client_cpu_before
    for s in subs:
        await s.channel.close()
    delivered = sum(s.received for s in subs)
    frames = sum(s.frames for s in subs)
    return {
        "rpc": "SubscribeOrderBatches" if batched else "SubscribeOrders",
        "subscribers": subscribers,
        "published": messages,
        "delivered": delivered,
        "frames": frames,
        "mean_batch": delivered / frames,
        "lost": messages * subscribers - delivered,
        "overflowed_subscribers": reply["overflows"],
        "sequence_gaps": sum(s.gaps for s in subs),
        "seconds": elapsed,
        "total_per_second": delivered / elapsed,
        "frames_per_second": frames / elapsed,
        "per_subscriber_per_second": delivered / elapsed / subscribers,
        "server_cpu_share": cpu / elapsed,
        "client_cpu_share": client_cpu / elapsed,
        "publisher_busy_share": reply["busy_seconds"] / elapsed,
    }


async def _client_case(server: ServerProcess, messages: int) -> dict[str, Any]:
    """One `ConnectorClient.subscribe_orders`: batches, then domain types (Decimal, ...).

    A market maker's view of the stream. One subscriber only: the figure is the
    client's decoding, which 100 subscribers in this one process would only divide.
    """
    client = ConnectorClient(server.address)
    received = 0
    done_at = 0.0
    subscribed = asyncio.Event()

    async def consume() -> None:
        nonlocal received, done_at
        async for item in client.subscribe_orders(BLAST_SYMBOL, BLAST_PREFIX):
            if isinstance(item, Subscribed):
                subscribed.set()
            elif isinstance(item, Update):
                received += 1
                if item.value.order.client_order_id == END_ORDER_ID:
                    done_at = time.perf_counter()
                    return
            else:
                raise RuntimeError(f"the order stream said {item!r}")

    task = asyncio.create_task(consume())
    await asyncio.wait_for(subscribed.wait(), 30)
    await server.acontrol({"cmd": "prepare", "count": messages})
    client_cpu_before = time.process_time()
    started = time.perf_counter()
    await server.acontrol({"cmd": "blast", "max_backlog": MAX_BACKLOG})
    await asyncio.wait_for(task, 300)
    elapsed = done_at - started
    client_cpu = time.process_time() - client_cpu_before
    await client.close()
    return {
        "subscribers": 1,
        "published": messages,
        "delivered": received,
        "lost": messages - received,
        "seconds": elapsed,
        "total_per_second": received / elapsed,
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


def _us_per_message(case: dict[str, Any]) -> float:
    """Server CPU per delivered update: the figure least moved by the machine's load."""
    return float(case["server_cpu_share"] * case["seconds"] / case["delivered"] * 1e6)


async def run(sizes: dict[int, int] | None = None, uvloop_server: bool = False) -> Result:
    sizes = sizes or DEFAULT_SIZES
    result = Result("fanout")
    cases: list[dict[str, Any]] = []
    unbatched: list[dict[str, Any]] = []
    with ServerProcess("connector", uvloop=uvloop_server) as server:
        # Warm-up: connections, code paths and allocator, not measured.
        await _case(server, 2, 500, batched=True)
        await _case(server, 2, 500, batched=False)
        for subscribers, messages in sorted(sizes.items()):
            # Back to back per size, so a burst of outside load hits both alike.
            batched = messages * BATCHED_SCALE
            cases.append(await _case(server, subscribers, batched, batched=True))
            unbatched.append(await _case(server, subscribers, messages, batched=False))
        client = await _client_case(server, sizes[min(sizes)])
    bare: list[dict[str, Any]] = []
    with ServerProcess("echo", ["--payload-size", "150"], uvloop=uvloop_server) as echo:
        await _bare_case(echo, 2, 500)
        for subscribers, messages in sorted(sizes.items()):
            bare.append(await _bare_case(echo, subscribers, messages))
    result.params = {
        "messages_published_per_case": {str(k): v for k, v in sizes.items()},
        "batched_cases_publish": f"{BATCHED_SCALE}x as many",
        "stream": "SubscribeOrderBatches (batched, connector default max_batch) and "
        "SubscribeOrders (unbatched), symbol + prefix filter; order events serialized "
        "before the timed part, published into the hub in the server process, held back "
        f"while a subscriber has > {MAX_BACKLOG} pending",
        "client": "generated stub, one channel per subscriber, all in the bench process; "
        "every update parsed and its sequence checked",
        "server": "bench.server --mode connector (ConnectorServer, own process)"
        + (" on uvloop" if uvloop_server else ""),
        "bare": "bench.server --mode echo: a grpc.aio server stream of pre-built 150-byte "
        "messages, same subscriber counts",
        "connector_client": "one ConnectorClient.subscribe_orders (batches, decoded to "
        "domain types), as a market maker receives the stream",
    }
    result.details = {
        "cases": cases,
        "unbatched": unbatched,
        "bare_grpc": bare,
        "connector_client": client,
    }
    result.samples = {
        "subscribers": [c["subscribers"] for c in cases],
        "total_per_second": [c["total_per_second"] for c in cases],
        "per_subscriber_per_second": [c["per_subscriber_per_second"] for c in cases],
        "frames_per_second": [c["frames_per_second"] for c in cases],
        "unbatched_total_per_second": [c["total_per_second"] for c in unbatched],
        "bare_total_per_second": [c["total_per_second"] for c in bare],
    }
    for case, plain, floor in zip(cases, unbatched, bare, strict=True):
        n = int(case["subscribers"])
        target = TARGET_TOTAL if n == TARGET_SUBSCRIBERS else None
        result.add(f"{n} sub: total updates/s", case["total_per_second"], "msg/s", target, ">=")
        result.add(f"{n} sub: per-subscriber updates/s", case["per_subscriber_per_second"], "msg/s")
        result.add(f"{n} sub: gRPC messages/s (batches)", case["frames_per_second"], "msg/s")
        result.add(f"{n} sub: mean batch size", case["mean_batch"], "updates")
        result.add(f"{n} sub: lost", case["lost"], "msgs", 0)
        result.add(f"{n} sub: server CPU", case["server_cpu_share"] * 100, "%")
        result.add(f"{n} sub: client CPU", case["client_cpu_share"] * 100, "%")
        result.add(f"{n} sub: publisher busy", case["publisher_busy_share"] * 100, "%")
        result.add(f"{n} sub: server CPU per update", _us_per_message(case), "us")
        result.add(f"{n} sub unbatched: total msg/s", plain["total_per_second"], "msg/s")
        result.add(f"{n} sub unbatched: lost", plain["lost"], "msgs", 0)
        result.add(f"{n} sub unbatched: server CPU per message", _us_per_message(plain), "us")
        result.add(f"{n} stream(s): bare grpc.aio msg/s", floor["total_per_second"], "msg/s")
        result.add(f"{n} stream(s): bare server CPU per message", _us_per_message(floor), "us")
    result.add("1 sub via ConnectorClient: updates/s", client["total_per_second"], "msg/s")
    result.add("1 sub via ConnectorClient: lost", client["lost"], "msgs", 0)
    result.add("1 sub via ConnectorClient: client CPU", client["client_cpu_share"] * 100, "%")
    return result
