"""Domain types shared by every gridops component: plain data, Decimal amounts, no I/O.

They mirror the wire messages of protos/gridops/v1 (gridops.wire converts both ways).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from gridops.decimals import ZERO


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    LIMIT = "LIMIT"
    LIMIT_MAKER = "LIMIT_MAKER"


class OrderStatus(StrEnum):
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"

    @property
    def is_open(self) -> bool:
        return self in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)


def split_symbol(symbol: str) -> tuple[str, str]:
    """'BTC/USDT' -> ('BTC', 'USDT'); ValueError if it is not BASE/QUOTE."""
    base, sep, quote = symbol.partition("/")
    if not sep or not base or not quote or "/" in quote:
        raise ValueError(f"symbol {symbol!r} is not BASE/QUOTE")
    return base, quote


@dataclass(frozen=True, slots=True)
class Balance:
    asset: str
    free: Decimal
    locked: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


@dataclass(frozen=True, slots=True)
class Account:
    balances: tuple[Balance, ...]
    equity: Decimal
    quote_asset: str
    updated_at: datetime

    def balance(self, asset: str) -> Balance:
        for balance in self.balances:
            if balance.asset == asset:
                return balance
        return Balance(asset, ZERO, ZERO)


@dataclass(frozen=True, slots=True)
class Position:
    symbol: str
    quantity: Decimal
    entry_price: Decimal
    mark_price: Decimal
    unrealized_pnl: Decimal
    realized_pnl: Decimal
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class SymbolInfo:
    symbol: str
    base_asset: str
    quote_asset: str
    tick_size: Decimal
    step_size: Decimal
    min_quantity: Decimal
    min_notional: Decimal
    #: fee rates as fractions (0.001 = 0.1 %); zero when the venue does not say
    maker_fee: Decimal = ZERO
    taker_fee: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Ticker:
    symbol: str
    price: Decimal
    time: datetime


@dataclass(frozen=True, slots=True)
class OrderRequest:
    client_order_id: str
    symbol: str
    side: Side
    price: Decimal
    quantity: Decimal
    type: OrderType = OrderType.LIMIT


@dataclass(frozen=True, slots=True)
class Order:
    order_id: str
    client_order_id: str
    symbol: str
    side: Side
    type: OrderType
    price: Decimal
    quantity: Decimal
    filled_quantity: Decimal
    average_fill_price: Decimal
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    reject_reason: str = ""

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled_quantity

    @property
    def is_open(self) -> bool:
        return self.status.is_open


@dataclass(frozen=True, slots=True)
class Fill:
    trade_id: str
    order_id: str
    client_order_id: str
    symbol: str
    side: Side
    price: Decimal
    quantity: Decimal
    fee: Decimal
    fee_asset: str
    maker: bool
    time: datetime


# Events an exchange adapter emits on its one upstream connection.


@dataclass(frozen=True, slots=True)
class AccountEvent:
    account: Account


@dataclass(frozen=True, slots=True)
class PositionEvent:
    position: Position


@dataclass(frozen=True, slots=True)
class OrderEvent:
    order: Order
    fill: Fill | None = None


@dataclass(frozen=True, slots=True)
class PriceEvent:
    ticker: Ticker


ExchangeEvent = AccountEvent | PositionEvent | OrderEvent | PriceEvent


@dataclass(frozen=True, slots=True)
class UpstreamOpened:
    """First item of an adapter's event stream: from here on, no event is missed."""


@dataclass(frozen=True, slots=True)
class PlaceResult:
    order: Order
    duplicate: bool = False


@dataclass(slots=True)
class Counters:
    """What the simulated exchange has done; served by Simulator.GetStats."""

    orders_accepted: int = 0
    orders_rejected: int = 0
    orders_filled: int = 0
    orders_canceled: int = 0
    fills: int = 0
    extra: dict[str, int] = field(default_factory=dict)
