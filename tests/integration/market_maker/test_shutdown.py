"""What a stopped strategy leaves on the exchange: its orders, unless cancelOnShutdown."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridops.client import ConnectorClient
from tests.support.connector import ConnectorProcess
from tests.support.market_maker import MarketMakerProcess, write_config


@pytest.mark.parametrize("cancel", [True, False])
async def test_a_clean_stop_cancels_open_orders_only_when_asked(
    tmp_path: Path, exchange: ConnectorProcess, connector_client: ConnectorClient,
    processes: list[MarketMakerProcess], cancel: bool,
) -> None:  # fmt: skip
    config = write_config(tmp_path / "mm.yaml", engine={"cancelOnShutdown": cancel})
    mm = MarketMakerProcess(config, exchange.address)
    processes.append(mm)
    mm.start()
    mm.wait_status(lambda s: sum(not o["pending"] for o in s["openOrders"]) == 5)
    assert mm.terminate() == 0
    left = await connector_client.get_open_orders("BTC/USDT", "t-grid")
    if cancel:
        assert left == []
        assert any("cancelOnShutdown: canceled 5 open orders" in line for line in mm.lines)
    else:
        assert len(left) == 5  # they keep resting; the next start adopts them

    mm.start()  # either way the next start reconciles and puts the grid back
    status = mm.wait_status(lambda s: sum(not o["pending"] for o in s["openOrders"]) == 5)
    assert status["synced"]
