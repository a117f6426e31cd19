from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gridops.client import ConnectorClient, SimulatorClient
from tests.support.connector import ConnectorProcess
from tests.support.live_server import LiveServerProcess
from tests.support.market_maker import MarketMakerProcess, write_config
from tests.support.poll import wait_until


@dataclass
class Stack:
    connector: ConnectorProcess
    market_maker: MarketMakerProcess
    live: LiveServerProcess
    sim: SimulatorClient
    client: ConnectorClient


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    """Connector (sim) + a durable market maker + the live server: real processes."""
    connector = ConnectorProcess(extra=["--sim-state", str(tmp_path / "exchange.db")])
    mm: MarketMakerProcess | None = None
    live: LiveServerProcess | None = None
    try:
        connector.start()
        sim = SimulatorClient(connector.address)
        await sim.set_price("BTC/USDT", "50010")
        mm = MarketMakerProcess(write_config(tmp_path / "mm.yaml"), connector.address).start()
        mm.wait_status(lambda s: s["synced"] and len(s["openOrders"]) == 5, message="grid up")
        live = LiveServerProcess(
            connector.address, [f"http://127.0.0.1:{mm.port}"], ["--ws-max-pending", "50"]
        ).start()
        wait_until(lambda: live.get("/readyz")[0] == 200, message="live server ready")
        client = await ConnectorClient.connect(connector.address)
        yield Stack(connector, mm, live, sim, client)
        await client.close()
        await sim.close()
    finally:
        for process in (live, mm, connector):
            if process is not None:
                process.stop()


@pytest.fixture
def live_only() -> Iterator[list[LiveServerProcess]]:
    started: list[LiveServerProcess] = []
    yield started
    for process in started:
        process.stop()
