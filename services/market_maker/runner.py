"""`gridops market-maker`: config, connector client, backend, engine, HTTP; signals."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import Awaitable
from pathlib import Path

from aiohttp import web

from gridops import errors
from gridops.client import ConnectorClient
from gridops.spec import StrategyConfig
from gridops.startup import bind_failed

from .backend import Backend, DurableBackend, SimpleBackend
from .engine import Engine
from .http import create_app
from .port import ExchangePort
from .preflight import preflight
from .state_dir import check_state_dir
from .writer import Writer, make_writer

log = logging.getLogger(__name__)


def make_backend(config: StrategyConfig) -> Backend:
    if config.engine.type == "simple":
        return SimpleBackend(config.engine.data_dir, config.name)
    return DurableBackend(config.database_url, config.name, config.symbol)


async def watch_paused(engine: Engine, path: Path, interval: float = 1.0) -> None:
    """Follow `paused` in the config file (a ConfigMap updates it in place)."""
    from .config import ConfigError, load_config

    seen = (await asyncio.to_thread(path.stat)).st_mtime_ns
    while True:
        await asyncio.sleep(interval)
        try:
            mtime = (await asyncio.to_thread(path.stat)).st_mtime_ns
            if mtime == seen:
                continue
            seen = mtime
            paused = load_config(path).paused
        except (OSError, ConfigError) as error:
            log.warning("config reload failed: %s", error)
            continue
        if paused != engine.paused:
            engine.set_paused(paused)


async def check(engine: Engine) -> None:
    """Check the strategy against the connector (a standby too: a misconfigured engine
    should fail at once, not when it is its turn to trade)."""
    checked = await preflight(engine.port, engine.config)
    for warning in checked.warnings:
        log.warning("%s", warning)
    engine.warnings.extend(checked.warnings)
    engine.symbol_info = checked.info


async def trade_as_writer(engine: Engine, writer: Writer) -> None:
    """Trade while this engine holds the strategy's writer lease; stand by otherwise.

    Fenced (the lease went to another engine, or the connector knows a newer writer):
    trading stops at once, the engine forgets its book and waits for the lease like any
    standby, then starts again from the store and the connector.
    """
    await check(engine)
    engine.claim = writer.claim
    engine.guard = writer.ensure_valid
    engine.writer = functools.partial(_writer_status, writer)
    while True:
        engine.standby = True
        engine.metrics.standby.set(1)
        try:
            await writer.acquire()
            engine.took_over()
            engine.metrics.fencing_token.set(writer.token or 0)
            await _first_failure(engine.run(), writer.hold())
        except errors.Fenced as fenced:
            engine.on_fenced(str(fenced))
            engine.metrics.fencing_token.set(0)
            # Not at once: a lease we lost stays someone else's for a while anyway.
            await asyncio.sleep(writer.interval)


def _writer_status(writer: Writer) -> dict[str, object]:
    return {
        "lease": writer.store.kind,
        "holder": writer.holder,
        "token": writer.token,
        "standby": writer.token is None,
        "heldBy": writer.other or None,
        "leaseSeconds": writer.seconds,
    }


async def _first_failure(*coroutines: Awaitable[None]) -> None:
    """Run them together until one ends: cancel the others, raise its error."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def cancel_open_orders(
    port: ExchangePort, config: StrategyConfig, prefix: str, timeout: float = 10.0
) -> None:
    """engine.cancelOnShutdown: leave nothing resting once the engine stopped.

    Asked again until the connector lists none: an order whose PlaceOrder was in flight
    when the engine stopped can reach the exchange after the first CancelAllOrders.
    """
    canceled = 0
    try:
        async with asyncio.timeout(timeout):
            for _ in range(3):
                canceled += len(await port.cancel_all_orders(config.symbol, prefix))
                if not await port.get_open_orders(config.symbol, prefix):
                    log.info("cancelOnShutdown: canceled %d open orders", canceled)
                    return
    except (errors.GridopsError, TimeoutError) as error:
        log.warning(
            "cancelOnShutdown: could not cancel every open order (%s); cancel them with "
            "gridops cancel --connector %s --prefix %s",
            error or "timed out", config.connector, prefix,
        )  # fmt: skip
        return
    log.warning(
        "cancelOnShutdown: orders still open after 3 attempts; cancel them with "
        "gridops cancel --connector %s --prefix %s",
        config.connector, prefix,
    )  # fmt: skip


async def serve(
    config: StrategyConfig,
    *,
    host: str = "0.0.0.0",
    http_port: int = 8080,
    config_path: Path | None = None,
    token: str | None = None,
    control_token: str | None = None,
) -> None:
    """Run one engine until SIGTERM/SIGINT.

    `token` authenticates to the connector; `control_token`, when set, is required
    (`authorization: Bearer ...`) by this process's mutating HTTP endpoints. Raises
    StateDirError, before serving anything, when the engine cannot write its state.
    """
    # Before anything starts: an unwritable state directory is a config error (StateDirError).
    check_state_dir(config)
    client = ConnectorClient(config.connector, token=token)
    backend = make_backend(config)
    engine = Engine(config, client, backend)
    writer = make_writer(config, client, engine.prefix)
    runner = web.AppRunner(create_app(engine, control_token), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, http_port)
    try:
        await site.start()
    except OSError as error:
        await runner.cleanup()
        await backend.close()
        await writer.close()
        await client.close()
        flags = ("--http-port", "--http-host")
        raise bind_failed("HTTP port", host, http_port, flags, error) from None
    bound = [a for a in runner.addresses if isinstance(a, tuple)]
    port = bound[0][1] if bound else http_port
    log.info(
        "market maker %s (%s engine) on %s, http port %d, connector %s, control %s%s",
        config.name, backend.kind, config.symbol, port, config.connector,
        "needs the control token" if control_token else "open (no control token)",
        "; cancels its open orders on shutdown" if config.engine.cancel_on_shutdown else "",
    )  # fmt: skip
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.create_task(trade_as_writer(engine, writer), name="engine")]
    if config_path is not None:
        tasks.append(asyncio.create_task(watch_paused(engine, config_path), name="config-watch"))
    stopper = asyncio.create_task(stop.wait())
    signalled = False
    try:
        done, _ = await asyncio.wait([tasks[0], stopper], return_when=asyncio.FIRST_COMPLETED)
        if tasks[0] in done:
            tasks[0].result()  # the engine failed: raise it
        signalled = True
    finally:
        for task in [*tasks, stopper]:
            task.cancel()
        for task in [*tasks, stopper]:
            # A task that failed raised its error through result() above already; raising
            # it again here would skip the cleanup below.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        # Only on a clean stop, once the engine can no longer place anything, and only by
        # the writer: a standby's or a fenced engine's orders are another engine's now.
        if (
            signalled
            and config.engine.cancel_on_shutdown
            and engine.reconciled_at is not None
            and writer.token is not None
        ):
            await cancel_open_orders(client, config, engine.prefix)
        if signalled:
            await writer.release()
        await writer.close()
        await runner.cleanup()
        await client.close()
        await backend.close()
        log.info("market maker stopped")
