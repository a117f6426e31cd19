"""A connector in the test process (port 0) or as a real child process."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from gridops.connector.server import ConnectorServer, make_adapter
from gridops.connector.settings import ConnectorSettings
from gridops.connector.sim.adapter import SimAdapter
from gridops.simexchange.settings import SimSettings

from .process import ChildProcess
from .venue import VenueProcess

SERVING = re.compile(r"serving on [^ ]*:(\d+), session ([0-9a-f]+)")
METRICS = re.compile(r"metrics http://[^ ]*:(\d+)/metrics")


@asynccontextmanager
async def running_connector(
    sim: SimSettings | None = None, **settings: Any
) -> AsyncIterator[ConnectorServer]:
    """A connector on 127.0.0.1 with a free port, the sim exchange without a price walk."""
    defaults: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "metrics_host": "127.0.0.1",
        "metrics_port": 0,
        "grace_seconds": 1.0,
    }
    defaults.update(settings)
    adapter = SimAdapter(sim or SimSettings(tick_interval=0))
    server = ConnectorServer(adapter, ConnectorSettings(**defaults))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def ccxt_settings(venue: VenueProcess, key: str | None = None) -> dict[str, Any]:
    """Connector settings that trade `venue` through ccxt binance, as account `key`."""
    api_key = key or venue.api_key
    credentials = venue.directory / f"credentials-{api_key}.yaml"
    credentials.write_text(f"apiKey: {api_key}\nsecret: {venue.keys[api_key]}\n")
    return {
        "exchange": "binance",
        "api_url": venue.rest_url,
        "ws_url": venue.ws_url,
        "credentials_file": credentials,
    }


@asynccontextmanager
async def running_ccxt_connector(
    venue: VenueProcess, **settings: Any
) -> AsyncIterator[ConnectorServer]:
    """A connector on 127.0.0.1 (free port) trading `venue` through ccxt: the ccxt back end."""
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "metrics_host": "127.0.0.1",
        "metrics_port": 0,
        "grace_seconds": 1.0,
        **ccxt_settings(venue),
    }
    values.update(settings)
    config = ConnectorSettings(**values)
    server = ConnectorServer(make_adapter(config), config)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


class ConnectorProcess(ChildProcess):
    """`gridops connector --exchange sim`, or with `venue` the ccxt back end trading it
    (`--exchange binance --api-url ... --ws-url ...`); `start()` again reuses the port."""

    def __init__(
        self,
        port: int = 0,
        extra: Sequence[str] = (),
        venue: VenueProcess | None = None,
        *,
        metrics: bool = False,
    ) -> None:
        super().__init__()
        self.port = port
        self.extra = list(extra)
        self.venue = venue
        self.session_id = ""
        #: serve /metrics on a free port (read back into metrics_port) instead of none
        self.metrics = metrics
        self.metrics_port = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def exchange(self) -> str:
        return "sim" if self.venue is None else "binance"

    @property
    def simulator_address(self) -> str:
        """Where the Simulator is: the connector itself, or the venue it trades."""
        return self.address if self.venue is None else self.venue.grpc_address

    def _exchange_args(self) -> list[str]:
        if self.venue is None:
            return ["--exchange", "sim", "--sim-tick-seconds", "0"]
        settings = ccxt_settings(self.venue)
        return [
            "--exchange", settings["exchange"], "--api-url", settings["api_url"],
            "--ws-url", settings["ws_url"], "--credentials-file",
            str(settings["credentials_file"]),
        ]  # fmt: skip

    def start(self, timeout: float = 20.0) -> ConnectorProcess:
        args = [
            "connector", *self._exchange_args(), "--host", "127.0.0.1", "--port", str(self.port),
            *self._metrics_args(), "--grace-seconds", "2", *self.extra,
        ]  # fmt: skip

        def serving() -> re.Match[str] | None:
            return next(filter(None, (SERVING.search(line) for line in self.lines)), None)

        match = self._spawn(args, serving, timeout=timeout, what="connector")
        assert match is not None
        self.port = int(match.group(1))
        self.session_id = match.group(2)
        if self.metrics:
            served = next(filter(None, (METRICS.search(line) for line in self.lines)), None)
            assert served is not None, self.output
            self.metrics_port = int(served.group(1))
        return self

    def _metrics_args(self) -> list[str]:
        if not self.metrics:
            return ["--no-metrics"]
        # the port of the first start again on a restart, like the gRPC port
        return ["--metrics-host", "127.0.0.1", "--metrics-port", str(self.metrics_port)]
