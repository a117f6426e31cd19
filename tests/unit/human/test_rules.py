"""A grid against the exchange's rules: tick, step, minimums, fees."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gridops.human.rules import buy_levels, exchange_findings
from gridops.models import SymbolInfo
from gridops.spec import GridSettings

BTC = SymbolInfo(
    symbol="BTC/USDT",
    base_asset="BTC",
    quote_asset="USDT",
    tick_size=Decimal("0.01"),
    step_size=Decimal("0.00001"),
    min_quantity=Decimal("0.00001"),
    min_notional=Decimal("5"),
    maker_fee=Decimal("0.001"),
    taker_fee=Decimal("0.001"),
)
PRICE = Decimal("50000")


def grid(**fields: Any) -> GridSettings:
    values: dict[str, Any] = {"priceInterval": "150", "orderQuantity": "0.001", "buyWindow": 5}
    values.update(fields)
    return GridSettings.model_validate(values)


def findings(settings: GridSettings, info: SymbolInfo = BTC, price: Decimal = PRICE) -> list[str]:
    return [f"{f.severity}: {f}" for f in exchange_findings(settings, info, price)]


def test_a_grid_within_the_rules_and_above_the_fees_is_fine() -> None:
    assert findings(grid()) == []


def test_every_broken_rule_at_once() -> None:
    found = findings(grid(priceInterval="150.005", anchorPrice="10.001", orderQuantity="0.000095"))
    assert found == [
        "error: grid.priceInterval: 150.005 is not a multiple of the tick size 0.01 of "
        "BTC/USDT (nearest: 150 or 150.01)",
        "error: grid.anchorPrice: 10.001 is not a multiple of the tick size 0.01 of BTC/USDT "
        "(nearest: 10 or 10.01)",
        "error: grid.orderQuantity: 0.000095 is not a multiple of the step size 0.00001 of "
        "BTC/USDT (the engine would trade 0.00009)",
        "error: grid.orderQuantity: an order of 0.00009 at the price 50000 is worth 4.5 USDT, "
        "below the min notional 5 USDT of BTC/USDT; use at least 0.0001",
    ]


def test_below_the_minimum_quantity() -> None:
    info = SymbolInfo(
        **{**{f: getattr(BTC, f) for f in BTC.__slots__}, "min_quantity": Decimal("0.01")}
    )
    assert findings(grid(), info) == [
        "error: grid.orderQuantity: 0.001 is below the minimum quantity 0.01 of BTC/USDT"
    ]


def test_a_step_below_the_fees_is_a_warning() -> None:
    (found,) = exchange_findings(grid(priceInterval="25"), BTC, PRICE)
    assert found.severity == "warning"
    assert found.field == "grid.priceInterval"
    assert found.message.startswith("25 is 0.05 % of the price 50000")
    assert "use a priceInterval above 100" in found.message


def test_levels_under_the_min_notional_are_skipped_and_levels_below_zero_dropped() -> None:
    # 0.0001 BTC is worth 5 USDT at 50000, but no level below it is
    (nothing,) = findings(grid(orderQuantity="0.0001"))
    assert nothing == (
        "error: grid.orderQuantity: no buy level is worth the min notional 5 USDT at 0.0001 "
        "each (the highest, 49950, is worth 4.995 USDT): the grid would place no buy; use at "
        "least 0.00011"
    )
    # 0.00011 BTC at levels every 10000: 49999.99 is worth 5.5, 39999.99 and below are not
    (some,) = findings(grid(orderQuantity="0.00011", priceInterval="10000", anchorPrice="9999.99"))
    assert some == (
        "warning: grid.orderQuantity: 4 of the 5 buy levels (at 39999.99 and below) would be "
        "worth less than the min notional 5 USDT at 0.00011 each: the engine places no order "
        "there"
    )
    deep = findings(grid(priceInterval="20000", buyWindow=5))
    assert "warning: grid.buyWindow: only 2 of the 5 buy levels below the price 50000" in deep[0]


def test_buy_levels_sit_on_the_lattice_strictly_below_the_price() -> None:
    assert buy_levels(grid(), PRICE) == [
        Decimal(p) for p in ("49950", "49800", "49650", "49500", "49350")
    ]
    on_a_level = grid(anchorPrice="50000")
    assert buy_levels(on_a_level, PRICE)[0] == Decimal("49850")
