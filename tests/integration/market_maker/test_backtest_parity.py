"""`gridops backtest` is the live engine: over the same prices, a live market maker (a real
process on a real sim connector) and the backtest place the same orders, get the same
fills and end in the same state."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from gridops.backtest.data import PricePoint
from gridops.backtest.report import build_report
from gridops.backtest.runner import MarketRules, run_backtest
from gridops.client import ConnectorClient, SimulatorClient
from gridops.decimals import fmt
from gridops.market_maker.config import load_config
from tests.support.connector import ConnectorProcess
from tests.support.market_maker import MarketMakerProcess, write_config

# down four levels, up six, down three, up two: entries, exits and a sliding window
HISTORY = ["50050", "49950", "49850", "49750", "49650", "49750", "49850", "49950", "50050",
           "50150", "50250", "50150", "50050", "49950", "50050", "50150"]  # fmt: skip
SIM = {
    "symbols": [{"symbol": "BTC/USDT", "price": HISTORY[0], "tickSize": "0.01",
                 "stepSize": "0.00001", "minNotional": "5"}],
    "balances": {"USDT": "100000"},
    "makerFee": "0.001",
    "takerFee": "0.001",
}  # fmt: skip


async def _settled(
    engine: MarketMakerProcess, client: ConnectorClient, price: str
) -> dict[str, Any]:
    """The engine caught up with its exchange at `price`: same open orders, nothing queued."""

    def caught_up(s: dict[str, Any]) -> bool:
        return bool(
            s["synced"]
            and s["idle"]
            and s["tradedPrice"] == price
            and not any(o["pending"] for o in s["openOrders"])
        )

    for _ in range(200):
        status = await asyncio.to_thread(engine.wait_status, caught_up, 15.0, f"settled at {price}")
        listed = await client.get_open_orders("BTC/USDT")
        if {o.client_order_id for o in listed} == {
            o["clientOrderId"] for o in status["openOrders"]
        }:
            return status
    raise AssertionError(f"the market maker never matched its exchange at {price}")


async def test_the_backtest_places_the_orders_a_live_market_maker_places(
    tmp_path: Path, processes: list[MarketMakerProcess]
) -> None:
    sim_config = tmp_path / "sim.yaml"
    sim_config.write_text(yaml.safe_dump(SIM))
    strategy = write_config(
        tmp_path / "parity.yaml",
        name="parity",
        grid={"priceInterval": "100", "orderQuantity": "0.01", "buyWindow": 3, "sellWindow": 3},
        risk={"maxMovePercent": "50", "moveWindowSeconds": 1, "staleDataSeconds": 3600},
        engine={"type": "simple", "dataDir": str(tmp_path)},
    )
    exchange = ConnectorProcess(extra=["--sim-config", str(sim_config)]).start()
    try:
        engine = MarketMakerProcess(strategy, exchange.address)
        processes.append(engine)
        engine.start()
        async with (
            SimulatorClient(exchange.address) as sim,
            await ConnectorClient.connect(exchange.address) as client,
        ):
            for price in HISTORY:
                await sim.set_price("BTC/USDT", price)
                live = await _settled(engine, client, price)
            live_fills = await client.get_fills("BTC/USDT", prefix="parity")
            live_open = await client.get_open_orders("BTC/USDT", prefix="parity")
    finally:
        exchange.stop()

    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    points = [PricePoint(t0 + timedelta(minutes=i), Decimal(p)) for i, p in enumerate(HISTORY)]
    run = await run_backtest(load_config(strategy), points, MarketRules())

    def fills(items: list[Any]) -> list[tuple[str, str, str, str]]:
        return [(f.client_order_id, f.side.value, fmt(f.price), fmt(f.quantity)) for f in items]

    assert fills(run.fills) == fills(live_fills)
    assert len(run.fills) >= 8, "the history should trade both ways"
    report = build_report(run)
    assert fmt(report.final_position) == live["position"]
    # /status shows quote amounts at the symbol's tick; the fills carry the exact fees
    cent = Decimal("0.01")
    assert fmt(report.realized_pnl.quantize(cent)) == live["pnl"]["realized"]
    assert report.fees == sum((f.fee for f in live_fills), Decimal(0))
    assert report.realized_pnl != 0

    # the orders open at the end: the same ids, sides and prices on both exchanges
    def orders(items: list[Any]) -> list[tuple[str, str, str]]:
        return sorted((o.client_order_id, o.side.value, fmt(o.price)) for o in items)

    assert orders(run.open_orders) == orders(live_open)
    assert live_open, "the grid keeps orders open"
