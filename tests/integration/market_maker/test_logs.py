"""The trading story at INFO: orders placed, fills, cancels; no library chatter."""

from __future__ import annotations

from pathlib import Path

from gridops.client import SimulatorClient
from tests.support.connector import ConnectorProcess
from tests.support.market_maker import MarketMakerProcess, write_config
from tests.support.poll import eventually


async def test_orders_placed_and_fills_are_logged_and_alembic_is_quiet(
    tmp_path: Path, exchange: ConnectorProcess, sim: SimulatorClient,
    processes: list[MarketMakerProcess],
) -> None:  # fmt: skip
    await sim.set_price("BTC/USDT", "50010")
    mm = MarketMakerProcess(write_config(tmp_path / "mm.yaml"), exchange.address)
    processes.append(mm)
    mm.start()
    mm.wait_status(lambda s: sum(not o["pending"] for o in s["openOrders"]) == 5)
    assert any(
        "placed BUY 0.001 BTC/USDT @ 50000 (t-grid-1000-B-1, entry)" in line for line in mm.lines
    ), mm.output
    await sim.fill_order("t-grid-1000-B-1")

    fill = "fill: BUY 0.001 BTC/USDT @ 50000 (t-grid-1000-B-1, order filled), fee 0.05 USDT"
    exit_placed = "placed SELL 0.001 BTC/USDT @ 50050 (t-grid-1000-B-2, exit)"

    async def logged() -> bool:
        return any(fill in line for line in mm.lines) and any(
            exit_placed in line for line in mm.lines
        )

    await eventually(logged, message="the fill and its exit logged")
    # The schema was created (durable engine, new database): one line of ours says so.
    assert any("database schema upgraded from empty to" in line for line in mm.lines)
    assert not [line for line in mm.lines if "INFO alembic" in line], mm.output
