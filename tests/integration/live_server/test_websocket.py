"""The live server's WebSocket: fills within a second, 50 clients, a slow client dropped."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import time
from typing import Any

import aiohttp

from tests.support.poll import eventually

from .conftest import Stack


async def _receive_until(
    ws: aiohttp.ClientWebSocketResponse, match: Any, timeout: float = 5.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, "no matching event in time"
        message = await ws.receive_json(timeout=remaining)
        if match(message):
            return dict(message)


async def test_a_fill_arrives_within_a_second(stack: Stack) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(stack.live.ws_url) as ws:
        hello = await ws.receive_json(timeout=5)
        assert hello["type"] == "hello"
        assert hello["data"]["connected"] is True
        orders = await stack.client.get_open_orders("BTC/USDT")
        started = time.monotonic()
        await stack.sim.fill_order(orders[0].client_order_id)
        fill = await _receive_until(ws, lambda m: m["type"] == "fill", timeout=1.0)
        assert time.monotonic() - started < 1.0
        assert fill["data"]["clientOrderId"] == orders[0].client_order_id
        assert fill["data"]["quantity"] == "0.001"


async def test_fifty_clients_receive_the_same_events(stack: Stack) -> None:
    async with aiohttp.ClientSession() as session:
        sockets = [await session.ws_connect(stack.live.ws_url + "?symbol=BTC/USDT")
                   for _ in range(50)]  # fmt: skip
        for ws in sockets:
            assert (await ws.receive_json(timeout=5))["type"] == "hello"
        for price in ("50040", "50050", "50060"):
            await stack.sim.set_price("BTC/USDT", price)
        seen = []
        for ws in sockets:
            prices: list[str] = []
            while prices[-1:] != ["50060"]:
                message = await ws.receive_json(timeout=5)
                if message["type"] == "price":
                    prices.append(message["data"]["price"])
            seen.append(prices)
        # From the first price this test set: a client connected before the live server's
        # own price subscription was up also gets that subscription's snapshot first.
        assert all(p[p.index("50040") :] == ["50040", "50050", "50060"] for p in seen), seen
        for ws in sockets:
            await ws.close()


def _stalled_websocket(url: str) -> socket.socket:
    """A WebSocket client that completes the handshake and then never reads."""
    host, port = url.removeprefix("ws://").split("/")[0].split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    )
    sock.sendall(request.encode())
    assert b"101" in sock.recv(1024).split(b"\r\n")[0]
    return sock


async def test_a_slow_client_is_dropped_without_slowing_the_others(stack: Stack) -> None:
    stalled = await asyncio.to_thread(_stalled_websocket, stack.live.ws_url)
    try:
        async with aiohttp.ClientSession() as session, session.ws_connect(stack.live.ws_url) as ws:
            assert (await ws.receive_json(timeout=5))["type"] == "hello"
            received: list[str] = []

            async def consume() -> None:
                while True:
                    message = await ws.receive_json()
                    if message["type"] == "price":
                        received.append(message["data"]["price"])

            consumer = asyncio.create_task(consume())
            # Until the stalled client is dropped: it takes the kernel's and aiohttp's
            # buffers (a few hundred KB, ~3,000 events) plus its queue to fill.
            sent: list[str] = []
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                price = str(50100 + (len(sent) % 50))
                sent.append(price)
                await stack.sim.set_price("BTC/USDT", price)
                if len(sent) % 250 == 0 and _metric(stack, "gridops_live_ws_clients_dropped_total"):
                    break
            assert _metric(stack, "gridops_live_ws_clients_dropped_total") == 1

            async def all_received() -> bool:
                return len(received) >= len(sent)

            await eventually(all_received, message="the fast client got every price")
            consumer.cancel()
            # Prices that repeat coalesce nowhere here: the fast client saw each one.
            assert received[: len(sent)] == sent
            assert _metric(stack, "gridops_live_ws_clients") == 1
    finally:
        stalled.close()


def _metric(stack: Stack, name: str) -> float:
    _, text = stack.live.get("/metrics")
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")
