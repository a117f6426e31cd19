"""The WebSocket API on /ws-api/v3: requests {"id", "method", "params"} answered
{"id", "status", "result"} or {"id", "status", "error": {"code", "msg"}}.

ccxt 4.5 gets spot user data here: `userDataStream.subscribe.signature` (signed params:
apiKey, timestamp, signature), then every executionReport and outboundAccountPosition
of that account arrives as {"subscriptionId": n, "event": {...}}. The trading methods
ccxt's *_ws calls use (order.place, order.cancel, order.status, openOrders.status,
openOrders.cancelAll, allOrders, myTrades, account.status) are served too.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

from gridops.lograte import LogBudget

from . import binance_json as bj
from . import errors, signing, sockets
from .fanout import Outbox
from .persist import Persister
from .venue import UserSink, Venue
from .weights import OrderCounter

log = logging.getLogger(__name__)

Signed = Callable[[str, dict[str, str]], Any]


class WebSocketApi:
    def __init__(
        self, venue: Venue, persister: Persister, weight_limit: int, orders: OrderCounter
    ) -> None:
        self.venue = venue
        self.orders = orders
        self.persister = persister
        self.weight_limit = weight_limit
        self.connections = 0
        self.user_streams = 0
        self._log_budget = LogBudget()
        v = venue
        self.signed: dict[str, tuple[Signed, bool]] = {
            "order.place": (v.place, True),
            "order.cancel": (v.cancel, True),
            "order.status": (v.get_order, False),
            "openOrders.status": (v.open_orders, False),
            "openOrders.cancelAll": (v.cancel_all, True),
            "allOrders": (v.all_orders, False),
            "myTrades": (v.my_trades, False),
            "account.status": (lambda k, p: v.account_json(k), False),
        }

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/ws-api/v3", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(heartbeat=30)
        await ws.prepare(request)
        sockets.track(request, ws)
        outbox = Outbox(ws, f"WebSocket API client {request.remote}")
        subscriptions: dict[int, tuple[str, UserSink]] = {}
        numbers = itertools.count()
        self.connections += 1
        try:
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                answer = await self._answer(outbox, subscriptions, numbers, message.data)
                outbox.put(json.dumps(answer))
        finally:
            self.connections -= 1
            for key, sink in subscriptions.values():
                self._unsubscribe(key, sink)
            await outbox.close()
        return ws

    async def _answer(
        self,
        outbox: Outbox,
        subscriptions: dict[int, tuple[str, UserSink]],
        numbers: itertools.count[int],
        text: str,
    ) -> dict[str, Any]:
        try:
            request = json.loads(text)
        except json.JSONDecodeError:
            return _error(None, errors.BinanceError(400, -1000, "Malformed request: not JSON."))
        if not isinstance(request, dict):
            return _error(None, errors.BinanceError(400, -1000, "Malformed request."))
        ident = request.get("id")
        method = request.get("method")
        raw = request.get("params") or {}
        if not isinstance(raw, dict):
            return _error(ident, errors.BinanceError(400, -1000, "params: expected an object."))
        try:
            result = await self._call(outbox, subscriptions, numbers, method, raw)
        except errors.BinanceError as error:
            return _error(ident, error)
        return {"id": ident, "status": 200, "result": result}

    async def _call(
        self,
        outbox: Outbox,
        subscriptions: dict[int, tuple[str, UserSink]],
        numbers: itertools.count[int],
        method: Any,
        raw: dict[str, Any],
    ) -> Any:
        params = {name: _text(value) for name, value in raw.items()}
        if method == "ping":
            return {}
        if method == "time":
            return {"serverTime": self.venue.now_ms()}
        if method == "exchangeInfo":
            return self.venue.exchange_info(self.weight_limit, self.orders.limit)
        if method in ("ticker.price", "ticker.book"):
            shape = bj.price_ticker if method == "ticker.price" else bj.book_ticker
            wanted = [params["symbol"]] if params.get("symbol") else None
            tickers = [shape(t.symbol, t.price) for t in self.venue.tickers(wanted)]
            return tickers[0] if wanted else tickers
        if method == "userDataStream.subscribe.signature":
            key = self._authenticate(raw)
            number = next(numbers)

            def sink(event: dict[str, Any], number: int = number) -> None:
                outbox.put(json.dumps({"subscriptionId": number, "event": event}))

            self.venue.account(key).sinks.append(sink)
            subscriptions[number] = (key, sink)
            self.user_streams += 1
            self._log("user data of %s subscribed by %s", key, outbox.name)
            return {"subscriptionId": number}
        if method == "userDataStream.unsubscribe":
            wanted_id = raw.get("subscriptionId")
            for number in [n for n in subscriptions if wanted_id in (None, n)]:
                self._unsubscribe(*subscriptions.pop(number))
            return {}
        if method == "session.subscriptions":
            return [{"subscriptionId": n} for n in subscriptions]
        if method in self.signed:
            call, changes = self.signed[method]
            key = self._authenticate(raw)
            if method == "order.place":
                self.orders.count(key, time.time())
            result = call(key, {k: v for k, v in params.items() if k != "apiKey"})
            if changes:
                await self.persister.flush()
            return result
        raise errors.BinanceError(400, -1000, f"Unknown method {method!r}.")

    def _authenticate(self, raw: dict[str, Any]) -> str:
        key = raw.get("apiKey")
        if not isinstance(key, str) or not key:
            raise errors.missing("apiKey")
        secret = self.venue.secret_of(key)
        if secret is None:
            raise errors.unknown_key()
        signing.check_timestamp(raw, self.venue.now_ms())
        signing.check_ws_signature(raw, secret)
        return key

    def _unsubscribe(self, key: str, sink: UserSink) -> None:
        sinks = self.venue.account(key).sinks
        if sink in sinks:
            sinks.remove(sink)
            self.user_streams -= 1
            self._log("user data of %s unsubscribed (%d subscriptions left)", key,
                      self.user_streams)  # fmt: skip

    def _log(self, message: str, *args: object) -> None:
        """INFO while rare; a reconnect storm is summed up, not logged line by line."""
        skipped = self._log_budget.take()
        if skipped is not None:
            suffix = f" ({skipped} similar lines skipped)" if skipped else ""
            log.info(message + suffix, *args)


def _error(ident: Any, error: errors.BinanceError) -> dict[str, Any]:
    return {"id": ident, "status": error.status, "error": error.body()}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
