from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from gridops.client import ConnectorClient, SimulatorClient
from gridops.connector.server import ConnectorServer
from tests.support.connector import ConnectorProcess, running_ccxt_connector, running_connector
from tests.support.venue import VenueProcess

#: The connector's back ends every contract test runs against: the in-process simulated
#: exchange, and ccxt's binance class trading `gridops venue` (a real process).
BACKENDS = ("sim", "ccxt")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.integration)


#: suites whose connector is only the stage (the engine's, the CLI's, the live server's):
#: the sim, unless a test is marked both_backends
_STAGED = ("market_maker", "human", "live_server")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every connector contract test (one that uses the connector fixtures) runs on each
    back end, but those marked sim_only (they drive the in-process sim's injected
    faults); the engine's, the CLI's and the live server's suites run on the sim, and on
    both back ends where a test is marked both_backends."""
    if "backend" not in metafunc.fixturenames:
        return
    definition = metafunc.definition
    staged = Path(str(definition.fspath)).parent.name in _STAGED
    both = definition.get_closest_marker("both_backends") is not None
    sim_only = definition.get_closest_marker("sim_only") is not None or (staged and not both)
    metafunc.parametrize("backend", ["sim"] if sim_only else list(BACKENDS))


@pytest.fixture
def venue(backend: str, tmp_path: Path) -> Iterator[VenueProcess | None]:
    """The venue behind the ccxt back end (None for the in-process sim)."""
    if backend != "ccxt":
        yield None
        return
    process = VenueProcess(tmp_path).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
async def connector(venue: VenueProcess | None) -> AsyncIterator[ConnectorServer]:
    context = running_connector() if venue is None else running_ccxt_connector(venue)
    async with context as server:
        yield server


@pytest.fixture
async def client(connector: ConnectorServer) -> AsyncIterator[ConnectorClient]:
    client = await ConnectorClient.connect(connector.address, timeout=5)
    yield client
    await client.close()


@pytest.fixture
async def sim(
    connector: ConnectorServer, venue: VenueProcess | None
) -> AsyncIterator[SimulatorClient]:
    """The Simulator of the back end: the connector's own for the in-process sim, the
    venue's gRPC port under ccxt (the connector has none there)."""
    simulator = SimulatorClient(connector.address if venue is None else venue.grpc_address)
    yield simulator
    await simulator.close()


@pytest.fixture
def connector_process(venue: VenueProcess | None) -> Iterator[ConnectorProcess]:
    process = ConnectorProcess(venue=venue)
    yield process
    process.stop()
