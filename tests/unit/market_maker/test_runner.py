"""The start checks and cancelOnShutdown over the fake exchange."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gridops.market_maker.domain.ids import strategy_prefix
from gridops.market_maker.preflight import preflight
from gridops.market_maker.runner import cancel_open_orders
from gridops.models import OrderRequest, OrderType, Side
from gridops.startup import StartupError
from tests.support.fake_exchange import FakeExchange

from .conftest import NAME, strategy


def buy(client_order_id: str, price: int) -> OrderRequest:
    return OrderRequest(
        client_order_id, "BTC/USDT", Side.BUY, Decimal(price), Decimal("0.001"), OrderType.LIMIT
    )


async def test_cancel_on_shutdown_leaves_other_strategies_alone(exchange: FakeExchange) -> None:
    ours = [f"{strategy_prefix(NAME)}-99{i}-B-1" for i in range(3)]
    theirs = f"{strategy_prefix(NAME)}-2-990-B-1"
    for i, cid in enumerate([*ours, theirs]):
        await exchange.place_order(buy(cid, 49_000 + 50 * i))

    await cancel_open_orders(exchange, strategy(), strategy_prefix(NAME))

    assert sorted(exchange.calls.canceled) == sorted(ours)
    assert list(exchange.open) == [theirs]


async def test_the_start_checks_read_the_symbol_rules_and_the_price(
    exchange: FakeExchange,
) -> None:
    exchange.last_price = Decimal(50_000)

    checked = await preflight(exchange, strategy())

    assert checked.info == exchange.symbol_info
    assert checked.price == Decimal(50_000)


async def test_a_symbol_the_connector_does_not_list_stops_the_start(
    exchange: FakeExchange,
) -> None:
    with pytest.raises(StartupError, match="ETH/USDT is not traded"):
        await preflight(exchange, strategy(symbol="ETH/USDT"))
    assert exchange.calls.placed == []
