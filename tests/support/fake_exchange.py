"""An instant in-process exchange behind the market maker's `ExchangePort`.

No network, no sim market: orders are acknowledged at once, PlaceOrder is idempotent by
client order id (as the connector's is), and a resting order fills fully as soon as a
price crosses it. Used by the engine benchmark (which times the engine's own work, not
gRPC) and by the engine/executor/reconcile tests, which also drive it by hand:
`push_price`, `fill` (also while no engine listens: fills while away), `fail_next`
(a PlaceOrder or CancelOrder error), `resync`.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from gridops import errors, order_ids
from gridops.client import OrderChange, Resync, ResyncReason, StreamItem, Subscribed, Update
from gridops.connector.fencing import Fencing
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
from gridops.order_ids import matches

SYMBOL = "BTC/USDT"
SYMBOL_INFO = SymbolInfo(
    symbol=SYMBOL,
    base_asset="BTC",
    quote_asset="USDT",
    tick_size=Decimal("0.01"),
    step_size=Decimal("0.00001"),
    min_quantity=Decimal("0.00001"),
    min_notional=Decimal("5"),
)
SESSION = "fake"


@dataclass(frozen=True, slots=True)
class Info:
    exchange: str = "fake"
    account: str = "default"
    symbols: Sequence[str] = (SYMBOL,)


@dataclass(slots=True)
class Calls:
    """What the engine asked for, in order, by method: client order ids for orders."""

    placed: list[str] = field(default_factory=list)
    canceled: list[str] = field(default_factory=list)
    looked_up: list[str] = field(default_factory=list)


class FakeExchange:
    def __init__(
        self,
        prices: Iterable[Decimal] = (),
        *,
        subscribe: bool = True,
        symbol_info: SymbolInfo = SYMBOL_INFO,
    ) -> None:
        """`prices` feed the price stream first, then whatever `push_price` adds.

        `subscribe=False`: the order stream never confirms, so an engine never syncs
        and never plans: what is left per tick is its loop, risk monitor and metrics.
        """
        self._prices = prices
        self._subscribe = subscribe
        self.symbol_info = symbol_info
        self.open: dict[str, Order] = {}
        self.known: dict[str, Order] = {}
        #: every fill, oldest first: GetFills' answer
        self.history: list[Fill] = []
        self.calls = Calls()
        self.placed = 0
        self.fills = 0
        #: set once the last of `prices` has been handed to the engine
        self.fed = asyncio.Event()
        self.last_price = Decimal(0)
        self._ids = itertools.count(1)
        self._order_streams: list[asyncio.Queue[StreamItem[OrderChange]]] = []
        self._pushed: asyncio.Queue[Decimal] = asyncio.Queue()
        self._failures: defaultdict[str, list[errors.GridopsError]] = defaultdict(list)
        # The highest resting buy and lowest resting sell, while no order came or went:
        # most prices reach neither, and the benchmark should time the engine, not a
        # scan of the book on every tick.
        self._reach: tuple[Decimal | None, Decimal | None] | None = None
        #: the connector's own fencing rules, so engine tests meet what production does
        self.fencing = Fencing()
        #: the token this (single) client sends; see ConnectorClient.fencing_token
        self.fencing_token = 0
        #: (prefix, token, holder, lease seconds) of every claim, oldest first
        self.claims: list[tuple[str, int, str, int]] = []

    # -- driving it from a test --------------------------------------------------------

    def push_price(self, price: Decimal) -> None:
        """The next price on the price stream (after `prices` ran out)."""
        self._pushed.put_nowait(price)

    def fail_next(self, method: str, error: errors.GridopsError) -> None:
        """The next call of `method` ("place_order", "cancel_order") raises `error`."""
        self._failures[method].append(error)

    def fill(self, client_order_id: str, quantity: Decimal | None = None) -> Fill:
        """Fill a resting order (all of what is left, or `quantity`) at its price."""
        order = self.open[client_order_id]
        left = order.quantity - order.filled_quantity
        return self._fill(order, left if quantity is None else quantity, datetime.now(UTC))

    def resync(self, reason: ResyncReason = ResyncReason.RECONNECTED) -> None:
        """Tell the order streams to resync, as the client does after a reconnect."""
        self._publish(Resync(reason, SESSION, SESSION))

    @property
    def listening(self) -> int:
        """Order streams open now (0 while no engine runs)."""
        return len(self._order_streams)

    # -- unary -----------------------------------------------------------------------

    async def get_info(self, *, timeout: float | None = None) -> Info:
        return Info(symbols=(self.symbol_info.symbol,))

    async def get_symbol_info(self, symbol: str) -> SymbolInfo:
        if symbol != self.symbol_info.symbol:
            raise errors.NotFound(f"symbol {symbol} not found")
        return self.symbol_info

    async def get_ticker(self, symbol: str) -> Ticker:
        return Ticker(symbol, self.last_price, datetime.now(UTC))

    async def get_open_orders(
        self, symbol: str | None = None, prefix: str | None = None
    ) -> list[Order]:
        return [o for o in self.open.values() if matches(prefix, o.client_order_id)]

    async def get_fills(
        self, symbol: str | None = None, *, prefix: str | None = None
    ) -> list[Fill]:
        return [f for f in self.history if matches(prefix, f.client_order_id)]

    async def get_order(self, *, client_order_id: str | None = None) -> Order:
        self.calls.looked_up.append(client_order_id or "")
        order = self.known.get(client_order_id or "")
        if order is None:
            raise errors.NotFound(f"order {client_order_id} not found")
        return order

    async def claim_writer(self, prefix: str, token: int, holder: str, lease_seconds: int) -> int:
        self.claims.append((prefix, token, holder, lease_seconds))
        self._raise_injected("claim_writer")
        return self.fencing.claim(prefix, token, holder, lease_seconds).token

    def _fence(self, client_order_id: str, what: str) -> None:
        strategy = order_ids.strategy_of(client_order_id)
        if strategy is not None:
            self.fencing.check(strategy, self.fencing_token, "", what)

    async def place_order(self, order: OrderRequest) -> PlaceResult:
        self.calls.placed.append(order.client_order_id)
        self._raise_injected("place_order")
        self._fence(order.client_order_id, "PlaceOrder")
        seen = self.known.get(order.client_order_id)
        if seen is not None:
            return PlaceResult(seen, duplicate=True)
        now = datetime.now(UTC)
        placed = Order(
            order_id=str(next(self._ids)),
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            type=order.type,
            price=order.price,
            quantity=order.quantity,
            filled_quantity=Decimal(0),
            average_fill_price=Decimal(0),
            status=OrderStatus.NEW,
            created_at=now,
            updated_at=now,
        )
        self.open[placed.client_order_id] = self.known[placed.client_order_id] = placed
        self._reach = None
        self.placed += 1
        return PlaceResult(placed)

    async def cancel_order(self, *, client_order_id: str | None = None) -> Order:
        self.calls.canceled.append(client_order_id or "")
        self._raise_injected("cancel_order")
        self._fence(client_order_id or "", "CancelOrder")
        order = self.open.pop(client_order_id or "", None)
        self._reach = None
        if order is None:
            raise errors.NotFound(f"order {client_order_id} not open")
        canceled = replace(order, status=OrderStatus.CANCELED, updated_at=datetime.now(UTC))
        self.known[canceled.client_order_id] = canceled
        return canceled

    async def cancel_all_orders(
        self, symbol: str | None = None, prefix: str | None = None
    ) -> list[Order]:
        return [
            await self.cancel_order(client_order_id=o.client_order_id)
            for o in await self.get_open_orders(symbol, prefix)
        ]

    # -- streams ---------------------------------------------------------------------

    async def subscribe_orders(
        self, symbol: str | None = None, prefix: str | None = None
    ) -> AsyncIterator[StreamItem[OrderChange]]:
        if not self._subscribe:
            await asyncio.Event().wait()
        # Registered before Subscribed is yielded: from then on nothing is missed, as
        # the connector promises.
        queue: asyncio.Queue[StreamItem[OrderChange]] = asyncio.Queue()
        self._order_streams.append(queue)
        try:
            yield Subscribed(SESSION)
            sequence = 0
            while True:
                item = await queue.get()
                if isinstance(item, Update):
                    if not matches(prefix, item.value.order.client_order_id):
                        continue
                    sequence += 1
                    item = Update(item.value, SESSION, sequence)
                yield item
        finally:
            self._order_streams.remove(queue)

    async def subscribe_prices(
        self, symbols: Iterable[str] = ()
    ) -> AsyncIterator[StreamItem[Ticker]]:
        yield Subscribed(SESSION)
        sequence = 0
        for price in self._prices:
            sequence += 1
            yield self._tick(price, sequence)
            # A real stream awaits the network between messages; without this the feed
            # would queue every tick before the engine placed a single order.
            await asyncio.sleep(0)
        self.fed.set()
        while True:  # a live stream never ends
            sequence += 1
            yield self._tick(await self._pushed.get(), sequence)

    # -- matching ----------------------------------------------------------------------

    def _tick(self, price: Decimal, sequence: int) -> Update[Ticker]:
        now = datetime.now(UTC)
        self._cross(price, now)
        self.last_price = price
        return Update(Ticker(self.symbol_info.symbol, price, now), SESSION, sequence)

    def _cross(self, price: Decimal, now: datetime) -> None:
        """Fill every resting order this price reaches, as the matching engine would."""
        if self._reach is None:
            buys = [o.price for o in self.open.values() if o.side is Side.BUY]
            sells = [o.price for o in self.open.values() if o.side is Side.SELL]
            self._reach = (max(buys, default=None), min(sells, default=None))
        best_buy, best_sell = self._reach
        if (best_buy is None or price > best_buy) and (best_sell is None or price < best_sell):
            return
        for order in list(self.open.values()):
            buy_hit = order.side is Side.BUY and price <= order.price
            sell_hit = order.side is Side.SELL and price >= order.price
            if buy_hit or sell_hit:
                self._fill(order, order.quantity - order.filled_quantity, now)

    def _fill(self, order: Order, quantity: Decimal, now: datetime) -> Fill:
        filled_quantity = order.filled_quantity + quantity
        done = filled_quantity >= order.quantity
        updated = replace(
            order,
            status=OrderStatus.FILLED if done else OrderStatus.PARTIALLY_FILLED,
            filled_quantity=filled_quantity,
            average_fill_price=order.price,
            updated_at=now,
        )
        self.known[order.client_order_id] = updated
        if done:
            del self.open[order.client_order_id]
        else:
            self.open[order.client_order_id] = updated
        self._reach = None
        self.fills += 1
        fill = Fill(
            trade_id=f"t{self.fills}",
            order_id=order.order_id,
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            price=order.price,
            quantity=quantity,
            fee=Decimal(0),
            fee_asset=self.symbol_info.quote_asset,
            maker=True,
            time=now,
        )
        self.history.append(fill)
        self._publish(Update(OrderChange(updated, fill), SESSION, 0))
        return fill

    def _publish(self, item: StreamItem[OrderChange]) -> None:
        for queue in self._order_streams:
            queue.put_nowait(item)

    def _raise_injected(self, method: str) -> None:
        waiting = self._failures.get(method)
        if waiting:
            raise waiting.pop(0)


if TYPE_CHECKING:
    from gridops.market_maker.port import ExchangePort

    def _fake_is_a_port(fake: FakeExchange) -> ExchangePort:
        return fake
