"""A deterministic spot exchange in memory: the core of the `sim` connector.

PURE: no asyncio, no I/O (an import-linter contract checks it). Time comes from an
injected clock and randomness from an injected seeded `random.Random`, so the same
calls with the same seed give the same orders, fills and prices. Every mutating method
returns an `Outcome`: its result plus the events it caused, in the order they happened;
the adapter delivers those on its event stream.

Durability is a store's business (gridops.simexchange.store): once it `attach`es an
archive, the market notes what each call changes, hands that over as a `Delta`
(`take_delta`), and drops closed orders and old fills from memory once the store says
they are durable (`release`); lookups of those go to the archive.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from gridops.decimals import ZERO, fmt, is_multiple, round_to_step
from gridops.errors import FailedPrecondition, InvalidArgument, NotFound
from gridops.models import (
    Account,
    AccountEvent,
    Counters,
    ExchangeEvent,
    Fill,
    Order,
    OrderEvent,
    OrderRequest,
    OrderStatus,
    OrderType,
    PlaceResult,
    Position,
    PositionEvent,
    PriceEvent,
    Side,
    SymbolInfo,
    Ticker,
)

from .book import OrderBook, crosses
from .changes import Archive, Changes, Delta, NoChanges, SymbolState
from .fills import FillLog, fill_number
from .ledger import Ledger
from .orders import OrderState
from .positions import PositionState
from .pricewalk import next_price
from .results import OrderFill, Outcome, PriceMove
from .specs import MarketConfig, SymbolSpec

Clock = Callable[[], datetime]
SNAPSHOT_VERSION = 1


def utc_now() -> datetime:
    return datetime.now(UTC)


class SimMarket:
    def __init__(
        self,
        symbols: Iterable[SymbolSpec],
        balances: Mapping[str, Decimal] | None = None,
        *,
        config: MarketConfig | None = None,
        clock: Clock = utc_now,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config or MarketConfig()
        self._clock = clock
        self._rng = rng or random.Random(0)
        self._specs: dict[str, SymbolSpec] = {}
        self._prices: dict[str, Decimal] = {}
        self._price_times: dict[str, datetime] = {}
        now = clock()
        for spec in symbols:
            if spec.symbol in self._specs:
                raise ValueError(f"symbol {spec.symbol} listed twice")
            self._specs[spec.symbol] = spec
            self._prices[spec.symbol] = spec.price
            self._price_times[spec.symbol] = now
        self._ledger = Ledger(balances)
        self._positions = {s: PositionState() for s in self._specs}
        self._book = OrderBook()
        self._fills = FillLog()
        self._counters = Counters()
        self._events: list[ExchangeEvent] = []
        self._changes: Changes = NoChanges()

    # ---- queries -------------------------------------------------------------------

    def symbols(self) -> list[str]:
        return list(self._specs)

    def symbol_info(self, symbol: str) -> SymbolInfo:
        info = self._spec(symbol).info()
        return replace(info, maker_fee=self.config.maker_fee, taker_fee=self.config.taker_fee)

    def ticker(self, symbol: str) -> Ticker:
        self._spec(symbol)
        return Ticker(symbol, self._prices[symbol], self._price_times[symbol])

    def last_price(self, symbol: str) -> Decimal:
        return self._prices[self._spec(symbol).symbol]

    def account(self) -> Account:
        return Account(
            balances=self._ledger.balances(),
            equity=self._ledger.value_in(self.config.quote_asset, self._prices),
            quote_asset=self.config.quote_asset,
            updated_at=self._clock(),
        )

    def positions(self, symbol: str | None = None) -> list[Position]:
        """Every listed symbol's position (flat ones too: they carry realized PnL)."""
        wanted = [self._spec(symbol).symbol] if symbol else list(self._specs)
        return [self._position(s) for s in wanted]

    def open_orders(self, symbol: str | None = None, prefix: str | None = None) -> list[Order]:
        return [o.view() for o in self._book.open_orders(symbol, prefix)]

    def get_order(
        self, *, client_order_id: str | None = None, order_id: str | None = None
    ) -> Order:
        return self._book.find(client_order_id, order_id).view()

    def get_fills(
        self,
        symbol: str | None = None,
        since: datetime | None = None,
        prefix: str | None = None,
        limit: int | None = None,
    ) -> list[Fill]:
        return self._fills.query(symbol, since, prefix, limit)

    def counters(self) -> Counters:
        c = self._counters
        return Counters(
            orders_accepted=c.orders_accepted,
            orders_rejected=c.orders_rejected,
            orders_filled=c.orders_filled,
            orders_canceled=c.orders_canceled,
            fills=c.fills,
            extra={"open_orders": self._book.open_count()},
        )

    # ---- trading -------------------------------------------------------------------

    def place_order(self, request: OrderRequest) -> Outcome[PlaceResult]:
        """Place a limit order; the same client_order_id again returns the first order."""
        existing = self._book.by_client_id(request.client_order_id)
        if existing is not None:
            return Outcome(PlaceResult(existing.view(), duplicate=True))
        try:
            spec, lock_asset, lock_amount = self._admit(request)
        except (InvalidArgument, FailedPrecondition):
            self._counters.orders_rejected += 1
            self._changes.counted()
            raise
        now = self._clock()
        order_id, number = self._book.new_id()
        order = OrderState(
            order_id=order_id,
            client_order_id=request.client_order_id,
            symbol=spec.symbol,
            side=request.side,
            type=request.type,
            price=request.price,
            quantity=request.quantity,
            created_at=now,
            updated_at=now,
            seq=number,
            locked=lock_amount,
        )
        self._ledger.lock(lock_asset, lock_amount)
        self._book.add(order)
        self._counters.orders_accepted += 1
        self._changes.order(order)
        self._changes.balances()
        self._emit(OrderEvent(order.view()))
        self._emit_account()
        if crosses(order.side, order.price, self._prices[spec.symbol]):
            # A LIMIT that crosses takes liquidity at once, at the market's price.
            self._execute(order, order.remaining, self._prices[spec.symbol], maker=False)
        return Outcome(PlaceResult(order.view()), self._take_events())

    def cancel_order(
        self, *, client_order_id: str | None = None, order_id: str | None = None
    ) -> Outcome[Order]:
        """Cancel an open order; a closed one comes back unchanged, with no events."""
        order = self._book.find(client_order_id, order_id)
        if order.is_open:
            self._cancel(order)
        return Outcome(order.view(), self._take_events())

    def cancel_all_orders(
        self, symbol: str | None = None, prefix: str | None = None
    ) -> Outcome[list[Order]]:
        if symbol:
            self._spec(symbol)
        canceled = []
        for order in self._book.open_orders(symbol, prefix):
            self._cancel(order)
            canceled.append(order.view())
        return Outcome(canceled, self._take_events())

    # ---- simulator controls --------------------------------------------------------

    def set_price(self, symbol: str, price: Decimal) -> Outcome[PriceMove]:
        """Move the price (rounded to the tick); resting orders it crosses fill as makers."""
        spec = self._spec(symbol)
        if not price.is_finite() or price <= 0:
            raise InvalidArgument(f"price: must be greater than 0, got {price}")
        rounded = round_to_step(price, spec.tick_size)
        if rounded <= 0:
            raise InvalidArgument(
                f"price: {fmt(price)} rounds to 0 at the tick size {fmt(spec.tick_size)}"
            )
        return Outcome(self._move(spec, rounded), self._take_events())

    def step(self, symbol: str, dt_seconds: float) -> Outcome[PriceMove]:
        """Advance the seeded random walk of `symbol` by `dt_seconds`, then match."""
        spec = self._spec(symbol)
        self._changes.drew()
        price = next_price(
            self._rng,
            self._prices[symbol],
            spec.tick_size,
            dt_seconds,
            drift=self.config.drift,
            volatility=self.config.volatility,
        )
        return Outcome(self._move(spec, price), self._take_events())

    def fill_order(
        self, client_order_id: str, quantity: Decimal | None = None
    ) -> Outcome[OrderFill]:
        """Fill an open order at its own price without moving the market ("offline fill")."""
        order = self._book.by_client_id(client_order_id)
        if order is None:
            raise NotFound(f"order: no order with client_order_id {client_order_id!r}")
        if not order.is_open:
            raise FailedPrecondition(
                f"order {client_order_id!r} is {order.status.value}: only open orders fill"
            )
        step_size = self._specs[order.symbol].step_size
        qty = order.remaining if quantity is None else quantity
        if not qty.is_finite() or qty <= 0:
            raise InvalidArgument(f"quantity: must be greater than 0, got {qty}")
        if not is_multiple(qty, step_size):
            raise InvalidArgument(
                f"quantity: {fmt(qty)} is not a multiple of the step size {fmt(step_size)}"
            )
        if qty > order.remaining:
            raise InvalidArgument(
                f"quantity: {fmt(qty)} is more than the remaining {fmt(order.remaining)}"
            )
        fill = self._execute(order, qty, order.price, maker=True)
        return Outcome(OrderFill(order.view(), fill), self._take_events())

    def set_balances(self, balances: Mapping[str, Decimal]) -> Outcome[Account]:
        """Set the FREE amount of each listed asset; locked amounts and others stay."""
        for asset, amount in balances.items():
            if not asset or not amount.is_finite() or amount < 0:
                raise InvalidArgument(f"balances.{asset}: must be a non-negative amount")
        for asset, amount in balances.items():
            self._ledger.set_free(asset, amount)
        self._changes.balances()
        self._emit_account()
        return Outcome(self.account(), self._take_events())

    # ---- persistence ---------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The whole state as a JSON-able dict (`restore` reads it back).

        Of a market with an archive attached, only what is still in memory: open orders,
        and closed orders and fills not yet released.
        """
        return {
            "version": SNAPSHOT_VERSION,
            "config": self.config.to_dict(),
            "symbols": [
                {**spec.to_dict(), "price": str(self._prices[s])}
                | {"price_time": self._price_times[s].isoformat()}
                for s, spec in self._specs.items()
            ],
            "ledger": self._ledger.to_dict(),
            "positions": {s: p.to_dict() for s, p in self._positions.items()},
            "book": self._book.to_dict(),
            "fills": self._fills.to_dict(),
            "counters": self._counter_state(counters_only=True),
            "rng": rng_to_json(self._rng.getstate()),
        }

    def attach(self, archive: Archive) -> None:
        """Hand history over to `archive`, which holds everything the market holds now:
        closed orders and fills leave memory, and changes are noted for `take_delta`."""
        self._book.archive = archive
        self._fills.archive = archive
        self._book.forget([o.order_id for o in self._book.closed_orders()])
        self._fills.forget_through(self._fills.next_number - 1)
        self._changes = Changes()

    def take_delta(self) -> Delta:
        """What changed since the last take (or `attach`), as copies; resets the notes."""
        changes, self._changes = self._changes, Changes()
        return Delta(
            orders=[o.copy() for o in changes.orders.values()],
            closed=[o.order_id for o in changes.orders.values() if not o.is_open],
            fills=changes.fills,
            symbols=[
                SymbolState(s, self._prices[s], self._price_times[s], self._positions[s].copy())
                for s in changes.symbols
            ],
            ledger=self._ledger.copy() if changes.ledger else None,
            counters=self._counter_state() if changes.counters else None,
            rng=self._rng.getstate() if changes.rng else None,
        )

    def release(self, delta: Delta) -> None:
        """`delta` is durable: drop the orders it closed and its fills from memory."""
        if self._book.archive is None:
            return  # nobody could find them again
        self._book.forget(delta.closed)
        if delta.fills:
            self._fills.forget_through(fill_number(delta.fills[-1]))

    @classmethod
    def restore(cls, data: Mapping[str, Any], *, clock: Clock = utc_now) -> SimMarket:
        if data.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"unsupported sim snapshot version {data.get('version')!r}")
        rng = random.Random()
        version, internal, gauss_next = data["rng"]
        rng.setstate((version, tuple(internal), gauss_next))
        specs = [SymbolSpec.from_dict(s) for s in data["symbols"]]
        market = cls(specs, config=MarketConfig.from_dict(data["config"]), clock=clock, rng=rng)
        for raw in data["symbols"]:
            market._price_times[raw["symbol"]] = datetime.fromisoformat(raw["price_time"])
        market._ledger = Ledger.from_dict(data["ledger"])
        for symbol, raw in data["positions"].items():
            market._positions[symbol] = PositionState.from_dict(raw)
        market._book = OrderBook.from_dict(data["book"])
        market._fills = FillLog.from_dict(data["fills"])
        market._counters = Counters(**data["counters"])
        return market

    # ---- internals -----------------------------------------------------------------

    def _spec(self, symbol: str) -> SymbolSpec:
        spec = self._specs.get(symbol)
        if spec is None:
            raise NotFound(f"symbol: unknown symbol {symbol!r}")
        return spec

    def _admit(self, request: OrderRequest) -> tuple[SymbolSpec, str, Decimal]:
        """Check a new order against every rule; return what it must lock."""
        if not request.client_order_id:
            raise InvalidArgument("client_order_id: required, got an empty string")
        spec = self._specs.get(request.symbol)
        if spec is None:
            raise InvalidArgument(f"symbol: unknown symbol {request.symbol!r}")
        if request.side not in (Side.BUY, Side.SELL):
            raise InvalidArgument(f"side: must be BUY or SELL, got {request.side!r}")
        if request.type not in (OrderType.LIMIT, OrderType.LIMIT_MAKER):
            raise InvalidArgument(f"type: must be LIMIT or LIMIT_MAKER, got {request.type!r}")
        spec.check_order(request)
        last = self._prices[spec.symbol]
        if request.type is OrderType.LIMIT_MAKER and crosses(request.side, request.price, last):
            raise FailedPrecondition(
                f"LIMIT_MAKER {request.side.value} at {fmt(request.price)} would take "
                f"liquidity at the current price {fmt(last)}"
            )
        if request.side is Side.BUY:
            asset, amount = spec.quote_asset, self._buy_lock(request.price, request.quantity)
        else:
            asset, amount = spec.base_asset, request.quantity
        free = self._ledger.free(asset)
        if amount > free:
            raise FailedPrecondition(
                f"insufficient {asset} balance: need {fmt(amount)}, free {fmt(free)}"
            )
        return spec, asset, amount

    def _buy_lock(self, price: Decimal, quantity: Decimal) -> Decimal:
        return price * quantity * (1 + self.config.fee_reserve)

    def _cancel(self, order: OrderState) -> None:
        spec = self._specs[order.symbol]
        asset = spec.quote_asset if order.side is Side.BUY else spec.base_asset
        self._ledger.unlock(asset, order.locked)
        order.locked = ZERO
        order.status = OrderStatus.CANCELED
        order.updated_at = self._clock()
        self._book.closed(order)
        self._counters.orders_canceled += 1
        self._changes.order(order)
        self._changes.balances()
        self._emit(OrderEvent(order.view()))
        self._emit_account()

    def _move(self, spec: SymbolSpec, price: Decimal) -> PriceMove:
        symbol = spec.symbol
        now = self._clock()
        self._prices[symbol] = price
        self._price_times[symbol] = now
        self._changes.symbol(symbol)
        ticker = Ticker(symbol, price, now)
        self._emit(PriceEvent(ticker))
        if self._positions[symbol].quantity != 0:
            self._emit(PositionEvent(self._position(symbol)))
        crossed = self._book.crossed(symbol, price)
        filled = []
        for order in crossed:
            self._execute(order, self._crossing_quantity(order, spec), order.price, maker=True)
            filled.append(order.view())
        return PriceMove(ticker, filled)

    def _crossing_quantity(self, order: OrderState, spec: SymbolSpec) -> Decimal:
        """All of the remainder, or (with partial fills on) a seeded share of it."""
        probability = self.config.partial_fill_probability
        # Draw only when partial fills are on, so turning them off keeps the price walk
        # identical for a given seed.
        if probability <= 0:
            return order.remaining
        self._changes.drew()
        if self._rng.random() >= probability:
            return order.remaining
        steps = int(order.remaining / spec.step_size)
        if steps < 2:
            return order.remaining
        return self._rng.randint(1, steps - 1) * spec.step_size

    def _execute(
        self, order: OrderState, quantity: Decimal, price: Decimal, *, maker: bool
    ) -> Fill:
        spec = self._specs[order.symbol]
        base, quote = spec.base_asset, spec.quote_asset
        value = price * quantity
        fee = value * (self.config.maker_fee if maker else self.config.taker_fee)
        final = quantity == order.remaining
        # This slice's share of the order's lock; the last slice takes all that is left.
        if final:
            share = order.locked
        elif order.side is Side.BUY:
            share = self._buy_lock(order.price, quantity)
        else:
            share = quantity
        self._ledger.settle(order.side, base, quote, share, quantity, value, fee)
        order.locked -= share
        order.filled_quantity += quantity
        order.filled_value += value
        now = self._clock()
        order.updated_at = now
        if final:
            order.status = OrderStatus.FILLED
            self._book.closed(order)
            self._counters.orders_filled += 1
        else:
            order.status = OrderStatus.PARTIALLY_FILLED
        fill = self._fills.record(
            order, price, quantity, fee=fee, fee_asset=quote, maker=maker, time=now
        )
        self._counters.fills += 1
        self._positions[order.symbol].apply_fill(order.side, price, quantity, fee)
        self._changes.order(order)
        self._changes.fill(fill)
        self._emit(OrderEvent(order.view(), fill))
        self._emit_account()
        self._emit(PositionEvent(self._position(order.symbol)))
        return fill

    def _counter_state(self, *, counters_only: bool = False) -> dict[str, int]:
        c = self._counters
        state = {
            "orders_accepted": c.orders_accepted,
            "orders_rejected": c.orders_rejected,
            "orders_filled": c.orders_filled,
            "orders_canceled": c.orders_canceled,
            "fills": c.fills,
        }
        if not counters_only:
            state |= {"next_order": self._book.next_number, "next_trade": self._fills.next_number}
        return state

    def _position(self, symbol: str) -> Position:
        tick = self._specs[symbol].tick_size
        return self._positions[symbol].view(symbol, self._prices[symbol], self._clock(), tick)

    def _emit(self, event: ExchangeEvent) -> None:
        self._events.append(event)

    def _emit_account(self) -> None:
        self._emit(AccountEvent(self.account()))

    def _take_events(self) -> list[ExchangeEvent]:
        events, self._events = self._events, []
        return events


def rng_to_json(state: tuple[Any, ...]) -> list[Any]:
    """`Random.getstate()` as JSON can hold it (`restore` turns it back)."""
    version, internal, gauss_next = state
    return [version, list(internal), gauss_next]
