"""What feeds the live server: the connector's streams and the market makers' /status."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

from gridops import errors
from gridops.client import ConnectorClient, Disconnected, OrderChange, Resync, Subscribed, Update
from gridops.models import Account, Position, Ticker

from . import views
from .broadcast import Broadcaster
from .mm_status import StatusPoller

log = logging.getLogger(__name__)

PRICE_HISTORY = 5_000


class LiveState:
    """What the server keeps between requests: connection, price history, mm status."""

    def __init__(self, client: ConnectorClient, broadcaster: Broadcaster, mm_urls: list[str]):
        self.client = client
        self.broadcaster = broadcaster
        self.mm_urls = mm_urls
        self.connected = False
        self.exchange = ""
        self.symbols: list[str] = []
        self.prices: dict[str, deque[dict[str, Any]]] = {}
        self.market_makers: list[dict[str, Any]] = [
            {"url": url, "reachable": False, "error": "not polled yet", "status": None}
            for url in mm_urls
        ]

    def status(self) -> dict[str, Any]:
        return {
            "connector": {
                "address": self.client.address,
                "connected": self.connected,
                "sessionId": self.client.session_id,
                "exchange": self.exchange,
                "symbols": self.symbols,
            },
            "marketMakers": self.market_makers,
        }

    def _connection(self, connected: bool, reason: str) -> None:
        if connected != self.connected:
            self.connected = connected
            self.broadcaster.publish(
                "connection",
                {"connected": connected, "sessionId": self.client.session_id, "reason": reason},
            )

    async def run(self) -> None:
        tasks = [
            asyncio.create_task(self._follow(self.client.subscribe_orders(), self._on_order)),
            asyncio.create_task(self._follow(self.client.subscribe_prices(), self._on_price)),
            asyncio.create_task(self._follow(self.client.subscribe_account(), self._on_account)),
            asyncio.create_task(self._follow(self.client.subscribe_positions(), self._on_position)),
            asyncio.create_task(self._poll_market_makers()),
        ]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _follow(self, stream: AsyncIterator[object], handle: Callable[[Any], None]) -> None:
        async for item in stream:
            if isinstance(item, Update):
                handle(item.value)
            elif isinstance(item, Subscribed | Resync):
                await self._learn_connector()
                self._connection(True, "subscribed")
            elif isinstance(item, Disconnected):
                self._connection(False, str(item.error))

    async def _learn_connector(self) -> None:
        with contextlib.suppress(errors.GridopsError):
            info = await self.client.get_info()
            self.exchange = info.exchange
            self.symbols = list(info.symbols)

    def _on_order(self, change: OrderChange) -> None:
        symbol = change.order.symbol
        self.broadcaster.publish("order", views.order(change.order), symbol)
        if change.fill is not None:
            self.broadcaster.publish("fill", views.fill(change.fill), symbol)

    def _on_price(self, ticker: Ticker) -> None:
        point = views.price(ticker)
        history = self.prices.setdefault(ticker.symbol, deque(maxlen=PRICE_HISTORY))
        history.append({"time": point["time"], "price": point["price"]})
        self.broadcaster.publish("price", point, ticker.symbol)

    def _on_account(self, account: Account) -> None:
        self.broadcaster.publish("account", views.account(account))

    def _on_position(self, position: Position) -> None:
        self.broadcaster.publish("position", views.position(position), position.symbol)

    async def _poll_market_makers(self, interval: float = 1.0) -> None:
        """Each market maker polled on its own, so one that hangs delays no other."""
        await asyncio.gather(
            *(self._poll_market_maker(i, url, interval) for i, url in enumerate(self.mm_urls))
        )

    async def _poll_market_maker(self, index: int, url: str, interval: float) -> None:
        poller = StatusPoller(url, interval=interval)
        try:
            while True:
                entry = await poller.poll()
                if entry != self.market_makers[index]:
                    self.market_makers = [
                        entry if i == index else old for i, old in enumerate(self.market_makers)
                    ]
                    self.broadcaster.publish("status", self.status())
                await asyncio.sleep(poller.next_delay())
        finally:
            await poller.close()
