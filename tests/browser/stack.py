"""The processes behind a dashboard test: sim connector, market maker, live server."""

from __future__ import annotations

from dataclasses import dataclass

from gridops.client import SimulatorClient
from tests.support.connector import ConnectorProcess
from tests.support.live_server import LiveServerProcess
from tests.support.market_maker import MarketMakerProcess

SYMBOL = "BTC/USDT"
START_PRICE = "50010"


@dataclass
class Stack:
    connector: ConnectorProcess
    market_maker: MarketMakerProcess
    live: LiveServerProcess
    sim: SimulatorClient

    def start_live_server(self, port: int = 0) -> LiveServerProcess:
        """(Re)start the live server; a given port brings it back at the same address."""
        extra = ["--port", str(port)] if port else []
        live = LiveServerProcess(
            self.connector.address, [f"http://127.0.0.1:{self.market_maker.port}"], extra
        )
        self.live = live  # stopped by the fixture even if it never comes up
        return live.start()
