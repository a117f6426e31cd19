"""Client order ids: deterministic, parseable, and never confused with another strategy's."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridops.errors import InvalidArgument
from gridops.market_maker.domain.ids import (
    client_order_id,
    parse_client_order_id,
    strategy_prefix,
)
from gridops.market_maker.domain.slots import Direction

ID_CHARS = re.compile(r"[A-Za-z0-9._:/-]+")
PREFIX_CHARS = re.compile(r"[a-z0-9-]+")


def test_short_clean_name_is_its_own_prefix() -> None:
    assert strategy_prefix("btc-grid") == "btc-grid"


def test_long_or_odd_names_get_a_stable_digest() -> None:
    long_name = "a-very-long-strategy-name-that-goes-on-and-on"
    prefix = strategy_prefix(long_name)
    assert prefix == strategy_prefix(long_name)
    assert len(prefix) <= 16
    assert PREFIX_CHARS.fullmatch(prefix)
    assert prefix != strategy_prefix(long_name + "x")
    assert strategy_prefix("BTC Grid") != strategy_prefix("btc-grid")
    assert PREFIX_CHARS.fullmatch(strategy_prefix("BTC_Grid!"))


def test_id_format_and_negative_levels() -> None:
    assert client_order_id("btc", 12, Direction.LONG, 3) == "btc-12-B-3"
    assert client_order_id("btc", -4, Direction.SHORT, 1) == "btc-m4-S-1"
    assert parse_client_order_id("btc", "btc-m4-S-1") == (-4, Direction.SHORT, 1)
    assert parse_client_order_id("btc", "btc-0-B-7") == (0, Direction.LONG, 7)


@pytest.mark.parametrize(
    "cid",
    [
        "btc-2-5-B-1",  # strategy "btc-2"
        "btc-m1-5-B-1",  # strategy "btc-m1"
        "btcx-5-B-1",
        "eth-5-B-1",
        "btc-5-X-1",
        "btc-05-B-1",  # not canonical
        "btc-m0-B-1",
        "btc-5-B-0",
        "btc-5-B-01",
        "btc-5-B",
        "btc--5-B-1",
        "btc-5-b-1",
        "manual-order",
        "",
    ],
)
def test_foreign_ids_are_not_ours(cid: str) -> None:
    assert parse_client_order_id("btc", cid) is None


def test_other_strategy_with_longer_prefix_is_not_ours() -> None:
    theirs = client_order_id("btc-2", 5, Direction.LONG, 1)
    assert parse_client_order_id("btc", theirs) is None
    assert parse_client_order_id("btc-2", theirs) == (5, Direction.LONG, 1)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(InvalidArgument):
        client_order_id("btc", 1, Direction.LONG, 0)
    with pytest.raises(InvalidArgument):
        client_order_id("BTC", 1, Direction.LONG, 1)
    with pytest.raises(InvalidArgument, match="longer than 36"):
        client_order_id("a" * 16, -(10**8), Direction.LONG, 10**7)


def test_the_longest_prefix_with_an_8_digit_level_and_7_digit_count_fits_36() -> None:
    # Binance's newClientOrderId limit; the tightest of the venues ccxt serves.
    prefix = strategy_prefix("a-strategy-name-far-longer-than-sixteen-characters")
    assert len(prefix) == 16
    assert len(client_order_id(prefix, -(10**8 - 1), Direction.SHORT, 10**7 - 1)) == 36


names = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", fullmatch=True)


@settings(max_examples=300, derandomize=True)
@given(
    name=names,
    level=st.integers(-(10**8 - 1), 10**8 - 1),
    direction=st.sampled_from(Direction),
    n=st.integers(1, 10**7 - 1),
)
def test_round_trip(name: str, level: int, direction: Direction, n: int) -> None:
    prefix = strategy_prefix(name)
    assert len(prefix) <= 16
    assert PREFIX_CHARS.fullmatch(prefix)
    cid = client_order_id(prefix, level, direction, n)
    assert len(cid) <= 36
    assert ID_CHARS.fullmatch(cid)
    assert parse_client_order_id(prefix, cid) == (level, direction, n)
    # No other strategy whose prefix extends ours reads it as its own, nor vice versa.
    other = prefix + "-2"
    assert parse_client_order_id(other, cid) is None
    assert parse_client_order_id(prefix, client_order_id(other, level, direction, n)) is None
