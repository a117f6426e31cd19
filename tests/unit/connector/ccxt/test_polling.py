"""The polled event stream's diff, and which venues are polled."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from gridops.connector.ccxt.adapter import CcxtAdapter
from gridops.connector.ccxt.credentials import Credentials
from gridops.connector.ccxt.exchange import make_exchange
from gridops.connector.ccxt.polling import Snapshot, diff
from gridops.models import Balance, Order, OrderStatus, OrderType, Side, Ticker

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _order(oid: str, filled: str = "0") -> Order:
    return Order(oid, f"g-{oid}-B-1", "BTC/USDT", Side.BUY, OrderType.LIMIT, Decimal("100"),
                 Decimal("1"), Decimal(filled), Decimal(0), OrderStatus.NEW, NOW, NOW)  # fmt: skip


def test_new_changed_and_closed_orders_balances_and_moves() -> None:
    before = Snapshot(
        orders={"1": _order("1"), "2": _order("2"), "3": _order("3")},
        balances={"USDT": Balance("USDT", Decimal(100)), "BTC": Balance("BTC", Decimal(1))},
        prices={"BTC/USDT": Ticker("BTC/USDT", Decimal(100), NOW)},
    )
    partly = replace(_order("2", "0.5"), status=OrderStatus.PARTIALLY_FILLED)
    after = Snapshot(
        orders={"1": _order("1"), "2": partly, "4": _order("4")},
        balances={
            "USDT": Balance("USDT", Decimal(50), Decimal(50)),  # total same, locked moved
            "BTC": Balance("BTC", Decimal("1.5")),
        },
        prices={"BTC/USDT": Ticker("BTC/USDT", Decimal(101), NOW)},
    )
    changes = diff(before, after)
    assert [o.order_id for o in changes.orders] == ["2", "4"]
    assert changes.closed == ["3"]
    assert changes.assets == ["BTC", "USDT"]
    assert [t.price for t in changes.tickers] == [Decimal(101)]
    assert diff(after, after) == diff(Snapshot(), Snapshot())


@pytest.mark.parametrize(
    ("exchange_id", "polling", "reads"),
    [("binance", None, True), ("binanceus", None, True), ("kraken", None, False),
     ("binance", True, False)],
)  # fmt: skip
async def test_binance_family_is_read_others_polled(
    exchange_id: str, polling: bool | None, reads: bool
) -> None:
    creds = Credentials("k", "s")
    adapter = CcxtAdapter(make_exchange(exchange_id, creds), creds, polling=polling)
    try:
        assert adapter.reads_messages is reads
    finally:
        await adapter.close()
