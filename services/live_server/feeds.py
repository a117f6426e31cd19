"""What feeds the live server: the connector's streams and the market makers' /status."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp

from gridops import errors
from gridops.client import ConnectorClient, Disconnected, OrderChange, Resync, Subscribed, Update
from gridops.models import Account, Position, Ticker

from . import views
from .broadcast import Broadcaster

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
        if not self.mm_urls:
            return
        timeout = aiohttp.ClientTimeout(total=2)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                polled = [await self._poll(session, url) for url in self.mm_urls]
                if polled != self.market_makers:
                    self.market_makers = polled
                    self.broadcaster.publish("status", self.status())
                await asyncio.sleep(interval)

    @staticmethod
    async def _poll(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
        try:
            async with session.get(url.rstrip("/") + "/status") as response:
                if response.status != 200:
                    raise aiohttp.ClientError(f"HTTP {response.status}")
                document = await response.json()
            # Fields that change every poll would make every poll an event.
            document.pop("lastPriceAt", None)
            document.pop("idle", None)
            return {"url": url, "reachable": True, "error": None, "status": document}
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            return {"url": url, "reachable": False, "error": str(error) or "timeout",
                    "status": None}  # fmt: skip
