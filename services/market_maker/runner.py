"""`gridops market-maker`: config, connector client, backend, engine, HTTP; signals."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

from aiohttp import web

from gridops.client import ConnectorClient
from gridops.spec import StrategyConfig

from .backend import Backend, DurableBackend, SimpleBackend
from .engine import Engine
from .http import create_app
from .state_dir import check_state_dir

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
    runner = web.AppRunner(create_app(engine, control_token), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, http_port)
    await site.start()
    bound = [a for a in runner.addresses if isinstance(a, tuple)]
    port = bound[0][1] if bound else http_port
    log.info(
        "market maker %s (%s engine) on %s, http port %d, connector %s, control %s",
        config.name, backend.kind, config.symbol, port, config.connector,
        "needs the control token" if control_token else "open (no control token)",
    )  # fmt: skip
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.create_task(engine.run(), name="engine")]
    if config_path is not None:
        tasks.append(asyncio.create_task(watch_paused(engine, config_path), name="config-watch"))
    stopper = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait([tasks[0], stopper], return_when=asyncio.FIRST_COMPLETED)
        if tasks[0] in done:
            tasks[0].result()  # the engine failed: raise it
    finally:
        for task in [*tasks, stopper]:
            task.cancel()
        for task in [*tasks, stopper]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await runner.cleanup()
        await client.close()
        backend.close()
        log.info("market maker stopped")
