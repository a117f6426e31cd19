"""The processes behind a dashboard test: sim connector, market maker, live server."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

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
    #: the live server's --state-dir, the same across its restarts (its price history)
    state_dir: Path
    #: flags every (re)start of the live server gets
    live_extra: list[str] = field(default_factory=list)

    @property
    def mm_url(self) -> str:
        return f"http://127.0.0.1:{self.market_maker.port}"

    def start_live_server(self, port: int = 0) -> LiveServerProcess:
        """(Re)start the live server; a given port brings it back at the same address."""
        extra = [*self.live_extra, *(["--port", str(port)] if port else [])]
        live = LiveServerProcess(
            self.connector.address, [self.mm_url], extra, state_dir=self.state_dir
        )
        self.live = live  # stopped by the fixture even if it never comes up
        return live.start()
