"""The event stream by REST polling, for venues whose websocket messages the connector
does not read: open orders, balances and prices every few seconds, compared with the
last snapshot (polling.diff). Orders that left the open list are asked for once.

Fills do not ride on these order events (a poll sees the filled quantity, not the
trades): clients read them with GetFills, as after any resync.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

from gridops.errors import NotFound
from gridops.models import (
    AccountEvent,
    ExchangeEvent,
    OrderEvent,
    OrderStatus,
    PositionEvent,
    PriceEvent,
    UpstreamOpened,
)

from . import convert
from .polling import Snapshot, diff

if TYPE_CHECKING:
    from .adapter import CcxtAdapter

#: seconds between two polls: a few requests each, inside any venue's budget
POLL_SECONDS = 3.0


async def snapshot(adapter: CcxtAdapter) -> Snapshot:
    symbols = adapter.symbols()
    current = Snapshot()
    for symbol in symbols:
        for order in await adapter.get_open_orders(symbol, None):
            current.orders[order.order_id] = order
    current.balances = await adapter.read_balances()
    exchange = adapter.exchange
    if exchange.has.get("fetchTickers"):
        raw = await adapter.call(lambda: exchange.fetch_tickers(symbols))
        for symbol in symbols:
            ticker = convert.ticker_from_rest(raw.get(symbol) or {}, symbol)
            if ticker is not None:
                current.prices[symbol] = ticker
    else:
        for symbol in symbols:
            current.prices[symbol] = await adapter.get_ticker(symbol)
    return current


async def polled_events(
    adapter: CcxtAdapter, interval: float = POLL_SECONDS
) -> AsyncGenerator[ExchangeEvent | UpstreamOpened, None]:
    """UpstreamOpened once the first snapshot is taken, then what each poll changed."""
    last = await snapshot(adapter)
    for ticker in last.prices.values():
        adapter.feed.set_price(ticker)
    yield UpstreamOpened()
    while True:
        await asyncio.sleep(interval)
        # Placed here since the last poll: as if seen open then, so an order placed and
        # closed within one interval is reported closed rather than never.
        placed, adapter.placed_since_poll = adapter.placed_since_poll, {}
        current = await snapshot(adapter)
        for order_id, order in placed.items():
            last.orders.setdefault(order_id, order)
        changes = diff(last, current)
        for order_id in changes.closed:
            known = last.orders[order_id]
            try:
                final = await adapter.get_order(order_id=order_id)
            except NotFound:  # gone without a trace: it left the book
                final = dataclasses.replace(known, status=OrderStatus.CANCELED)
            yield OrderEvent(final)
        for order in changes.orders:
            yield OrderEvent(order)
        if changes.assets:
            yield AccountEvent(adapter.feed.account(current.balances, adapter.quote_asset))
            for symbol in adapter.feed.touched(changes.assets):
                yield PositionEvent(adapter.feed.position(symbol, current.balances))
        for ticker in changes.tickers:
            adapter.feed.set_price(ticker)
            yield PriceEvent(ticker)
        last = current
