"""The simulated exchange behind the market maker's `ExchangePort`, in-process.

`gridops backtest` runs the live engine unchanged; only what it talks to differs. Instead
of a gRPC client of a connector it gets this: the same `SimMarket` the `sim` connector
serves (same order admission, same maker/taker fills and fees, same idempotent PlaceOrder
by client order id), called directly, and streams that deliver the market's events as the
connector's would (`Subscribed`, then `Update`s in order). Prices move only when the
driver calls `set_price`, at the driver's clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from gridops.client import OrderChange, StreamItem, Subscribed, Update
from gridops.models import (
    ExchangeEvent,
    Fill,
    Order,
    OrderEvent,
    OrderRequest,
    PlaceResult,
    PriceEvent,
    SymbolInfo,
    Ticker,
)
from gridops.order_ids import matches
from gridops.simexchange.market import SimMarket
from gridops.simexchange.results import PriceMove

SESSION = "backtest"


@dataclass(frozen=True, slots=True)
class Info:
    exchange: str
    account: str
    symbols: Sequence[str]


@dataclass(slots=True)
class _Subscriber:
    queue: asyncio.Queue[StreamItem[OrderChange]] | asyncio.Queue[StreamItem[Ticker]]
    symbols: frozenset[str]
    prefix: str | None = None


class SimPort:
    def __init__(self, market: SimMarket) -> None:
        self.market = market
        self.fencing_token = 0
        self._orders: list[_Subscriber] = []
        self._prices: list[_Subscriber] = []
        self._sequence = 0
        #: every order the exchange accepted, as it was at placement
        self.placed: list[Order] = []

    # -- what the driver does -------------------------------------------------------------

    def set_price(self, symbol: str, price: Decimal) -> PriceMove:
        """Move the market; the orders it crosses fill, and both streams hear of it."""
        outcome = self.market.set_price(symbol, price)
        self._publish(outcome.events)
        return outcome.value

    @property
    def quiet(self) -> bool:
        """Every stream delivered: nothing is waiting for the engine to take it."""
        return all(s.queue.empty() for s in self._orders) and all(
            s.queue.empty() for s in self._prices
        )

    @property
    def listening(self) -> bool:
        return bool(self._orders) and bool(self._prices)

    # -- the ExchangePort ---------------------------------------------------------------

    async def claim_writer(self, prefix: str, token: int, holder: str, lease_seconds: int) -> int:
        return token  # one engine, one process: nobody to fence

    async def get_info(self, *, timeout: float | None = None) -> Info:
        return Info(SESSION, SESSION, self.market.symbols())

    async def get_symbol_info(self, symbol: str) -> SymbolInfo:
        return self.market.symbol_info(symbol)

    async def get_ticker(self, symbol: str) -> Ticker:
        return self.market.ticker(symbol)

    async def get_open_orders(
        self, symbol: str | None = None, prefix: str | None = None
    ) -> list[Order]:
        return self.market.open_orders(symbol, prefix)

    async def get_order(self, *, client_order_id: str | None = None) -> Order:
        return self.market.get_order(client_order_id=client_order_id)

    async def get_fills(
        self, symbol: str | None = None, *, prefix: str | None = None
    ) -> list[Fill]:
        return self.market.get_fills(symbol, prefix=prefix)

    async def place_order(self, order: OrderRequest) -> PlaceResult:
        outcome = self.market.place_order(order)
        if not outcome.value.duplicate:
            self.placed.append(outcome.value.order)
        self._publish(outcome.events)
        return outcome.value

    async def cancel_order(self, *, client_order_id: str | None = None) -> Order:
        outcome = self.market.cancel_order(client_order_id=client_order_id)
        self._publish(outcome.events)
        return outcome.value

    async def cancel_all_orders(
        self, symbol: str | None = None, prefix: str | None = None
    ) -> list[Order]:
        outcome = self.market.cancel_all_orders(symbol, prefix)
        self._publish(outcome.events)
        return outcome.value

    async def subscribe_orders(
        self, symbol: str | None = None, prefix: str | None = None
    ) -> AsyncIterator[StreamItem[OrderChange]]:
        queue: asyncio.Queue[StreamItem[OrderChange]] = asyncio.Queue()
        subscriber = _Subscriber(queue, frozenset([symbol] if symbol else []), prefix)
        # registered before Subscribed is yielded: from then on nothing is missed
        self._orders.append(subscriber)
        try:
            yield Subscribed(SESSION)
            while True:
                yield await queue.get()
        finally:
            self._orders.remove(subscriber)

    async def subscribe_prices(
        self, symbols: Iterable[str] = ()
    ) -> AsyncIterator[StreamItem[Ticker]]:
        queue: asyncio.Queue[StreamItem[Ticker]] = asyncio.Queue()
        subscriber = _Subscriber(queue, frozenset(symbols))
        self._prices.append(subscriber)
        try:
            yield Subscribed(SESSION)
            while True:
                yield await queue.get()
        finally:
            self._prices.remove(subscriber)

    def _publish(self, events: Iterable[ExchangeEvent]) -> None:
        for event in events:
            if isinstance(event, OrderEvent):
                self._sequence += 1
                change = Update(OrderChange(event.order, event.fill), SESSION, self._sequence)
                for sub in self._orders:
                    if (not sub.symbols or event.order.symbol in sub.symbols) and matches(
                        sub.prefix, event.order.client_order_id
                    ):
                        sub.queue.put_nowait(change)  # type: ignore[arg-type]
            elif isinstance(event, PriceEvent):
                self._sequence += 1
                tick = Update(event.ticker, SESSION, self._sequence)
                for sub in self._prices:
                    if not sub.symbols or event.ticker.symbol in sub.symbols:
                        sub.queue.put_nowait(tick)  # type: ignore[arg-type]


if TYPE_CHECKING:
    from gridops.market_maker.port import ExchangePort

    def _sim_port_is_a_port(port: SimPort) -> ExchangePort:
        return port
