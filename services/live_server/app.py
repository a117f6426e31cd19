"""The live server's HTTP routes: thin handlers over the connector client and LiveState."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import WSMsgType, web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from gridops import errors, order_ids
from gridops.lograte import LogBudget, skipped

from . import views
from .broadcast import Broadcaster
from .controls import ACTIONS, CANCEL, ControlError, call_market_maker, operator_commands
from .feeds import LiveState

log = logging.getLogger(__name__)

# Dashboards come and go one by one; a reload storm or a load test brings hundreds a
# second, which a human wants counted, not listed.
_ws_log = LogBudget(burst=30, period=60.0)


def _log_ws(remote: str | None, clients: int, since: float | None = None) -> None:
    held = _ws_log.take()
    if held is None:
        return
    if since is None:
        log.info("WebSocket client %s connected; %d clients%s", remote, clients,
                 skipped(held))  # fmt: skip
    else:
        log.info("WebSocket client %s left after %.0fs; %d clients%s", remote,
                 asyncio.get_running_loop().time() - since, clients, skipped(held))  # fmt: skip


STATIC = Path(__file__).parent / "static"
STATE: web.AppKey[LiveState] = web.AppKey("state")
REGISTRY: web.AppKey[CollectorRegistry] = web.AppKey("registry")
SESSION: web.AppKey[aiohttp.ClientSession] = web.AppKey("session")
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
    except ControlError as error:
        return web.json_response({"error": str(error), **error.extra}, status=error.status)
    except web.HTTPException as error:
        # Under /api/ a client reads JSON whatever happened (aiohttp's own 404 and 405
        # are plain text); the page and the static files keep aiohttp's answers.
        if not request.path.startswith("/api/") or error.status < 400:
            raise
        message = f"{error.status} {error.reason}: {request.method} {request.path}"
        if error.status == 404:
            message = f"no such API path: {request.path} (see docs/live-server.md)"
        return web.json_response({"error": message}, status=error.status)


async def get_account(request: web.Request) -> web.Response:
    state = request.app[STATE]
    account = await state.client.get_account()
    p = await state.rules(state.symbols_of(b.asset for b in account.balances))
    return web.json_response(views.account(account, p))


async def get_positions(request: web.Request) -> web.Response:
    state = request.app[STATE]
    positions = await state.client.get_positions(_symbol(request))
    p = await state.rules(x.symbol for x in positions)
    return web.json_response([views.position(x, p) for x in positions])


async def get_orders(request: web.Request) -> web.Response:
    state = request.app[STATE]
    symbol, prefix = _symbol(request), _prefix(request)
    orders = await state.client.get_open_orders(symbol, prefix)
    p = await state.rules(o.symbol for o in orders)
    return web.json_response([views.order(o, p) for o in orders])


async def get_fills(request: web.Request) -> web.Response:
    state = request.app[STATE]
    symbol, prefix = _symbol(request), _prefix(request)
    limit = _limit(request, 200, 1000)
    fills = (await state.client.get_fills(symbol, prefix=prefix))[-limit:]
    p = await state.rules(f.symbol for f in fills)
    return web.json_response([views.fill(f, p) for f in fills])


async def get_prices(request: web.Request) -> web.Response:
    symbol = _symbol(request, required=True)
    limit = _limit(request, 1000, 5000)
    history = request.app[STATE].history.get(symbol or "")
    return web.json_response(history[-limit:])


async def get_status(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].status())


def _same_origin(request: web.Request) -> bool:
    """False for a browser request sent by another site's page.

    A control changes trading, and the browser sends no credential the live server could
    check; so a request whose Origin is not this server is refused, and the JSON body
    (a content type no plain HTML form can send) makes another origin's script ask
    first with a CORS preflight, which this server never grants.
    """
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser's cross-origin request (curl, tests, the CLI)
    return urlsplit(origin).netloc.lower() == request.host.lower()


async def _control_body(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise BadRequest("send the control as JSON (content-type: application/json)")
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("the body is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _market_maker(state: LiveState, body: dict[str, Any]) -> dict[str, Any]:
    """The polled entry of the market maker the body names (one of ours, never any URL)."""
    url = body.get("marketMaker")
    if url is None and len(state.market_makers) == 1:
        return state.market_makers[0]
    if not isinstance(url, str):
        raise BadRequest("marketMaker: required, the URL of one of the live server's market makers")
    for entry in state.market_makers:
        if entry["url"] == url:
            return entry
    known = ", ".join(e["url"] for e in state.market_makers) or "none (--market-maker URL)"
    raise ControlError(404, f"marketMaker: {url!r} is not one of this live server's ({known})")


async def control(request: web.Request) -> web.Response:
    """POST /api/control/{pause|resume|clear-halt|cancel-orders} {"marketMaker": URL}."""
    action = request.match_info["action"]
    if action not in ACTIONS:
        raise ControlError(404, f"no such control: {action!r} (one of {', '.join(ACTIONS)})")
    if not _same_origin(request):
        raise ControlError(403, "controls are accepted from this live server's own page only")
    state = request.app[STATE]
    body = await _control_body(request)
    entry = _market_maker(state, body)
    document = entry.get("status") or {}
    name = document.get("name")
    if state.controls.operator_managed:
        # BRIEF §6: under the operator spec.paused is the one source of truth.
        command = operator_commands(name, state.controls.namespace)[action] if name else None
        raise ControlError(
            409, "this strategy is managed by the gridops operator: change it with kubectl"
            + (f": {command}" if command else " (the market maker's name is not known yet)"),
            command=command,
        )  # fmt: skip
    url = entry["url"]
    if action == CANCEL:
        if not isinstance(name, str) or not isinstance(document.get("symbol"), str):
            raise ControlError(
                502, f"market maker {url} has not been reached yet: its strategy, and so its "
                "order id prefix, is unknown",
            )  # fmt: skip
        prefix = order_ids.strategy_prefix(name)
        # A person pressed the button (same origin, the control token when one is set):
        # an explicit override of the running engine's writer claim, logged as such.
        cancelled = await state.client.cancel_all_orders(
            document["symbol"], prefix, override=f"live server dashboard, from {request.remote}"
        )
        log.info("control: cancelled %d open orders of strategy %s (prefix %s) at the "
                 "dashboard's request", len(cancelled), name, prefix)  # fmt: skip
        answer: dict[str, Any] = {
            "prefix": prefix,
            "cancelled": [o.client_order_id for o in cancelled],
        }
    else:
        answer = await call_market_maker(request.app[SESSION], url, action, state.controls.token)
        log.info("control: %s of market maker %s (%s) at the dashboard's request",
                 action, url, name or "name unknown")  # fmt: skip
    state.wake(url)
    return web.json_response({"ok": True, "action": action, "marketMaker": url, "answer": answer})


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
    since = asyncio.get_running_loop().time()
    remote = request.remote  # now: once the socket is closed it may no longer say
    _log_ws(remote, len(state.broadcaster.clients))
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
        _log_ws(remote, len(state.broadcaster.clients), since)
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


class _BroadcastCounters(Collector):
    """The broadcaster's running totals as Prometheus counters (read when scraped).

    Counters, not gauges: they only grow, so rate() works and a restart reads as a reset.
    """

    def __init__(self, broadcaster: Broadcaster) -> None:
        self.broadcaster = broadcaster

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "gridops_live_ws_messages_sent",
            "Events queued to WebSocket clients.",
            value=self.broadcaster.sent,
        )
        yield CounterMetricFamily(
            "gridops_live_ws_clients_dropped",
            "Slow WebSocket clients dropped.",
            value=self.broadcaster.dropped_clients,
        )


def _registry(state: LiveState, broadcaster: Broadcaster) -> CollectorRegistry:
    registry = CollectorRegistry()
    Gauge("gridops_live_ws_clients", "Open WebSocket clients.", registry=registry).set_function(
        lambda: len(broadcaster.clients)
    )
    registry.register(_BroadcastCounters(broadcaster))
    Gauge(
        "gridops_live_connector_connected", "1 while the connector link is up.", registry=registry
    ).set_function(lambda: 1 if state.connected else 0)
    return registry


async def _client_session(app: web.Application) -> AsyncIterator[None]:
    """One HTTP session for the controls' calls to the market makers."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        app[SESSION] = session
        yield


def create_app(state: LiveState) -> web.Application:
    app = web.Application(middlewares=[errors_as_json])
    app[STATE] = state
    app[REGISTRY] = _registry(state, state.broadcaster)
    app.cleanup_ctx.append(_client_session)
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC)
    app.router.add_get("/api/account", get_account)
    app.router.add_get("/api/positions", get_positions)
    app.router.add_get("/api/orders", get_orders)
    app.router.add_get("/api/fills", get_fills)
    app.router.add_get("/api/prices", get_prices)
    app.router.add_get("/api/status", get_status)
    app.router.add_post("/api/control/{action}", control)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/ws", websocket)
    return app
