"""Seed audit plan: a 5% move within a second halts buying, and the halt survives restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridops.client import ConnectorClient, SimulatorClient
from gridops.models import Side
from tests.support.connector import ConnectorProcess
from tests.support.market_maker import MarketMakerProcess, write_config


@pytest.mark.both_backends
async def test_circuit_breaker_halts_buys_across_restarts(
    tmp_path: Path,
    exchange: ConnectorProcess,
    sim: SimulatorClient,
    connector_client: ConnectorClient,
    processes: list[MarketMakerProcess],
    engine_type: str,
) -> None:
    await sim.set_price("BTC/USDT", "50010")
    config = write_config(tmp_path / "mm.yaml", engine={"type": engine_type})
    mm = MarketMakerProcess(config, exchange.address)
    processes.append(mm)
    mm.start()
    mm.wait_status(lambda s: s["synced"] and len(s["openOrders"]) == 5, message="grid up")

    # +5.2% in one step: well within the 1 s window.
    await sim.set_price("BTC/USDT", "52610")
    status = mm.wait_status(lambda s: s["risk"]["halted"], message="breaker tripped")
    assert "5.2" in status["risk"]["reason"]
    assert status["risk"]["since"]
    assert status["phase"] == "halted"
    accepted = (await sim.get_stats()).orders_accepted

    # A favourable price for a grid buyer: lower, with the levels below it free.
    await sim.set_price("BTC/USDT", "52000")
    await sim.set_price("BTC/USDT", "51500")
    mm.wait_status(lambda s: s["lastPrice"] == "51500", message="prices seen")
    buys = [o for o in await connector_client.get_open_orders("BTC/USDT", "t-grid-")
            if o.side is Side.BUY and o.price > 51000]  # fmt: skip
    assert buys == [], "a halted engine placed buys"
    assert (await sim.get_stats()).orders_accepted == accepted

    mm.kill()
    mm.start()
    status = mm.wait_status(lambda s: s["synced"], message="resynced")
    assert status["risk"]["halted"], "the breaker did not survive the restart"
    assert "5.2" in status["risk"]["reason"]

    # The user clears it; entries resume around the current price.
    assert mm.post("/risk/clear") == 202
    await sim.set_price("BTC/USDT", "51510")
    mm.wait_status(
        lambda s: (
            not s["risk"]["halted"]
            and any(o["side"] == "BUY" and o["price"] == "51500" for o in s["openOrders"])
        ),
        message="buys resume after clear",
    )
