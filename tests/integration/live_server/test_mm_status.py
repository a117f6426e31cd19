"""The live server drops a market maker's HTTP session that went bad, and reconnects.

The Kubernetes case: a just-created Service first answered 404 from something that was
not the market maker, over a keep-alive connection the live server then kept. The fake
market maker here is a real aiohttp server on localhost that answers 404 to everything
at first and, once "up", still answers 404 on every connection that ever got one (it
closes nothing itself): only a NEW connection reaches the market maker.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from tests.support.connector import ConnectorProcess
from tests.support.live_server import LiveServerProcess
from tests.support.poll import eventually

STATUS = {
    "name": "t-grid", "symbol": "BTC/USDT", "engine": "durable", "phase": "running",
    "synced": True, "openOrders": [], "risk": {"halted": False},
}  # fmt: skip


@dataclass
class StickyService:
    """404 until up, and forever on a connection that has seen a 404."""

    up: bool = False
    poisoned: set[object] = field(default_factory=set)
    refused: int = 0
    served: list[object] = field(default_factory=list)

    async def status(self, request: web.Request) -> web.Response:
        assert request.transport is not None
        connection = request.transport.get_extra_info("peername")
        if not self.up or connection in self.poisoned:
            self.poisoned.add(connection)
            self.refused += 1
            return web.Response(status=404, text="default backend - 404")
        self.served.append(connection)
        return web.json_response(STATUS)


@pytest.fixture
async def sticky() -> AsyncIterator[tuple[StickyService, str]]:
    service = StickyService()
    app = web.Application()
    app.router.add_get("/status", service.status)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    yield service, f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_a_session_that_got_404s_is_replaced_by_a_fresh_one(
    sticky: tuple[StickyService, str], connector_process: ConnectorProcess
) -> None:
    service, url = sticky
    connector_process.start()
    live = LiveServerProcess(connector_process.address, [url])
    # Started off the event loop: the fake market maker must answer meanwhile.
    await asyncio.to_thread(live.start)
    try:

        async def market_maker() -> dict[str, Any]:
            code, body = await asyncio.to_thread(live.get, "/api/status")
            assert code == 200, body
            entry: dict[str, Any] = body["marketMakers"][0]
            return entry

        async def refused(count: int) -> bool:
            return service.refused >= count

        # Several polls fail first, so "logged once" means something.
        await eventually(lambda: refused(3), timeout=20, message="three 404s")
        entry = await market_maker()
        assert entry["reachable"] is False
        assert "404" in entry["error"]
        # A dropped session means a new connection for every poll that failed.
        assert len(service.poisoned) == service.refused

        service.up = True

        async def reachable() -> dict[str, Any] | None:
            entry = await market_maker()
            return entry if entry["reachable"] else None

        shown = await eventually(reachable, timeout=30, message="the market maker shown")
        assert shown is not None
        entry = shown
        assert entry["status"]["name"] == "t-grid"
        assert entry["error"] is None
        assert service.served
        assert not set(service.served) & service.poisoned
    finally:
        live.stop()

    warnings = [line for line in live.lines if url in line and "unreachable" in line]
    assert len(warnings) == 1, warnings  # once per state change, not once per poll
    assert "404" in warnings[0]
    assert sum(f"{url} reachable:" in line for line in live.lines) == 1
