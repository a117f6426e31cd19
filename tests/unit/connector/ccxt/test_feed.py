"""Binance user-data and market messages turned into gridops events, in order."""

from __future__ import annotations

from decimal import Decimal

from gridops.connector.ccxt.feed import Feed
from gridops.connector.ccxt.index import OrderIndex
from gridops.connector.ccxt.markets import symbol_info
from gridops.models import (
    AccountEvent,
    Balance,
    OrderEvent,
    OrderStatus,
    OrderType,
    PositionEvent,
    PriceEvent,
    Side,
)

from .support import parsed_market


def _feed() -> Feed:
    feed = Feed(OrderIndex())
    feed.set_markets({"BTCUSDT": "BTC/USDT"}, {"BTC/USDT": symbol_info(parsed_market())})
    feed.set_balances({"BTC": Balance("BTC", Decimal("1")), "USDT": Balance("USDT", Decimal(0))})
    return feed


def _report(**changes: object) -> dict[str, object]:
    report: dict[str, object] = {
        "e": "executionReport", "E": 1700000000100, "s": "BTCUSDT", "c": "g-1-B-1",
        "S": "BUY", "o": "LIMIT", "f": "GTC", "q": "0.00200000", "p": "45000.10000000",
        "C": "", "x": "NEW", "X": "NEW", "r": "NONE", "i": 17, "l": "0.00000000",
        "z": "0.00000000", "L": "0.00000000", "n": "0", "N": None, "T": 1700000000099,
        "t": -1, "m": False, "O": 1700000000000, "Z": "0.00000000",
    }  # fmt: skip
    report.update(changes)
    return report


def test_a_trade_report_is_an_order_event_with_its_fill() -> None:
    feed = _feed()
    trade = _report(
        x="TRADE",
        X="PARTIALLY_FILLED",
        l="0.00100000",
        z="0.00100000",
        L="45000.10000000",
        Z="45.00010000",
        n="0.00000100",
        N="BTC",
        t=99,
        m=True,
    )
    # ccxt's WebSocket API wraps user data as {"subscriptionId": .., "event": {...}}.
    (event,) = feed.handle({"subscriptionId": 0, "event": trade})
    assert isinstance(event, OrderEvent)
    order, fill = event.order, event.fill
    assert (order.order_id, order.client_order_id, order.symbol) == ("17", "g-1-B-1", "BTC/USDT")
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert order.side is Side.BUY
    assert order.price == Decimal("45000.1")
    assert order.filled_quantity == Decimal("0.001")
    assert order.average_fill_price == Decimal("45000.1")
    assert fill is not None
    assert (fill.trade_id, fill.quantity, fill.fee, fill.fee_asset, fill.maker) == (
        "99", Decimal("0.001"), Decimal("0.000001"), "BTC", True,
    )  # fmt: skip
    assert feed.index.by_order_id("17") is not None


def test_a_cancel_names_the_order_by_its_original_client_id() -> None:
    (event,) = _feed().handle(_report(x="CANCELED", X="CANCELED", c="cancel-req-9",
                                      C="g-1-B-1", o="LIMIT_MAKER"))  # fmt: skip
    assert isinstance(event, OrderEvent)
    assert event.order.client_order_id == "g-1-B-1"
    assert event.order.status is OrderStatus.CANCELED
    assert event.fill is None
    assert event.order.type is OrderType.LIMIT_MAKER


def test_balance_changes_update_account_and_positions() -> None:
    feed = _feed()
    feed.handle({"e": "24hrTicker", "E": 1, "s": "BTCUSDT", "c": "50000.00"})
    events = feed.handle(
        {"e": "outboundAccountPosition", "u": 1,
         "B": [{"a": "BTC", "f": "1.00100000", "l": "0.00000000"},
               {"a": "USDT", "f": "955.00000000", "l": "40.00000000"}]}
    )  # fmt: skip
    account, position = events
    assert isinstance(account, AccountEvent)
    assert isinstance(position, PositionEvent)
    assert account.account.balance("USDT").total == Decimal("995")
    assert account.account.equity == Decimal("995") + Decimal("1.001") * Decimal("50000")
    assert position.position.quantity == Decimal("1.001")
    assert position.position.mark_price == Decimal("50000")


def test_tickers_only_when_the_price_moves_and_unknown_symbols_ignored() -> None:
    feed = _feed()
    first = feed.handle({"e": "24hrTicker", "E": 1, "s": "BTCUSDT", "c": "50000.10"})
    again = feed.handle({"e": "24hrTicker", "E": 2, "s": "BTCUSDT", "c": "50000.10000000"})
    other = feed.handle({"e": "24hrTicker", "E": 3, "s": "ETHBTC", "c": "0.05"})
    assert [type(e) for e in first] == [PriceEvent]
    assert again == []
    assert other == []
    assert isinstance(first[0], PriceEvent)
    assert str(first[0].ticker.price) == "50000.1"
