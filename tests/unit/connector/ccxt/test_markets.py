"""A ccxt market as a SymbolInfo: decimal exactness, and the checks made before ccxt."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from gridops.connector.ccxt.markets import check_order, spot_markets, symbol_info, to_decimal
from gridops.errors import InvalidArgument
from gridops.models import OrderRequest, Side

from .support import BTCUSDT, parsed_market


def test_binance_filters_are_read_as_exact_decimals() -> None:
    info = symbol_info(parsed_market())
    assert info.symbol == "BTC/USDT"
    assert (info.base_asset, info.quote_asset) == ("BTC", "USDT")
    # The strings, not floats near them, and without the venue's trailing zeros.
    assert str(info.tick_size) == "0.01"
    assert str(info.step_size) == "0.00001"
    assert str(info.min_quantity) == "0.00001"
    assert str(info.min_notional) == "5"
    assert (info.maker_fee, info.taker_fee) == (Decimal("0.001"), Decimal("0.001"))


def test_a_tick_a_float_cannot_hold_stays_exact() -> None:
    raw = copy.deepcopy(BTCUSDT)
    raw["filters"][0]["tickSize"] = "0.00000001"
    raw["filters"][1]["stepSize"] = "0.10000000"
    info = symbol_info(parsed_market(raw))
    assert info.tick_size == Decimal("1E-8")
    assert str(info.step_size) == "0.1"


def test_without_filters_ccxt_precision_is_used_through_its_repr() -> None:
    market = parsed_market()
    market["info"] = {}
    info = symbol_info(market)
    assert (info.tick_size, info.step_size, info.min_notional) == (
        Decimal("0.01"),
        Decimal("0.00001"),
        Decimal("5"),
    )


def test_to_decimal() -> None:
    assert to_decimal("0.10000000") == Decimal("0.1")
    assert to_decimal(0.1) == Decimal("0.1")  # repr, not the binary expansion
    assert to_decimal(None) is None
    assert to_decimal("abc") is None
    assert to_decimal("NaN") is None


def test_spot_markets_skip_inactive_and_unreadable() -> None:
    good = parsed_market()
    inactive = {**good, "symbol": "OLD/USDT", "active": False}
    broken = {**good, "symbol": "BAD/USDT", "info": {}, "precision": {}}
    found = spot_markets({"BTC/USDT": good, "OLD/USDT": inactive, "BAD/USDT": broken})
    assert list(found) == ["BTC/USDT"]


@pytest.mark.parametrize(
    ("price", "quantity", "field", "rule"),
    [
        ("40000.001", "0.001", "price", "tick"),
        ("40000", "0.000001", "quantity", "step"),
        ("1", "0.00001", "quantity", "notional"),
    ],
)
def test_orders_off_the_rules_are_refused_before_ccxt_rounds_them(
    price: str, quantity: str, field: str, rule: str
) -> None:
    info = symbol_info(parsed_market())
    request = OrderRequest("a-1-B-1", "BTC/USDT", Side.BUY, Decimal(price), Decimal(quantity))
    with pytest.raises(InvalidArgument, match=rf"^{field}: .*{rule}"):
        check_order(info, request)
    check_order(info, OrderRequest("a-1-B-1", "BTC/USDT", Side.BUY, Decimal("40000.01"),
                                   Decimal("0.00123")))  # fmt: skip
