"""An instant in-process exchange for the engine benchmark: no network, no sim market.

Orders are acknowledged at once; a resting order fills fully as soon as a price crosses
it. It implements just the ConnectorClient methods the grid engine calls, so the
benchmark times the engine's own work (book, planner, risk, executor, its queue), not
gRPC or the simulated exchange.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from gridops import errors
from gridops.client import OrderChange, Subscribed, Update
from gridops.models import (
    Fill,
    Order,
    OrderRequest,
    OrderStatus,
    PlaceResult,
    Side,
    SymbolInfo,
    Ticker,
)

SYMBOL_INFO = SymbolInfo(
    symbol="BTC/USDT",
    base_asset="BTC",
    quote_asset="USDT",
    tick_size=Decimal("0.01"),
    step_size=Decimal("0.00001"),
    min_quantity=Decimal("0.00001"),
    min_notional=Decimal("5"),
)


class FakeExchange:
    """Duck-types the parts of ConnectorClient that Engine and reconcile() use."""

    def __init__(self, prices: Iterable[Decimal], *, subscribe: bool = True) -> None:
        """`subscribe=False`: the order stream never confirms, so the engine never syncs
        and never plans: what is left per tick is its loop, risk monitor and metrics."""
        self._prices = prices
        self._subscribe = subscribe
        self.open: dict[str, Order] = {}
        self.known: dict[str, Order] = {}
        self._changes: asyncio.Queue[OrderChange] = asyncio.Queue()
        self._ids = itertools.count(1)
        self.placed = 0
        self.fills = 0
        #: set once the last price has been handed to the engine
        self.fed = asyncio.Event()
        self.last_price = Decimal(0)
        # The highest resting buy and lowest resting sell, while no order came or went:
        # most prices reach neither, and the benchmark should time the engine, not a
        # scan of the book on every tick.
        self._reach: tuple[Decimal | None, Decimal | None] | None = None

    # -- unary -----------------------------------------------------------------------

    async def get_symbol_info(self, symbol: str, **_: Any) -> SymbolInfo:
        return SYMBOL_INFO

    async def get_open_orders(self, symbol: str | None = None, prefix: str | None = None,
                              **_: Any) -> list[Order]:  # fmt: skip
        return list(self.open.values())

    async def get_fills(self, *args: Any, **kwargs: Any) -> list[Fill]:
        return []

    async def get_order(self, *, client_order_id: str | None = None, **_: Any) -> Order:
        order = self.known.get(client_order_id or "")
        if order is None:
            raise errors.NotFound(f"order {client_order_id} not found")
        return order

    async def place_order(self, request: OrderRequest, **_: Any) -> PlaceResult:
        now = datetime.now(UTC)
        order = Order(
            order_id=str(next(self._ids)),
            client_order_id=request.client_order_id,
            symbol=request.symbol,
            side=request.side,
            type=request.type,
            price=request.price,
            quantity=request.quantity,
            filled_quantity=Decimal(0),
            average_fill_price=Decimal(0),
            status=OrderStatus.NEW,
            created_at=now,
            updated_at=now,
        )
        self.open[order.client_order_id] = self.known[order.client_order_id] = order
        self._reach = None
        self.placed += 1
        return PlaceResult(order)

    async def cancel_order(self, *, client_order_id: str | None = None, **_: Any) -> Order:
        order = self.open.pop(client_order_id or "", None)
        self._reach = None
        if order is None:
            raise errors.NotFound(f"order {client_order_id} not open")
        canceled = replace(order, status=OrderStatus.CANCELED)
        self.known[canceled.client_order_id] = canceled
        return canceled

    # -- streams ---------------------------------------------------------------------

    async def subscribe_orders(self, *args: Any, **kwargs: Any) -> AsyncIterator[object]:
        if not self._subscribe:
            await asyncio.Event().wait()
        yield Subscribed("bench")
        sequence = 0
        while True:
            change = await self._changes.get()
            sequence += 1
            yield Update(change, "bench", sequence)

    async def subscribe_prices(self, *args: Any, **kwargs: Any) -> AsyncIterator[object]:
        yield Subscribed("bench")
        now = datetime.now(UTC)
        for sequence, price in enumerate(self._prices, start=1):
            self._cross(price, now)
            self.last_price = price
            yield Update(Ticker("BTC/USDT", price, now), "bench", sequence)
            # A real stream awaits the network between messages; without this the feed
            # would queue every tick before the engine placed a single order.
            await asyncio.sleep(0)
        self.fed.set()
        await asyncio.Event().wait()  # a live stream never ends

    def _cross(self, price: Decimal, now: datetime) -> None:
        """Fill every resting order this price reaches, as the matching engine would."""
        if self._reach is None:
            buys = [o.price for o in self.open.values() if o.side is Side.BUY]
            sells = [o.price for o in self.open.values() if o.side is Side.SELL]
            self._reach = (max(buys, default=None), min(sells, default=None))
        best_buy, best_sell = self._reach
        if (best_buy is None or price > best_buy) and (best_sell is None or price < best_sell):
            return
        self._reach = None
        for cid, order in list(self.open.items()):
            buy_hit = order.side is Side.BUY and price <= order.price
            sell_hit = order.side is Side.SELL and price >= order.price
            if not (buy_hit or sell_hit):
                continue
            del self.open[cid]
            filled = replace(
                order,
                status=OrderStatus.FILLED,
                filled_quantity=order.quantity,
                average_fill_price=order.price,
                updated_at=now,
            )
            self.known[cid] = filled
            self.fills += 1
            fill = Fill(
                trade_id=f"t{self.fills}",
                order_id=order.order_id,
                client_order_id=cid,
                symbol=order.symbol,
                side=order.side,
                price=order.price,
                quantity=order.quantity,
                fee=Decimal(0),
                fee_asset="USDT",
                maker=True,
                time=now,
            )
            self._changes.put_nowait(OrderChange(filled, fill))

    async def close(self) -> None:
        pass
