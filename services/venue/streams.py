"""Market streams on /ws (and /ws/<anything>, the path ccxt appends a stream number to).

Binance's protocol: {"method": "SUBSCRIBE", "params": ["btcusdt@ticker"], "id": 1} is
answered {"result": null, "id": 1}; then every event of the stream arrives as it is.
A path naming a stream (/ws/btcusdt@trade) subscribes to it at once.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import WSMsgType, web

from . import events_json as ev
from . import sockets
from .fanout import Outbox
from .venue import Venue

log = logging.getLogger(__name__)

CHANNELS = ("ticker", "miniTicker", "bookTicker", "trade", "aggTrade")


class MarketStreams:
    def __init__(self, venue: Venue) -> None:
        self.venue = venue
        self.subscribers: dict[str, set[Outbox]] = {}
        self.connections = 0
        venue.market_sinks.append(self.publish)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/ws", self.handle)
        app.router.add_get("/ws/{tail:.*}", self.handle)

    def publish(self, stream: str, event: dict[str, Any]) -> None:
        outboxes = self.subscribers.get(stream)
        if not outboxes:
            return
        text = json.dumps(event)
        for outbox in list(outboxes):
            outbox.put(text)

    def _valid(self, stream: str) -> bool:
        market, _, channel = stream.partition("@")
        return channel in CHANNELS and market.upper() in self.venue.symbols

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(heartbeat=30)
        await ws.prepare(request)
        sockets.track(request, ws)
        outbox = Outbox(ws, f"market stream client {request.remote}")
        mine: set[str] = set()
        self.connections += 1
        tail = request.match_info.get("tail", "")
        if "@" in tail and self._valid(tail):
            self._subscribe(outbox, mine, [tail])
            self._snapshots(outbox, [tail])
        try:
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                answer, fresh = self._answer(outbox, mine, message.data)
                outbox.put(answer)
                self._snapshots(outbox, fresh)
        finally:
            self.connections -= 1
            for stream in mine:
                self.subscribers.get(stream, set()).discard(outbox)
            await outbox.close()
        return ws

    def _subscribe(self, outbox: Outbox, mine: set[str], streams: list[str]) -> None:
        for stream in streams:
            self.subscribers.setdefault(stream, set()).add(outbox)
            mine.add(stream)

    def _snapshots(self, outbox: Outbox, streams: list[str]) -> None:
        """The current state of each new ticker stream: Binance pushes those every
        second, a price that never moves here would otherwise leave a watcher waiting."""
        now = self.venue.now_ms()
        for stream in streams:
            market, _, channel = stream.partition("@")
            symbol = self.venue.symbols[market.upper()]
            price = self.venue.reference.last_price(symbol)
            if channel == "ticker":
                outbox.put(json.dumps(ev.ticker_event(symbol, price, now)))
            elif channel == "miniTicker":
                outbox.put(json.dumps(ev.mini_ticker_event(symbol, price, now)))
            elif channel == "bookTicker":
                outbox.put(json.dumps(ev.book_ticker_event(symbol, price, 0)))

    def _answer(self, outbox: Outbox, mine: set[str], text: str) -> tuple[str, list[str]]:
        """The reply to a request, and the streams it newly subscribed."""
        try:
            request = json.loads(text)
        except json.JSONDecodeError:
            return json.dumps({"error": {"code": 3, "msg": "Invalid JSON"}}), []
        if not isinstance(request, dict):
            return json.dumps({"error": {"code": 3, "msg": "Invalid request"}}), []
        ident = request.get("id")
        method = request.get("method")
        params = request.get("params") or []
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            if not isinstance(params, list) or not all(
                isinstance(p, str) and self._valid(p) for p in params
            ):
                error = {"code": 2, "msg": f"Invalid request: unknown stream in {params}"}
                return json.dumps({"error": error, "id": ident}), []
            if method == "SUBSCRIBE":
                fresh = [p for p in params if p not in mine]
                self._subscribe(outbox, mine, params)
                return json.dumps({"result": None, "id": ident}), fresh
            for stream in params:
                self.subscribers.get(stream, set()).discard(outbox)
                mine.discard(stream)
            return json.dumps({"result": None, "id": ident}), []
        if method == "LIST_SUBSCRIPTIONS":
            return json.dumps({"result": sorted(mine), "id": ident}), []
        error = {"code": 2, "msg": f"Invalid request: method {method!r}"}
        return json.dumps({"error": error, "id": ident}), []
