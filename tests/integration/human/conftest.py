from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from gridops.client import ConnectorClient, SimulatorClient
from tests.support.connector import ConnectorProcess
from tests.support.market_maker import MarketMakerProcess, write_config


@pytest.fixture
def exchange() -> Iterator[ConnectorProcess]:
    """A connector process on the sim exchange; the price moves only when a test says."""
    process = ConnectorProcess().start()
    yield process
    process.stop()


@pytest.fixture
async def sim(exchange: ConnectorProcess) -> AsyncIterator[SimulatorClient]:
    client = SimulatorClient(exchange.address)
    yield client
    await client.close()


@pytest.fixture
async def connector_client(exchange: ConnectorProcess) -> AsyncIterator[ConnectorClient]:
    client = await ConnectorClient.connect(exchange.address)
    yield client
    await client.close()


@pytest.fixture
def market_maker(tmp_path: Path, exchange: ConnectorProcess) -> Iterator[MarketMakerProcess]:
    """`t-grid` (long, 50 apart, 5 buys) trading at 50010, its grid up."""
    process = MarketMakerProcess(write_config(tmp_path / "mm.yaml"), exchange.address)
    yield process
    process.stop()


async def grid_up(sim: SimulatorClient, mm: MarketMakerProcess) -> None:
    await sim.set_price("BTC/USDT", "50010")
    mm.start()
    mm.wait_status(
        lambda s: s["synced"] and sum(not o["pending"] for o in s["openOrders"]) == 5,
        message="grid up",
    )


def url_of(mm: MarketMakerProcess) -> str:
    return f"http://127.0.0.1:{mm.port}"
