"""Builders shared by the test_mm_* tests: settings, symbol info, orders and fills."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from itertools import count
from typing import Any

from gridops.market_maker.domain.book import GridBook
from gridops.market_maker.domain.grid import GridSpec
from gridops.market_maker.domain.ids import client_order_id
from gridops.market_maker.domain.slots import Direction
from gridops.models import Fill, Order, OrderStatus, OrderType, Side, SymbolInfo
from gridops.spec import GridSettings

PREFIX = "t1"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
INFO = SymbolInfo(
    symbol="XYZ/USDT",
    base_asset="XYZ",
    quote_asset="USDT",
    tick_size=D("0.01"),
    step_size=D("0.001"),
    min_quantity=D("0.001"),
    min_notional=D("5"),
)
_trade_ids = count(1)


def grid_settings(**fields: Any) -> GridSettings:
    values: dict[str, Any] = {"price_interval": D(10), "order_quantity": D(1), "buy_window": 3}
    values.update(fields)
    return GridSettings(**values)


def make_spec(*, info: SymbolInfo = INFO, **fields: Any) -> GridSpec:
    return GridSpec.create(grid_settings(**fields), info)


def make_book(**fields: Any) -> GridBook:
    return GridBook(PREFIX, make_spec(**fields))


def cid(level: int, direction: Direction = Direction.LONG, n: int = 1) -> str:
    return client_order_id(PREFIX, level, direction, n)


def order(
    client_order_id: str,
    side: Side,
    price: D | int | str,
    quantity: D | int | str = 1,
    status: OrderStatus = OrderStatus.NEW,
    filled: D | int | str = 0,
) -> Order:
    return Order(
        order_id="x-" + client_order_id,
        client_order_id=client_order_id,
        symbol=INFO.symbol,
        side=side,
        type=OrderType.LIMIT,
        price=D(price),
        quantity=D(quantity),
        filled_quantity=D(filled),
        average_fill_price=D(price) if D(filled) else D(0),
        status=status,
        created_at=T0,
        updated_at=T0,
    )


def fill(
    client_order_id: str,
    side: Side,
    price: D | int | str,
    quantity: D | int | str = 1,
    *,
    fee: D | int | str = 0,
    trade_id: str | None = None,
    seconds: float | None = None,
) -> Fill:
    number = next(_trade_ids)
    return Fill(
        trade_id=trade_id or f"tr{number}",
        order_id="x-" + client_order_id,
        client_order_id=client_order_id,
        symbol=INFO.symbol,
        side=side,
        price=D(price),
        quantity=D(quantity),
        fee=D(fee),
        fee_asset=INFO.quote_asset,
        maker=True,
        time=T0 + timedelta(seconds=number if seconds is None else seconds),
    )
