from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from gridops.client import ConnectorClient, SimulatorClient
from gridops.connector.server import ConnectorServer
from tests.support.connector import ConnectorProcess, running_connector


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture
async def connector() -> AsyncIterator[ConnectorServer]:
    async with running_connector() as server:
        yield server


@pytest.fixture
async def client(connector: ConnectorServer) -> AsyncIterator[ConnectorClient]:
    client = await ConnectorClient.connect(connector.address, timeout=5)
    yield client
    await client.close()


@pytest.fixture
async def sim(connector: ConnectorServer) -> AsyncIterator[SimulatorClient]:
    simulator = SimulatorClient(connector.address)
    yield simulator
    await simulator.close()


@pytest.fixture
def connector_process() -> Iterator[ConnectorProcess]:
    process = ConnectorProcess()
    yield process
    process.stop()
