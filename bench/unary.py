"""Unary latency: GetAccount and PlaceOrder against a connector process, and a bare
grpc.aio echo server returning the same number of bytes, measured in one run.

One call in flight at a time (latency, not throughput). The three servers' calls are
interleaved in blocks, so a burst of load from elsewhere on the machine hits all of
them alike instead of skewing the ratio.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from decimal import Decimal

import grpc

from gridops.client import ConnectorClient, SimulatorClient
from gridops.client.channel import CHANNEL_OPTIONS
from gridops.models import OrderRequest, OrderType, Side
from gridops.v1 import connector_pb2 as cpb
from gridops.v1 import connector_pb2_grpc

from .report import Result
from .server import ECHO_METHOD
from .spawn import ServerProcess
from .stats import latency_summary

Call = Callable[[], Awaitable[object]]


async def _timed(call: Call, count: int, into: list[float]) -> None:
    clock = time.perf_counter
    for _ in range(count):
        started = clock()
        await call()
        into.append(clock() - started)


async def run(
    samples: int = 10_000, warmup: int = 1_000, block: int = 500, uvloop_server: bool = False
) -> Result:
    result = Result("unary")
    # The product command, unless uvloop is asked for (only bench.server can do that).
    server = ServerProcess("connector", uvloop=True) if uvloop_server else ServerProcess("cli")
    with server as connector:
        client = await ConnectorClient.connect(connector.address)
        sim = SimulatorClient(connector.address)
        # Enough quote balance that no PlaceOrder is refused for funds.
        await sim.set_balances({"USDT": Decimal("1000000000")})
        stub = connector_pb2_grpc.ExchangeConnectorStub(client._channel)
        raw = await stub.GetAccount(cpb.GetAccountRequest())
        payload = len(raw.SerializeToString())
        echo_args = ["--payload-size", str(payload)]
        with ServerProcess("echo", echo_args, uvloop=uvloop_server) as echo:
            channel = grpc.aio.insecure_channel(echo.address, options=CHANNEL_OPTIONS)
            echo_call: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(
                ECHO_METHOD
            )
            request = b"\x00" * 8

            async def bare() -> object:
                return await echo_call(request)

            async def get_account_raw() -> object:
                return await stub.GetAccount(cpb.GetAccountRequest())

            placed = 0

            async def place() -> object:
                nonlocal placed
                placed += 1
                order = OrderRequest(
                    client_order_id=f"bench-{placed}",
                    symbol="BTC/USDT",
                    side=Side.BUY,
                    price=Decimal("40000"),
                    quantity=Decimal("0.001"),
                    type=OrderType.LIMIT_MAKER,
                )
                return await client.place_order(order)

            cases: dict[str, Call] = {
                "bare_echo": bare,
                "get_account": client.get_account,
                "get_account_raw_stub": get_account_raw,
                "place_order": place,
            }
            latencies: dict[str, list[float]] = {name: [] for name in cases}
            for call in cases.values():
                await _timed(call, warmup, [])
            # Resting orders pile up in the sim; cancel them between blocks (untimed) so
            # PlaceOrder always meets the same book.
            await client.cancel_all_orders()
            done = 0
            # CPU seconds (server, client) spent in each case's blocks: the cost of a
            # call, which the machine's load moves far less than its latency.
            cpu = {name: [0.0, 0.0] for name in cases}
            while done < samples:
                n = min(block, samples - done)
                for name, call in cases.items():
                    serving = echo if name == "bare_echo" else connector
                    server_before, client_before = serving.cpu_seconds(), time.process_time()
                    await _timed(call, n, latencies[name])
                    cpu[name][0] += serving.cpu_seconds() - server_before
                    cpu[name][1] += time.process_time() - client_before
                await client.cancel_all_orders()
                done += n
            await channel.close()
        await client.close()
        await sim.close()

    summaries = {name: latency_summary(values) for name, values in latencies.items()}
    result.params = {
        "samples_per_call": samples,
        "warmup_per_call": warmup,
        "interleave_block": block,
        "payload_bytes": payload,
        "server": "python -m gridops connector --exchange sim (own process); "
        "bare echo: bench.server --mode echo (own process)",
        "client": "ConnectorClient (domain types), plus the raw generated stub for GetAccount",
    }
    result.details = {
        **summaries,
        "cpu_us_per_call": {
            name: {"server": c[0] / samples * 1e6, "client": c[1] / samples * 1e6}
            for name, c in cpu.items()
        },
    }
    result.samples = dict(latencies)
    acc, bare_s, place_s = (
        summaries["get_account"],
        summaries["bare_echo"],
        summaries["place_order"],
    )
    result.add("GetAccount p50", acc["p50_ms"], "ms", 0.5)
    result.add("GetAccount p99", acc["p99_ms"], "ms", 2.0)
    result.add("GetAccount p99.9", acc["p99_9_ms"], "ms")
    result.add("PlaceOrder p50", place_s["p50_ms"], "ms")
    result.add("PlaceOrder p99", place_s["p99_ms"], "ms")
    result.add("PlaceOrder p99.9", place_s["p99_9_ms"], "ms")
    result.add("bare grpc echo p50", bare_s["p50_ms"], "ms")
    result.add("bare grpc echo p99", bare_s["p99_ms"], "ms")
    result.add("bare grpc echo p99.9", bare_s["p99_9_ms"], "ms")
    result.add("GetAccount/bare p50 ratio", acc["p50_ms"] / bare_s["p50_ms"], "x", 1.3)
    result.add("GetAccount/bare p99 ratio", acc["p99_ms"] / bare_s["p99_ms"], "x")
    raw_s = summaries["get_account_raw_stub"]
    result.add("GetAccount raw stub/bare p50 ratio", raw_s["p50_ms"] / bare_s["p50_ms"], "x")
    result.add("PlaceOrder/bare p50 ratio", place_s["p50_ms"] / bare_s["p50_ms"], "x")
    for name, label in (("get_account", "GetAccount"), ("bare_echo", "bare echo")):
        server_us, client_us = (c / samples * 1e6 for c in cpu[name])
        result.add(f"{label} CPU per call, server", server_us, "us")
        result.add(f"{label} CPU per call, client", client_us, "us")
    return result
