"""One `gridops venue` per module (tests use their own client order ids), ccxt clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from gridops.client import SimulatorClient
from tests.support.venue import VenueProcess, binance_for

#: rules unlike the defaults, so a test can tell they came from the config
SIM_CONFIG: dict[str, Any] = {
    "symbols": [
        {
            "symbol": "BTC/USDT",
            "price": "50000",
            "tickSize": "0.5",
            "stepSize": "0.001",
            "minQuantity": "0.002",
            "minNotional": "20",
        },
        {
            "symbol": "ETH/USDT",
            "price": "3000",
            "tickSize": "0.01",
            "stepSize": "0.01",
            "minNotional": "10",
        },
    ],
    "balances": {"USDT": "100000", "BTC": "2", "ETH": "10"},
    "makerFee": "0.001",
    "takerFee": "0.002",
    "tickInterval": 0,
}

KEYS = {"alice-key": "alice-secret", "bob-key": "bob-secret"}


@pytest.fixture(scope="module")
def venue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VenueProcess]:
    directory: Path = tmp_path_factory.mktemp("venue")
    process = VenueProcess(directory, keys=KEYS, sim_config=SIM_CONFIG).start()
    yield process
    process.stop()


@pytest.fixture
async def exchange(venue: VenueProcess) -> AsyncIterator[Any]:
    client = binance_for(venue)
    await client.load_markets()
    yield client
    await client.close()


@pytest.fixture
async def sim(venue: VenueProcess) -> AsyncIterator[SimulatorClient]:
    client = SimulatorClient(venue.grpc_address, account=venue.api_key)
    yield client
    await client.close()
