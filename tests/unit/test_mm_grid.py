"""GridSpec: validation against the symbol's rules, level prices, entry levels."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D
from typing import Any

import pytest

from gridops.errors import InvalidArgument
from gridops.market_maker.domain.slots import Direction

from .test_mm_fixtures import INFO, make_spec

L, S = Direction.LONG, Direction.SHORT


def test_create_floors_quantity_to_step() -> None:
    spec = make_spec(order_quantity=D("1.23456"))
    assert spec.quantity == D("1.234")
    assert spec.interval == D(10)
    assert not spec.neutral
    assert spec.post_only


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"price_interval": D("10.005")}, "grid.priceInterval"),
        ({"anchor_price": D("0.001")}, "grid.anchorPrice"),
        ({"order_quantity": D("0.0004")}, "grid.orderQuantity"),
    ],
)
def test_create_names_the_bad_field(fields: dict[str, Any], named: str) -> None:
    with pytest.raises(InvalidArgument, match=named):
        make_spec(**fields)


def test_quantity_below_min_quantity_is_refused() -> None:
    info = replace(INFO, min_quantity=D("0.5"))
    with pytest.raises(InvalidArgument, match=r"grid\.orderQuantity.*minimum quantity 0\.5"):
        make_spec(info=info, order_quantity=D("0.4"))


def test_level_prices_and_level_of() -> None:
    spec = make_spec(anchor_price=D("5"))
    assert spec.level_price(0) == D(5)
    assert spec.level_price(3) == D(35)
    assert spec.level_price(-1) == D(-5)
    assert spec.level_of(D(35)) == 3
    assert spec.level_of(D("35.00")) == 3
    assert spec.level_of(D(36)) is None


def test_long_entry_levels_strictly_below_nearest_first() -> None:
    spec = make_spec(buy_window=3)
    assert spec.entry_levels(D(100)) == [(9, L), (8, L), (7, L)]
    assert spec.entry_levels(D("100.01")) == [(10, L), (9, L), (8, L)]
    assert spec.entry_levels(D("99.99")) == [(9, L), (8, L), (7, L)]


def test_long_entries_only_at_positive_prices() -> None:
    spec = make_spec(buy_window=5)
    assert spec.entry_levels(D(25)) == [(2, L), (1, L)]


def test_neutral_adds_shorts_above_interleaved_by_distance() -> None:
    spec = make_spec(mode="neutral", buy_window=2, sell_window=3)
    assert spec.entry_levels(D(100)) == [(9, L), (11, S), (8, L), (12, S), (13, S)]
    assert spec.entry_levels(D(105)) == [(10, L), (11, S), (9, L), (12, S), (13, S)]


def test_short_entries_need_a_positive_exit_price() -> None:
    spec = make_spec(mode="neutral", buy_window=0, sell_window=2)
    # Level 1 (price 10) would exit at level 0, price 0.
    assert spec.entry_levels(D(5)) == [(2, S)]


def test_rank_counts_levels_from_the_price() -> None:
    spec = make_spec(mode="neutral")
    assert spec.rank((9, L), D(100)) == 1
    assert spec.rank((5, L), D(100)) == 5
    assert spec.rank((10, L), D(100)) == 0
    assert spec.rank((11, S), D(100)) == 1
    assert spec.rank((14, S), D(100)) == 4
