"""Binance websocket messages in, gridops events out, in the order they arrived.

The Feed keeps what the messages only give in parts: balances (an
`outboundAccountPosition` names just the assets that changed) and last prices (for
equity and positions). A spot account has no positions of its own: the position of
BASE/QUOTE here is the BASE the account holds (free + locked), marked at the last
price; entry price and PnL are not the venue's to say (zero). Pure but for the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from gridops.decimals import ZERO
from gridops.errors import Unavailable
from gridops.models import (
    Account,
    AccountEvent,
    Balance,
    ExchangeEvent,
    OrderEvent,
    Position,
    PositionEvent,
    PriceEvent,
    SymbolInfo,
    Ticker,
)

from . import convert
from .index import OrderIndex

#: a stream further behind than this is cut, as the venue would drop a slow consumer
QUEUE_LIMIT = 100_000
_TICKER_EVENTS = frozenset({"24hrTicker", "24hrMiniTicker", "1hTicker", "4hTicker", "1dTicker"})


class _Break:
    def __init__(self, reason: str | None) -> None:
        self.reason = reason


class FeedStream:
    """One `events()` iteration: the events of the messages seen while it is open."""

    def __init__(self, feed: Feed) -> None:
        self.feed = feed
        self.queue: asyncio.Queue[ExchangeEvent | _Break] = asyncio.Queue()
        self.ended = False

    def on_message(self, message: Any) -> None:
        if self.ended:
            return
        for event in self.feed.handle(message):
            if self.queue.qsize() >= QUEUE_LIMIT:
                self.broken("the event queue overflowed")
                return
            self.queue.put_nowait(event)

    def broken(self, reason: str) -> None:
        self._end(_Break(reason))

    def _end(self, end: _Break) -> None:
        if self.ended:
            return
        self.ended = True
        if end.reason is not None:
            # What was queued after the break point may be incomplete: drop it all.
            with contextlib.suppress(asyncio.QueueEmpty):
                while True:
                    self.queue.get_nowait()
        self.queue.put_nowait(end)

    async def next(self) -> ExchangeEvent | None:
        """The next event; None when the adapter closed; Unavailable when a socket broke."""
        item = await self.queue.get()
        if isinstance(item, _Break):
            if item.reason is None:
                return None
            raise Unavailable(f"upstream stream broken ({item.reason})")
        return item


class Feed:
    def __init__(self, index: OrderIndex) -> None:
        self.index = index
        self._symbols_by_id: dict[str, str] = {}
        self._infos: dict[str, SymbolInfo] = {}
        self._balances: dict[str, Balance] = {}
        self._prices: dict[str, Ticker] = {}
        self._quote = ""
        self._streams: set[FeedStream] = set()

    def set_markets(
        self, symbols_by_id: Mapping[str, str], infos: Mapping[str, SymbolInfo]
    ) -> None:
        self._symbols_by_id = dict(symbols_by_id)
        self._infos = dict(infos)
        quotes = [i.quote_asset for i in infos.values()]
        self._quote = max(set(quotes), key=quotes.count) if quotes else ""

    def set_balances(self, balances: Mapping[str, Balance]) -> None:
        self._balances = dict(balances)

    def set_price(self, ticker: Ticker) -> None:
        self._prices[ticker.symbol] = ticker

    # ---- streams -------------------------------------------------------------------

    def open(self) -> FeedStream:
        stream = FeedStream(self)
        self._streams.add(stream)
        return stream

    def close(self, stream: FeedStream) -> None:
        self._streams.discard(stream)
        stream._end(_Break(None))

    def end(self, reason: str | None) -> None:
        for stream in list(self._streams):
            stream._end(_Break(reason))

    # ---- views ---------------------------------------------------------------------

    def account(self, balances: Mapping[str, Balance], quote: str) -> Account:
        kept = tuple(
            b
            for asset, b in sorted(balances.items())
            if b.total != 0 or asset == quote or self._trades_asset(asset)
        )
        equity = ZERO
        for balance in kept:
            if balance.asset == quote:
                equity += balance.total
                continue
            ticker = self._prices.get(f"{balance.asset}/{quote}")
            if ticker is not None:
                equity += balance.total * ticker.price
        return Account(kept, equity, quote, datetime.now(UTC))

    def _trades_asset(self, asset: str) -> bool:
        return any(i.base_asset == asset or i.quote_asset == asset for i in self._infos.values())

    def position(self, symbol: str, balances: Mapping[str, Balance]) -> Position:
        info = self._infos[symbol]
        held = balances.get(info.base_asset)
        ticker = self._prices.get(symbol)
        return Position(
            symbol=symbol,
            quantity=held.total if held else ZERO,
            entry_price=ZERO,
            mark_price=ticker.price if ticker else ZERO,
            unrealized_pnl=ZERO,
            realized_pnl=ZERO,
            updated_at=datetime.now(UTC),
        )

    # ---- messages ------------------------------------------------------------------

    def handle(self, message: Any) -> list[ExchangeEvent]:
        payload = _unwrap(message)
        if isinstance(payload, list):
            return [e for item in payload for e in self.handle(item)]
        if not isinstance(payload, Mapping):
            return []
        kind = payload.get("e")
        if kind == "executionReport":
            return self._execution(payload)
        if kind == "outboundAccountPosition":
            return self._account_position(payload)
        if kind in _TICKER_EVENTS:
            return self._ticker(payload)
        return []

    def _symbol(self, payload: Mapping[str, Any]) -> str | None:
        return self._symbols_by_id.get(str(payload.get("s", "")))

    def _execution(self, report: Mapping[str, Any]) -> list[ExchangeEvent]:
        symbol = self._symbol(report)
        if symbol is None:
            return []
        order = convert.order_from_report(report, symbol)
        self.index.add(symbol, order.order_id, order.client_order_id)
        return [OrderEvent(order, convert.fill_from_report(report, order))]

    def _account_position(self, event: Mapping[str, Any]) -> list[ExchangeEvent]:
        changed = convert.balances_from_report(event)
        self._balances.update(changed)
        events: list[ExchangeEvent] = [AccountEvent(self.account(self._balances, self._quote))]
        for symbol in self.touched(changed):
            events.append(PositionEvent(self.position(symbol, self._balances)))
        return events

    def touched(self, assets: Iterable[str]) -> list[str]:
        """Served symbols whose base asset is one of `assets`."""
        wanted = set(assets)
        return [s for s, i in self._infos.items() if i.base_asset in wanted]

    def _ticker(self, event: Mapping[str, Any]) -> list[ExchangeEvent]:
        symbol = self._symbol(event)
        if symbol is None:
            return []
        ticker = convert.ticker_from_stream(event, symbol)
        if ticker is None:
            return []
        previous = self._prices.get(symbol)
        self._prices[symbol] = ticker
        if previous is not None and previous.price == ticker.price:
            return []  # Binance repeats the 24h ticker every second: only moves are news
        return [PriceEvent(ticker)]


def _unwrap(message: Any) -> Any:
    """The event inside ccxt's message: combined-stream `data`, WebSocket-API `event`."""
    if isinstance(message, Mapping):
        if "stream" in message and isinstance(message.get("data"), Mapping | list):
            message = message["data"]
        if isinstance(message, Mapping) and isinstance(message.get("event"), Mapping):
            message = message["event"]
    return message
