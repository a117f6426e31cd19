"""The venue's trading rules in Binance's words: filters, balances, post-only, ids."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from gridops.simexchange.settings import create_market
from gridops.spec.sim import SimSettings, SymbolSettings
from gridops.venue import binance_json as bj
from gridops.venue.errors import BinanceError
from gridops.venue.venue import Venue

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _venue() -> Venue:
    settings = SimSettings(
        symbols=[
            SymbolSettings(
                symbol="BTC/USDT",
                price=Decimal("100"),
                tick_size=Decimal("0.5"),
                step_size=Decimal("0.01"),
                min_quantity=Decimal("0.02"),
                min_notional=Decimal("5"),
            )
        ],
        balances={"USDT": Decimal("1000"), "BTC": Decimal("1")},
        tick_interval=0,
    )
    keys = {"a": "sa", "b": "sb"}
    return Venue(keys, {k: create_market(settings, lambda: NOW) for k in keys}, clock=lambda: NOW)


def _order(**changes: str) -> dict[str, str]:
    base = {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "price": "90",
        "quantity": "0.1",
        "newClientOrderId": "c-1",
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    ("changes", "code", "message"),
    [
        ({"price": "90.2"}, -1013, "Filter failure: PRICE_FILTER"),
        ({"quantity": "0.105"}, -1013, "Filter failure: LOT_SIZE"),
        ({"quantity": "0.01"}, -1013, "Filter failure: LOT_SIZE"),  # below minQty
        ({"price": "10", "quantity": "0.3"}, -1013, "Filter failure: NOTIONAL"),
        ({"quantity": "20"}, -2010, "Account has insufficient balance for requested action."),
        ({"type": "LIMIT_MAKER", "price": "100"}, -2010, "Order would immediately match and take."),
        ({"type": "MARKET"}, -1116, "Invalid orderType."),
        ({"timeInForce": "IOC"}, -1115, "Invalid timeInForce."),
        ({"symbol": "DOGEUSDT"}, -1121, "Invalid symbol."),
        ({"newClientOrderId": "has space"}, -1100, ""),
        ({"price": "abc"}, -1100, ""),
    ],
)
def test_refusals_carry_binances_codes(changes: dict[str, str], code: int, message: str) -> None:
    venue = _venue()
    with pytest.raises(BinanceError) as raised:
        venue.place("a", _order(**changes))
    assert raised.value.code == code
    assert raised.value.msg.startswith(message)
    assert venue.counters("a").orders_rejected == 1


def test_client_ids_are_unique_among_open_orders_only() -> None:
    venue = _venue()
    first = venue.place("a", _order())
    with pytest.raises(BinanceError, match="Duplicate order sent"):
        venue.place("a", _order())
    venue.cancel("a", {"symbol": "BTCUSDT", "origClientOrderId": "c-1"})
    second = venue.place("a", _order())
    assert second["orderId"] != first["orderId"]
    assert second["clientOrderId"] == "c-1"
    found = venue.get_order("a", {"symbol": "BTCUSDT", "origClientOrderId": "c-1"})
    assert found["orderId"] == second["orderId"]
    old = venue.get_order("a", {"symbol": "BTCUSDT", "orderId": str(first["orderId"])})
    assert old["status"] == "CANCELED"
    assert old["clientOrderId"] == "c-1"
    # the Simulator fills the live one
    order, _ = venue.fill_order("a", "c-1", None)
    assert bj.order_number(order.order_id) == second["orderId"]


def test_unknown_orders() -> None:
    venue = _venue()
    for params in ({"orderId": "77"}, {"origClientOrderId": "nope"}):
        with pytest.raises(BinanceError) as fetched:
            venue.get_order("a", {"symbol": "BTCUSDT", **params})
        assert fetched.value.code == -2013
        with pytest.raises(BinanceError) as canceled:
            venue.cancel("a", {"symbol": "BTCUSDT", **params})
        assert canceled.value.code == -2011
    placed = venue.place("a", _order())
    with pytest.raises(BinanceError) as other_account:
        venue.get_order("b", {"symbol": "BTCUSDT", "orderId": str(placed["orderId"])})
    assert other_account.value.code == -2013


def test_events_go_out_once_committed() -> None:
    venue = _venue()
    pending: list[object] = []
    venue.commit = lambda key, on_durable: pending.append(on_durable)
    seen: list[dict[str, object]] = []
    venue.accounts["a"].sinks.append(seen.append)
    venue.place("a", _order())
    assert seen == []
    for deliver in pending:
        deliver()  # type: ignore[operator]
    assert [e["e"] for e in seen] == ["executionReport", "outboundAccountPosition"]
    assert seen[0]["x"] == "NEW"
    assert seen[0]["c"] == "c-1"


def test_numbers_look_like_binances() -> None:
    assert bj.num(Decimal("0.01")) == "0.01000000"
    assert bj.num(Decimal("50000")) == "50000.00000000"
    assert bj.num(Decimal("0.000000001")) == "0.000000001"
    assert bj.public_client_id("abc#2") == "abc"


def test_the_price_walk_moves_every_account_alike() -> None:
    venue = _venue()
    venue.place("b", _order(price="99.5", quantity="0.1", newClientOrderId="b-1"))
    seen: list[str] = []
    venue.market_sinks.append(lambda stream, event: seen.append(stream))
    for _ in range(50):
        venue.step(3600.0)
    prices = {key: a.market.last_price("BTC/USDT") for key, a in venue.accounts.items()}
    assert len(set(prices.values())) == 1
    assert prices["a"] != Decimal("100")
    assert seen.count("btcusdt@ticker") == 50  # once per step, not once per account


def test_history_lists_the_newest_unless_asked_from_a_start() -> None:
    venue = _venue()
    for n in range(5):
        venue.place("a", _order(newClientOrderId=f"h-{n}", price="90", quantity="0.1"))
        venue.fill_order("a", f"h-{n}", None)
    newest = venue.my_trades("a", {"symbol": "BTCUSDT", "limit": "2"})
    assert [t["id"] for t in newest] == [4, 5]
    first = venue.my_trades("a", {"symbol": "BTCUSDT", "limit": "2", "fromId": "2"})
    assert [t["id"] for t in first] == [2, 3]
    orders = venue.all_orders("a", {"symbol": "BTCUSDT", "limit": "2"})
    assert [o["clientOrderId"] for o in orders] == ["h-3", "h-4"]
    from_id = venue.all_orders("a", {"symbol": "BTCUSDT", "orderId": "1", "limit": "1"})
    assert [o["clientOrderId"] for o in from_id] == ["h-0"]
