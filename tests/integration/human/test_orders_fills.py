"""`gridops orders` (the engine's /status) and `gridops fills` (the connector)."""

from __future__ import annotations

import json
from decimal import Decimal

from gridops.client import ConnectorClient, SimulatorClient
from gridops.models import OrderRequest, Side
from tests.support.connector import ConnectorProcess
from tests.support.market_maker import MarketMakerProcess

from .cli import gridops
from .conftest import grid_up, url_of


async def test_orders_lists_every_open_order_of_the_engine(
    sim: SimulatorClient, market_maker: MarketMakerProcess
) -> None:
    await grid_up(sim, market_maker)
    url = url_of(market_maker)
    done = gridops("orders", url)
    assert done.code == 0, done.err
    lines = done.out.splitlines()
    assert lines[0] == "t-grid  BTC/USDT  5 open: 5 buy, 0 sell"
    assert lines[1].split() == ["SIDE", "PRICE", "QUANTITY", "FILLED", "CLIENT", "ORDER", "ID"]
    assert lines[2].split() == ["-", "50010", "last", "price"]
    rows = [line.split() for line in lines[3:]]
    assert [r[1] for r in rows] == ["50000", "49950", "49900", "49850", "49800"]
    assert all(r[0] == "BUY" and r[4].startswith("t-grid-") for r in rows)

    listed = json.loads(gridops("orders", url, "--json").out)
    assert listed == market_maker.status()["openOrders"]


async def test_fills_come_from_the_connector_for_exactly_this_strategy(
    sim: SimulatorClient,
    connector_client: ConnectorClient,
    exchange: ConnectorProcess,
    market_maker: MarketMakerProcess,
) -> None:
    await grid_up(sim, market_maker)
    status = market_maker.status()
    top = next(o for o in status["openOrders"] if o["price"] == "50000")
    await sim.fill_order(top["clientOrderId"])
    # Another strategy's order whose id starts with "t-grid-": never ours.
    theirs = OrderRequest(
        "t-grid-2-5-B-1", "BTC/USDT", Side.BUY, Decimal("49000"), Decimal("0.002")
    )
    await connector_client.place_order(theirs)
    await sim.fill_order("t-grid-2-5-B-1")
    market_maker.wait_status(lambda s: s["position"] == "0.001", message="filled")

    url = url_of(market_maker)
    done = gridops("fills", url, "--connector", exchange.address)
    assert done.code == 0, done.err
    lines = done.out.splitlines()
    assert lines[0] == f"t-grid  BTC/USDT  ids t-grid-*  on {exchange.address}"
    assert lines[2].split()[2:] == ["BUY", "50000", "0.001", "0.05", "USDT", "maker",
                                    top["clientOrderId"]]  # fmt: skip
    assert "t-grid-2-5-B-1" not in done.out
    assert lines[-1] == "1 fill: bought 0.001 BTC, sold 0 BTC; fees 0.05 USDT"

    documents = json.loads(gridops("fills", url, "--connector", exchange.address, "--json").out)
    assert [d["clientOrderId"] for d in documents] == [top["clientOrderId"]]
    assert documents[0]["price"] == "50000"
    assert documents[0]["fee"] == "0.05"


async def test_fills_limit_shows_the_last_ones(
    sim: SimulatorClient, exchange: ConnectorProcess, market_maker: MarketMakerProcess
) -> None:
    await grid_up(sim, market_maker)
    await sim.set_price("BTC/USDT", "49870")  # 50000, 49950 and 49900 fill, in that order
    market_maker.wait_status(lambda s: s["position"] == "0.003", message="filled")
    done = gridops("fills", url_of(market_maker), "--connector", exchange.address, "--limit", "2")
    assert done.code == 0, done.err
    assert done.out.splitlines()[-1].startswith("the last 2 of 3 fills: bought 0.002 BTC")


async def test_fills_without_a_connector_says_which_address_and_flag(
    sim: SimulatorClient, market_maker: MarketMakerProcess
) -> None:
    await grid_up(sim, market_maker)
    done = gridops("fills", url_of(market_maker), "--connector", "127.0.0.1:1")
    assert done.code == 2
    assert "127.0.0.1:1" in done.error_line
    assert "(--connector)" in done.error_line
    done = gridops("fills", url_of(market_maker), "--connector", "nonsense")
    assert done.code == 2
    assert done.error_line.startswith("gridops: --connector: ")
