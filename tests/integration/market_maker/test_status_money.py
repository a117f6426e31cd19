"""The market maker's /status shows money as the exchange counts it: to the tick and step."""

from __future__ import annotations

from pathlib import Path

from gridops.client import SimulatorClient
from tests.support.connector import ConnectorProcess
from tests.support.market_maker import MarketMakerProcess, write_config


async def test_unrealized_pnl_is_rounded_to_the_tick(
    tmp_path: Path, exchange: ConnectorProcess, sim: SimulatorClient,
    processes: list[MarketMakerProcess],
) -> None:  # fmt: skip
    await sim.set_price("BTC/USDT", "50010")
    mm = MarketMakerProcess(write_config(tmp_path / "mm.yaml"), exchange.address)
    processes.append(mm)
    mm.start()
    status = mm.wait_status(lambda s: len(s["openOrders"]) == 5, message="grid up")
    top = next(o for o in status["openOrders"] if o["price"] == "50000")
    await sim.fill_order(top["clientOrderId"])
    # Holding 0.001 bought at 50000 and marked at 50012.34 is 0.01234 USDT unrealized, which
    # no amount on a 0.01 tick can be. Realized is net of the 0.05 USDT fee.
    await sim.set_price("BTC/USDT", "50012.34")
    status = mm.wait_status(
        lambda s: s["position"] == "0.001" and s["lastPrice"] == "50012.34",
        message="the fill applied and the new price seen",
    )
    assert status["pnl"] == {"realized": "-0.05", "unrealized": "0.01", "fees": "0.05"}
    held = next(slot for slot in status["slots"] if slot["holding"] != "0")
    assert (held["holding"], held["averageEntry"]) == ("0.001", "50000")
