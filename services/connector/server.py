"""Assembles and runs the connector: gRPC server, health, reflection, metrics, upstream."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from prometheus_client import start_http_server

from gridops.errors import Unavailable
from gridops.startup import StartupError, bind_failed, bind_problem, port_error
from gridops.v1 import connector_pb2, simulator_pb2

from .adapter import ExchangeAdapter
from .auth import TokenAuthInterceptor
from .fanout import Hub
from .handlers import generic_handler
from .metrics import ConnectorMetrics
from .service import ConnectorService
from .settings import ConnectorSettings
from .upstream import Upstream

log = logging.getLogger(__name__)

CONNECTOR_SERVICE = connector_pb2.DESCRIPTOR.services_by_name["ExchangeConnector"]
SIMULATOR_SERVICE = simulator_pb2.DESCRIPTOR.services_by_name["Simulator"]

SERVER_OPTIONS: list[tuple[str, Any]] = [
    # A second server on the same port must fail, not silently share it.
    ("grpc.so_reuseport", 0),
    # Clients ping idle streams to find dead connections; allow it.
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_recv_ping_interval_without_data_ms", 5_000),
    ("grpc.http2.max_ping_strikes", 0),
]


class ConnectorServer:
    """One connector: `await start()`, then `await stop()` (idempotent)."""

    def __init__(self, adapter: ExchangeAdapter, settings: ConnectorSettings) -> None:
        self.adapter = adapter
        self.settings = settings
        self.session_id = uuid.uuid4().hex
        self.started_at = datetime.now(UTC)
        self.hub = Hub(max_pending=settings.max_pending)
        self.metrics = ConnectorMetrics(adapter, self.hub)
        self.health = health.aio.HealthServicer()
        self.port = 0
        self.metrics_port: int | None = None
        self._server: grpc.aio.Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._metrics_http: Any = None
        self._stopped: asyncio.Event | None = None
        self._stopping = False

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        interceptors = [TokenAuthInterceptor(self.settings.token)] if self.settings.token else []
        server = grpc.aio.server(options=SERVER_OPTIONS, interceptors=interceptors)
        self.upstream = Upstream(
            self.adapter, self.hub, self.session_id, on_state=self._upstream_state
        )
        service = ConnectorService(
            self.adapter,
            self.hub,
            self.upstream,
            self.session_id,
            self.started_at,
            self.metrics,
            upstream_wait=self.settings.upstream_wait_seconds,
        )
        handlers = [generic_handler(CONNECTOR_SERVICE, service, self.metrics)]
        names = [CONNECTOR_SERVICE.full_name]
        simulator = self._simulator_service()
        if simulator is not None:
            handlers.append(generic_handler(SIMULATOR_SERVICE, simulator, self.metrics))
            names.append(SIMULATOR_SERVICE.full_name)
        server.add_generic_rpc_handlers(handlers)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        names += [health.SERVICE_NAME, reflection.SERVICE_NAME]
        reflection.enable_server_reflection(names, server)

        self._bind(server)
        try:
            self._serve_metrics()
        except StartupError:
            await server.stop(None)
            raise
        self._server = server
        try:
            await self.adapter.start()
        except BaseException:
            # The venue refused us (credentials, symbols) or stayed away: nothing served.
            await server.stop(None)
            if self._metrics_http is not None:
                self._metrics_http.shutdown()
                self._metrics_http.server_close()
            raise
        self._tasks.append(asyncio.create_task(self.upstream.run(), name="connector-upstream"))
        self._stopped = asyncio.Event()
        await server.start()
        await self.health.set("", health_pb2.HealthCheckResponse.SERVING)
        host = self.settings.host
        symbols = self.adapter.symbols()
        log.info(
            "connector %s (%s) serving on %s:%d, session %s; %d symbols (%s); metrics %s; "
            "token auth %s, %s",
            self.adapter.name, self.adapter.account, host, self.port, self.session_id,
            len(symbols), ", ".join(symbols[:10]) + (", ..." if len(symbols) > 10 else ""),
            f"http://{self.settings.metrics_host}:{self.metrics_port}/metrics"
            if self.metrics_port is not None else "off",
            "on" if self.settings.token else "off",
            "TLS" if self.settings.tls_cert else "plaintext",
        )  # fmt: skip

    def _bind(self, server: grpc.aio.Server) -> None:
        """Bind the gRPC port; a port that cannot be bound is a StartupError naming it."""
        host, port = self.settings.host, self.settings.port
        flag = ("--port (env GRIDOPS_CONNECTOR_PORT)", "--host (env GRIDOPS_CONNECTOR_HOST)")
        # Asked first so that a busy port gives our line alone, not gRPC's C-level one.
        problem = bind_problem(host, port) if port else None
        if problem is not None:
            raise port_error("gRPC port", host, port, flag, problem)
        bind = f"{host}:{port}"
        try:
            if self.settings.tls_cert and self.settings.tls_key:
                key = _read(self.settings.tls_key, "--tls-key", "GRIDOPS_CONNECTOR_TLS_KEY")
                cert = _read(self.settings.tls_cert, "--tls-cert", "GRIDOPS_CONNECTOR_TLS_CERT")
                credentials = grpc.ssl_server_credentials([(key, cert)])
                self.port = server.add_secure_port(bind, credentials)
            else:
                self.port = server.add_insecure_port(bind)
        except RuntimeError:  # "Failed to bind", without the cause: a race with the probe
            self.port = 0
        if self.port == 0:
            why = bind_problem(host, port) or "cannot be bound"
            raise port_error("gRPC port", host, port, flag, why)

    def _serve_metrics(self) -> None:
        if self.settings.metrics_port is None:
            return
        host, port = self.settings.metrics_host, self.settings.metrics_port
        try:
            self._metrics_http, _ = start_http_server(
                port, addr=host, registry=self.metrics.registry
            )
        except OSError as error:
            flags = (
                "--metrics-port (env GRIDOPS_CONNECTOR_METRICS_PORT) or --no-metrics",
                "--metrics-host (env GRIDOPS_CONNECTOR_METRICS_HOST)",
            )
            raise bind_failed("metrics port", host, port, flags, error) from None
        self.metrics_port = self._metrics_http.server_port

    def _simulator_service(self) -> object | None:
        from .sim.adapter import SimAdapter  # the Simulator exists only for the sim

        if not isinstance(self.adapter, SimAdapter):
            return None
        from .simulator_service import SimulatorService

        return SimulatorService(self.adapter, self.hub, self.session_id)

    async def _upstream_state(self, connected: bool) -> None:
        """Health of the connector service follows the upstream connection.

        The overall health ("") stays SERVING while the process runs: a liveness probe
        must not restart a connector because the exchange is down.
        """
        if self._stopping:
            return
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if connected
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        await self.health.set(CONNECTOR_SERVICE.full_name, status)

    async def stop(self, grace: float | None = None) -> None:
        """Stop accepting calls, end streams with UNAVAILABLE, let calls finish, clean up."""
        if self._stopping:
            if self._stopped is not None:
                await self._stopped.wait()
            return
        self._stopping = True
        await self.health.enter_graceful_shutdown()
        self.hub.close(Unavailable("connector shutting down"))
        if self._server is not None:
            await self._server.stop(self.settings.grace_seconds if grace is None else grace)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.adapter.close()
        if self._metrics_http is not None:
            self._metrics_http.shutdown()
            self._metrics_http.server_close()
        if self._stopped is not None:
            self._stopped.set()
        log.info("connector stopped")

    async def wait_stopped(self) -> None:
        if self._stopped is None:
            raise RuntimeError("server not started")
        await self._stopped.wait()


def _read(path: Path, flag: str, env: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise StartupError(
            f"{flag} {path}: cannot read it: {error.strerror or error} (env {env})"
        ) from None


def _no_ccxt_flags(settings: ConnectorSettings) -> None:
    given = {
        "--api-url": settings.api_url,
        "--ws-url": settings.ws_url,
        "--credentials-file": settings.credentials_file,
        "--symbols": settings.symbols,
        "--sandbox": settings.sandbox or None,
    }
    for flag, value in given.items():
        if value is not None:
            raise StartupError(f"{flag}: only for a ccxt exchange, not --exchange sim")


def make_adapter(settings: ConnectorSettings) -> ExchangeAdapter:
    if settings.exchange == "sim":
        _no_ccxt_flags(settings)
        from gridops.simexchange.settings import SimSettings, SimSettingsError, load_sim_settings
        from gridops.simexchange.store import StoreBusy

        from .sim.adapter import SimAdapter

        try:
            sim = load_sim_settings(settings.sim_config) if settings.sim_config else SimSettings()
        except SimSettingsError as error:
            raise StartupError(f"--sim-config {error} (env GRIDOPS_CONNECTOR_SIM_CONFIG)") from None
        overrides: dict[str, Any] = {}
        if settings.sim_seed is not None:
            overrides["seed"] = settings.sim_seed
        if settings.sim_tick_seconds is not None:
            overrides["tick_interval"] = settings.sim_tick_seconds
        if overrides:
            sim = sim.model_copy(update=overrides)
        try:
            return SimAdapter(sim, account=settings.account, state_path=settings.sim_state)
        except StoreBusy as error:
            raise StartupError(f"--sim-state {error} (env GRIDOPS_CONNECTOR_SIM_STATE)") from None
        except (OSError, ValueError, KeyError, TypeError, sqlite3.Error) as error:
            # A state file another version wrote, or a half-copied one: say which file.
            reason = error.strerror if isinstance(error, OSError) else f"not a sim state: {error}"
            raise StartupError(
                f"--sim-state {settings.sim_state}: cannot restore the sim exchange from it "
                f"({reason}); move it away to start afresh (env GRIDOPS_CONNECTOR_SIM_STATE)"
            ) from None
    from .ccxt.factory import make_ccxt_adapter

    return make_ccxt_adapter(settings)


async def serve(settings: ConnectorSettings) -> None:
    """Run until SIGTERM/SIGINT, then shut down within the grace period."""
    server = ConnectorServer(make_adapter(settings), settings)
    await server.start()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("signal received: shutting down (grace %.1fs)", settings.grace_seconds)
    await server.stop()
