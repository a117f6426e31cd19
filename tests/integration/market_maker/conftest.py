from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from gridops.client import ConnectorClient, SimulatorClient
from tests.support.connector import ConnectorProcess
from tests.support.market_maker import MarketMakerProcess
from tests.support.venue import VenueProcess


@pytest.fixture
def exchange(tmp_path: Path, venue: VenueProcess | None) -> Iterator[ConnectorProcess]:
    """A connector process whose exchange outlives it: the sim with a state file, or (a
    test marked both_backends, ccxt) the venue it trades."""
    if venue is None:
        process = ConnectorProcess(extra=["--sim-state", str(tmp_path / "exchange.db")])
    else:
        process = ConnectorProcess(venue=venue)
    process.start()
    yield process
    process.stop()


@pytest.fixture
async def sim(exchange: ConnectorProcess) -> AsyncIterator[SimulatorClient]:
    client = SimulatorClient(exchange.simulator_address)
    yield client
    await client.close()


@pytest.fixture
async def connector_client(exchange: ConnectorProcess) -> AsyncIterator[ConnectorClient]:
    client = await ConnectorClient.connect(exchange.address)
    yield client
    await client.close()


@pytest.fixture
def processes() -> Iterator[list[MarketMakerProcess]]:
    started: list[MarketMakerProcess] = []
    yield started
    for process in started:
        process.stop()


@pytest.fixture(params=["simple", "durable"])
def engine_type(request: pytest.FixtureRequest) -> str:
    return str(request.param)
