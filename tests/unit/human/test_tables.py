"""Fills and connector orders as tables and JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from gridops.human.render import Style
from gridops.human.tables import (
    exchange_orders_table,
    fill_document,
    fills_summary,
    fills_table,
    orders_table,
)
from gridops.models import Fill, Order, OrderStatus, OrderType, Side

T0 = datetime(2025, 1, 2, 12, 0, 0, tzinfo=UTC)


def fill(n: int, side: Side, price: str, fee: str = "0.05", asset: str = "USDT") -> Fill:
    return Fill(
        trade_id=f"t{n}",
        order_id=f"o{n}",
        client_order_id=f"btc-grid-999-B-{n}",
        symbol="BTC/USDT",
        side=side,
        price=Decimal(price),
        quantity=Decimal("0.001"),
        fee=Decimal(fee),
        fee_asset=asset,
        maker=side is Side.BUY,
        time=T0 + timedelta(seconds=n),
    )


def test_a_fill_as_json_keeps_decimal_strings() -> None:
    document = fill_document(fill(1, Side.BUY, "49950.10", fee="0.0499501"))
    assert document == {
        "time": "2025-01-02T12:00:01+00:00",
        "tradeId": "t1",
        "orderId": "o1",
        "clientOrderId": "btc-grid-999-B-1",
        "symbol": "BTC/USDT",
        "side": "BUY",
        "price": "49950.1",
        "quantity": "0.001",
        "fee": "0.0499501",
        "feeAsset": "USDT",
        "maker": True,
    }


def test_fills_table_in_utc_and_summary_per_fee_asset() -> None:
    fills = [fill(1, Side.BUY, "49950"), fill(2, Side.SELL, "50000"), fill(3, Side.BUY, "49950")]
    local = fills[0].time.astimezone(timezone(timedelta(hours=2)))
    fills[0] = Fill(**{**{f: getattr(fills[0], f) for f in fills[0].__slots__}, "time": local})
    lines = fills_table(fills, Style(False))
    assert lines[0].split() == [
        "TIME", "(UTC)", "SIDE", "PRICE", "QUANTITY", "FEE", "ROLE", "CLIENT", "ORDER", "ID",
    ]  # fmt: skip
    assert lines[1].split() == [
        "2025-01-02", "12:00:01", "BUY", "49950", "0.001", "0.05", "USDT", "maker",
        "btc-grid-999-B-1",
    ]  # fmt: skip
    assert lines[2].split()[2] == "SELL"
    assert lines[2].split()[-2] == "taker"
    summary = fills_summary(fills, 3, "BTC")
    assert summary == "3 fills: bought 0.002 BTC, sold 0.001 BTC; fees 0.15 USDT"
    mixed = [fill(1, Side.BUY, "49950"), fill(2, Side.BUY, "49950", fee="0.0001", asset="BNB")]
    assert fills_summary(mixed, 10, "BTC") == (
        "the last 2 of 10 fills: bought 0.002 BTC, sold 0 BTC; fees 0.05 USDT, 0.0001 BNB"
    )
    assert fills_table([], Style(False)) == ["no fills"]


def test_connector_orders_table() -> None:
    order = Order(
        order_id="1",
        client_order_id="btc-grid-999-B-1",
        symbol="BTC/USDT",
        side=Side.BUY,
        type=OrderType.LIMIT_MAKER,
        price=Decimal("49950.00"),
        quantity=Decimal("0.00100"),
        filled_quantity=Decimal(0),
        average_fill_price=Decimal(0),
        status=OrderStatus.NEW,
        created_at=T0,
        updated_at=T0,
    )
    lines = exchange_orders_table([order], Style(False))
    assert lines[1].split() == ["BTC/USDT", "BUY", "49950", "0.001", "0", "NEW", "btc-grid-999-B-1"]


def test_orders_without_a_price_have_no_marker() -> None:
    orders = [{"clientOrderId": "a-1-B-1", "side": "BUY", "price": "10", "quantity": "1",
               "filled": "0"}]  # fmt: skip
    lines = orders_table(orders, None, Style(False))
    assert len(lines) == 2
    assert "last price" not in "\n".join(lines)
    assert orders_table([], "10", Style(False)) == ["no open orders"]
