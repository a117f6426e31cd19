"""The live server's HTTP routes: thin handlers over the connector client and LiveState."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from gridops import errors, order_ids

from . import views
from .broadcast import Broadcaster
from .feeds import LiveState

STATIC = Path(__file__).parent / "static"
STATE: web.AppKey[LiveState] = web.AppKey("state")
REGISTRY: web.AppKey[CollectorRegistry] = web.AppKey("registry")
WS_SEND_BUFFER = 64 * 1024


class BadRequest(Exception):
    pass


def _symbol(request: web.Request, required: bool = False) -> str | None:
    symbol = request.query.get("symbol") or None
    known = request.app[STATE].symbols
    if symbol is None:
        if required:
            raise BadRequest("symbol: required, e.g. ?symbol=BTC/USDT")
        return None
    if known and symbol not in known:
        raise BadRequest(f"symbol: unknown symbol {symbol!r} (known: {', '.join(known)})")
    return symbol


def _limit(request: web.Request, default: int, maximum: int) -> int:
    text = request.query.get("limit")
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        raise BadRequest(f"limit: must be an integer from 1 to {maximum}, got {text!r}")
    return int(text)


def _prefix(request: web.Request) -> str | None:
    prefix = request.query.get("prefix") or None
    if prefix is not None and not order_ids.is_valid_prefix(prefix):
        raise BadRequest(
            f"prefix: {prefix!r} must be a strategy's client order id prefix: up to "
            f"{order_ids.MAX_PREFIX} letters, digits or ._:/ in fields joined by single dashes"
        )
    return prefix


@web.middleware
async def errors_as_json(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except BadRequest as error:
        return web.json_response({"error": str(error)}, status=400)
    except errors.InvalidArgument as error:
        return web.json_response({"error": str(error)}, status=400)
    except errors.Unavailable as error:
        return web.json_response({"error": f"connector unavailable: {error}"}, status=503)
    except errors.GridopsError as error:
        return web.json_response({"error": f"connector error: {error}"}, status=502)


async def get_account(request: web.Request) -> web.Response:
    account = await request.app[STATE].client.get_account()
    return web.json_response(views.account(account))


async def get_positions(request: web.Request) -> web.Response:
    positions = await request.app[STATE].client.get_positions(_symbol(request))
    return web.json_response([views.position(p) for p in positions])


async def get_orders(request: web.Request) -> web.Response:
    symbol, prefix = _symbol(request), _prefix(request)
    orders = await request.app[STATE].client.get_open_orders(symbol, prefix)
    return web.json_response([views.order(o) for o in orders])


async def get_fills(request: web.Request) -> web.Response:
    symbol, prefix = _symbol(request), _prefix(request)
    limit = _limit(request, 200, 1000)
    fills = await request.app[STATE].client.get_fills(symbol, prefix=prefix)
    return web.json_response([views.fill(f) for f in fills[-limit:]])


async def get_prices(request: web.Request) -> web.Response:
    symbol = _symbol(request, required=True)
    limit = _limit(request, 1000, 5000)
    history = list(request.app[STATE].prices.get(symbol or "", ()))
    return web.json_response(history[-limit:])


async def get_status(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].status())


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def readyz(request: web.Request) -> web.Response:
    ready = request.app[STATE].connected
    return web.json_response({"ready": ready}, status=200 if ready else 503)


async def metrics(request: web.Request) -> web.Response:
    return web.Response(
        body=generate_latest(request.app[REGISTRY]), headers={"Content-Type": CONTENT_TYPE_LATEST}
    )


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


async def websocket(request: web.Request) -> web.WebSocketResponse:
    symbol = _symbol(request)
    state = request.app[STATE]
    ws = web.WebSocketResponse(heartbeat=20)
    await ws.prepare(request)
    sock = request.transport.get_extra_info("socket") if request.transport else None
    if sock is not None:
        # Bound what the kernel buffers for one client: memory per client stays small,
        # and a client that stopped reading fills its queue (and is dropped) in seconds,
        # not after megabytes.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, WS_SEND_BUFFER)
    client = state.broadcaster.add(symbol)
    hello = {
        "connected": state.connected,
        "sessionId": state.client.session_id,
        "symbols": state.symbols,
    }
    await ws.send_str(json.dumps({"type": "hello", "data": hello}))

    async def write() -> None:
        while True:
            await ws.send_str(await client.queue.get())

    async def read() -> None:
        async for message in ws:
            if message.type == WSMsgType.ERROR:
                return

    tasks = [asyncio.create_task(write()), asyncio.create_task(read()),
             asyncio.create_task(client.dropped.wait())]  # fmt: skip
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        state.broadcaster.remove(client)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if client.dropped.is_set() and request.transport is not None:
            # Its socket is full: a close frame would wait behind the backlog.
            request.transport.abort()
        else:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 2)
    return ws


def _registry(state: LiveState, broadcaster: Broadcaster) -> CollectorRegistry:
    registry = CollectorRegistry()
    Gauge("gridops_live_ws_clients", "Open WebSocket clients.", registry=registry).set_function(
        lambda: len(broadcaster.clients)
    )
    Gauge(
        "gridops_live_ws_messages_sent", "Events queued to WebSocket clients.", registry=registry
    ).set_function(lambda: broadcaster.sent)
    Gauge(
        "gridops_live_ws_clients_dropped", "Slow WebSocket clients dropped.", registry=registry
    ).set_function(lambda: broadcaster.dropped_clients)
    Gauge(
        "gridops_live_connector_connected", "1 while the connector link is up.", registry=registry
    ).set_function(lambda: 1 if state.connected else 0)
    return registry


def create_app(state: LiveState) -> web.Application:
    app = web.Application(middlewares=[errors_as_json])
    app[STATE] = state
    app[REGISTRY] = _registry(state, state.broadcaster)
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC)
    app.router.add_get("/api/account", get_account)
    app.router.add_get("/api/positions", get_positions)
    app.router.add_get("/api/orders", get_orders)
    app.router.add_get("/api/fills", get_fills)
    app.router.add_get("/api/prices", get_prices)
    app.router.add_get("/api/status", get_status)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/ws", websocket)
    return app
