"""Assembles and runs `gridops venue`: REST + WebSockets on --port, Simulator gRPC on
--grpc-port (with health and reflection), state in --state."""

from __future__ import annotations

import asyncio
import logging
import signal
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from aiohttp import web
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from gridops.simexchange.settings import (
    SimSettings,
    SimSettingsError,
    create_market,
    load_sim_settings,
)
from gridops.startup import StartupError, bind_failed, bind_problem, port_error
from gridops.v1 import simulator_pb2, simulator_pb2_grpc

from . import sockets
from .errors import BinanceError
from .keys import load_keys
from .persist import Persister, StorePersister
from .rest import RestApi
from .simulator import VenueSimulator
from .streams import MarketStreams
from .venue import Venue
from .weights import OrderCounter, WeightLimiter
from .wsapi import WebSocketApi

log = logging.getLogger(__name__)

SIMULATOR_SERVICE = simulator_pb2.DESCRIPTOR.services_by_name["Simulator"]
SERVER_OPTIONS: list[tuple[str, Any]] = [("grpc.so_reuseport", 0)]


@dataclass(frozen=True, slots=True)
class VenueOptions:
    keys: Path
    state: Path | None = None
    sim_config: Path | None = None
    host: str = "0.0.0.0"
    port: int = 8090
    grpc_port: int = 50052
    weight_limit: int = 6000
    order_limit: int = 100
    ban_seconds: float = 120.0
    grace_seconds: float = 2.0


def load_settings(path: Path | None) -> SimSettings:
    if path is None:
        return SimSettings(tick_interval=0)
    try:
        return load_sim_settings(path)
    except SimSettingsError as error:
        raise StartupError(f"--sim-config {error}") from None


class VenueServer:
    """`await start()`, then `await stop()`; `port`/`grpc_port` are the bound ones."""

    def __init__(self, options: VenueOptions) -> None:
        self.options = options
        self.session_id = uuid.uuid4().hex
        self.port = 0
        self.grpc_port = 0
        self._runner: web.AppRunner | None = None
        self._grpc: grpc.aio.Server | None = None
        self.persister = Persister()
        self._walk: asyncio.Task[None] | None = None

    async def start(self) -> None:
        options = self.options
        keys = load_keys(options.keys)
        settings = load_settings(options.sim_config)
        self._check_ports()
        if options.state is None:
            markets = {key: create_market(settings) for key in keys}
            self.venue = Venue(keys, markets)
        else:
            store, audit = StorePersister.open(options.state, list(keys), settings)
            self.persister = store
            markets = {key: stored.market for key, stored in store.markets.items()}
            self.venue = Venue(keys, markets, audit=audit)
            self.venue.commit = store.commit
        self.limiter = WeightLimiter(options.weight_limit, ban_seconds=options.ban_seconds)
        self.orders = OrderCounter(options.order_limit)

        app = web.Application()
        sockets.install(app)
        self.rest = RestApi(self.venue, self.limiter, self.orders, self.persister)
        self.rest.add_routes(app)
        self.streams = MarketStreams(self.venue)
        self.streams.add_routes(app)
        self.wsapi = WebSocketApi(self.venue, self.persister, options.weight_limit, self.orders)
        self.wsapi.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, options.host, options.port, reuse_address=True)
        try:
            await site.start()
        except OSError as error:
            await self._runner.cleanup()
            await self.persister.close()
            raise bind_failed(
                "REST/WebSocket port", options.host, options.port, ("--port", "--host"), error
            ) from None
        self.port = int(self._runner.addresses[0][1])

        simulator = VenueSimulator(
            self.venue, self.persister, self.limiter, self.orders, self.session_id
        )
        simulator.subscribers = lambda: self.streams.connections + self.wsapi.user_streams
        grpc_server = grpc.aio.server(options=SERVER_OPTIONS)
        simulator_pb2_grpc.add_SimulatorServicer_to_server(simulator, grpc_server)
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, grpc_server)
        reflection.enable_server_reflection(
            [SIMULATOR_SERVICE.full_name, health.SERVICE_NAME, reflection.SERVICE_NAME],
            grpc_server,
        )
        try:
            self.grpc_port = grpc_server.add_insecure_port(f"{options.host}:{options.grpc_port}")
        except RuntimeError:
            self.grpc_port = 0
        if self.grpc_port == 0:
            await self._runner.cleanup()
            await self.persister.close()
            why = bind_problem(options.host, options.grpc_port) or "cannot be bound"
            raise port_error(
                "gRPC port", options.host, options.grpc_port, ("--grpc-port", "--host"), why
            )
        self._grpc = grpc_server
        await grpc_server.start()
        if settings.tick_interval > 0:
            self._walk = asyncio.create_task(self._walk_prices(settings.tick_interval))
        await self.health.set("", health_pb2.HealthCheckResponse.SERVING)
        log.info(
            "venue serving REST and WebSockets on http://%s:%d, Simulator gRPC on %s:%d; "
            "%d account(s), symbols %s; state %s; weight limit %d/min; %s",
            options.host, self.port, options.host, self.grpc_port, len(keys),
            ", ".join(self.venue.symbols.values()),
            options.state or "in memory only (no --state)", options.weight_limit,
            f"price walk every {settings.tick_interval:g} s" if settings.tick_interval > 0
            else "prices move by SetPrice only",
        )  # fmt: skip

    def _check_ports(self) -> None:
        """A busy port is one line naming its flag, before anything is bound."""
        o = self.options
        for what, port, flag in (
            ("REST/WebSocket port", o.port, "--port"),
            ("gRPC port", o.grpc_port, "--grpc-port"),
        ):
            problem = bind_problem(o.host, port) if port else None
            if problem is not None:
                raise port_error(what, o.host, port, (flag, "--host"), problem)
        if o.port and o.port == o.grpc_port:
            raise StartupError(f"--port and --grpc-port are both {o.port}; choose two ports")

    async def _walk_prices(self, interval: float) -> None:
        """The sim config's random walk (tickInterval > 0); SetPrice moves prices too."""
        while True:
            await asyncio.sleep(interval)
            self.venue.step(interval)
            try:
                await self.persister.flush()
            except BinanceError:  # the store failed (logged): a restart is needed
                return

    async def stop(self) -> None:
        if self._walk is not None:
            self._walk.cancel()
            await asyncio.wait([self._walk])
            self._walk = None
        if self._grpc is not None:
            await self.health.enter_graceful_shutdown()
            await self._grpc.stop(self.options.grace_seconds)
            self._grpc = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.persister.close()


async def serve(options: VenueOptions) -> None:
    """Run until SIGTERM/SIGINT."""
    server = VenueServer(options)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    # Before start: its "serving" line is what a supervisor waits for, and a SIGTERM
    # right after that line must still be a clean stop.
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    try:
        await stop.wait()
        log.info("signal received: shutting down")
    finally:
        await server.stop()
