"""What feeds the live server: the connector's streams and the market makers' /status."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from gridops import errors, order_ids
from gridops.client import ConnectorClient, Disconnected, OrderChange, Resync, Subscribed, Update
from gridops.models import Account, Position, Ticker
from gridops.precision import Precision, market_maker_status

from . import views
from .broadcast import Broadcaster
from .controls import ControlSettings, operator_commands
from .history import PriceHistory
from .mm_status import StatusPoller

log = logging.getLogger(__name__)

#: symbols whose rules are fetched as soon as the connector is known (more: on first use)
PREFETCH_SYMBOLS = 50
#: after a failed GetSymbolInfo, that symbol's amounts go out unrounded this long
RULES_RETRY_SECONDS = 30.0
#: how often queued price lines are written to the state directory
FLUSH_SECONDS = 1.0


class LiveState:
    """What the server keeps between requests: connection, price history, mm status."""

    def __init__(
        self,
        client: ConnectorClient,
        broadcaster: Broadcaster,
        mm_urls: list[str],
        *,
        history: PriceHistory | None = None,
        controls: ControlSettings | None = None,
    ):
        self.client = client
        self.broadcaster = broadcaster
        self.mm_urls = mm_urls
        self.connected = False
        self.exchange = ""
        self.symbols: list[str] = []
        self.history = history or PriceHistory()
        self.precision = Precision()
        self._rules_failed: dict[str, float] = {}
        self.controls = controls or ControlSettings()
        self.market_makers: list[dict[str, Any]] = [
            {"url": url, "reachable": False, "error": "not polled yet", "status": None}
            for url in mm_urls
        ]
        # set to poll a market maker now (after a control) instead of at its next interval
        self._wake = {url: asyncio.Event() for url in mm_urls}

    def status(self) -> dict[str, Any]:
        return {
            "connector": {
                "address": self.client.address,
                "connected": self.connected,
                "sessionId": self.client.session_id,
                "exchange": self.exchange,
                "symbols": self.symbols,
            },
            "controls": self.controls.document(),
            "marketMakers": self.market_makers,
        }

    def wake(self, url: str) -> None:
        """Poll this market maker at once (its state just changed)."""
        if url in self._wake:
            self._wake[url].set()

    async def rules(self, symbols: Iterable[str]) -> Precision:
        """The precision table, with the rules of `symbols` fetched if not known yet.

        A symbol whose rules cannot be fetched is retried after RULES_RETRY_SECONDS, not at
        every event; meanwhile its amounts go out as the connector sent them.
        """
        now = time.monotonic()
        for symbol in set(symbols):
            if not symbol or self.precision.knows(symbol):
                continue
            if now - self._rules_failed.get(symbol, -RULES_RETRY_SECONDS) < RULES_RETRY_SECONDS:
                continue
            try:
                self.precision.learn(await self.client.get_symbol_info(symbol, timeout=5))
                self._rules_failed.pop(symbol, None)
            except errors.GridopsError as error:
                self._rules_failed[symbol] = now
                log.warning("no trading rules for %s (%s): its amounts are sent unrounded "
                            "until they can be fetched", symbol, error)  # fmt: skip
        return self.precision

    def _connection(self, connected: bool, reason: str) -> None:
        if connected != self.connected:
            self.connected = connected
            if connected:
                log.info("connector %s connected (%s, session %s)", self.client.address,
                         self.exchange or "?", self.client.session_id)  # fmt: skip
            else:
                log.warning("connector %s lost: %s; reconnecting", self.client.address, reason)
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
            asyncio.create_task(self._save_history()),
        ]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _follow(
        self, stream: AsyncIterator[object], handle: Callable[[Any], Awaitable[None]]
    ) -> None:
        async for item in stream:
            if isinstance(item, Update):
                await handle(item.value)
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
        await self.rules(self.symbols[:PREFETCH_SYMBOLS])

    def symbols_of(self, assets: Iterable[str]) -> list[str]:
        """The connector's symbols that trade any of `assets` (their rules round balances)."""
        wanted = set(assets)
        return [s for s in self.symbols if wanted.intersection(s.split("/"))]

    async def _on_order(self, change: OrderChange) -> None:
        symbol = change.order.symbol
        p = await self.rules([symbol])
        self.broadcaster.publish("order", views.order(change.order, p), symbol)
        if change.fill is not None:
            self.broadcaster.publish("fill", views.fill(change.fill, p), symbol)

    async def _on_price(self, ticker: Ticker) -> None:
        point = views.price(ticker, await self.rules([ticker.symbol]))
        self.history.add(ticker.symbol, point)
        self.broadcaster.publish("price", point, ticker.symbol)

    async def _on_account(self, account: Account) -> None:
        p = await self.rules(self.symbols_of(b.asset for b in account.balances))
        self.broadcaster.publish("account", views.account(account, p))

    async def _on_position(self, position: Position) -> None:
        p = await self.rules([position.symbol])
        self.broadcaster.publish("position", views.position(position, p), position.symbol)

    async def _save_history(self) -> None:
        """Write queued prices every FLUSH_SECONDS, off the event loop; once more at the end."""
        try:
            while True:
                await asyncio.sleep(FLUSH_SECONDS)
                await self.flush_history()
        finally:
            # Cancelled at shutdown: what is queued is still written (a quick local write).
            self.history.write(self.history.take())

    async def flush_history(self) -> None:
        batch = self.history.take()
        if batch:
            await asyncio.to_thread(self.history.write, batch)

    async def _poll_market_makers(self, interval: float = 1.0) -> None:
        """Each market maker polled on its own, so one that hangs delays no other."""
        await asyncio.gather(
            *(self._poll_market_maker(i, url, interval) for i, url in enumerate(self.mm_urls))
        )

    async def _poll_market_maker(self, index: int, url: str, interval: float) -> None:
        poller = StatusPoller(url, interval=interval)
        wake = self._wake[url]
        try:
            while True:
                entry = await self._entry(await poller.poll())
                if entry != self.market_makers[index]:
                    self.market_makers = [
                        entry if i == index else old for i, old in enumerate(self.market_makers)
                    ]
                    self.broadcaster.publish("status", self.status())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), poller.next_delay())
                wake.clear()
        finally:
            await poller.close()

    async def _entry(self, entry: dict[str, Any]) -> dict[str, Any]:
        """A polled entry as sent: amounts quantized; under the operator, its kubectl commands."""
        document = entry.get("status")
        if not isinstance(document, dict):
            return entry
        symbol = document.get("symbol")
        p = await self.rules([symbol] if isinstance(symbol, str) else [])
        entry = {**entry, "status": market_maker_status(document, p)}
        name = document.get("name")
        if isinstance(name, str):
            # the prefix of its client order ids: the page tells its orders from others'
            entry["prefix"] = order_ids.strategy_prefix(name)
            if self.controls.operator_managed:
                entry["kubectl"] = operator_commands(name, self.controls.namespace)
        return entry
