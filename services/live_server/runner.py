"""`gridops live-server`: connector client, feeds, HTTP; SIGTERM stops it cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

from aiohttp import web

from gridops.client import ConnectorClient
from gridops.startup import bind_failed

from .app import create_app
from .broadcast import Broadcaster
from .controls import ControlSettings
from .feeds import LiveState
from .history import PriceHistory, StateDirError, default_state_dir

log = logging.getLogger(__name__)


async def serve(
    connector: str,
    *,
    host: str = "0.0.0.0",
    port: int = 8081,
    market_makers: list[str] | None = None,
    token: str | None = None,
    max_pending: int = 1000,
    state_dir: Path | None = None,
    controls: ControlSettings | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT.

    `state_dir` None: the default under the temp dir, used if it can be (a warning
    otherwise); a given one must be usable, or StateDirError is raised before anything
    starts.
    """
    history = open_history(state_dir, connector)
    client = ConnectorClient(connector, token=token)
    state = LiveState(
        client, Broadcaster(max_pending), market_makers or [], history=history, controls=controls
    )
    try:
        await _serve(state, connector, host, port)
    finally:
        history.close()


def open_history(state_dir: Path | None, connector: str) -> PriceHistory:
    if state_dir is not None:
        history = PriceHistory(state_dir)
        history.open()  # StateDirError: the caller names the flag
        return history
    history = PriceHistory(default_state_dir(connector))
    try:
        history.open()
    except StateDirError as error:
        log.warning("price history kept in memory only (%s); pass --state-dir DIR", error)
        return PriceHistory()
    return history


async def _serve(state: LiveState, connector: str, host: str, port: int) -> None:
    client = state.client
    runner = web.AppRunner(create_app(state), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as error:
        await runner.cleanup()
        await client.close()
        raise bind_failed("HTTP port", host, port, ("--port", "--host"), error) from None
    bound = [a for a in runner.addresses if isinstance(a, tuple)]
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    log.info("live server on http://%s:%d (connector %s)", shown, bound[0][1], connector)
    log.info(
        "following %s (--market-maker)",
        ", ".join(f"market maker {url}" for url in state.mm_urls) or "no market maker",
    )
    controls = state.controls
    log.info(
        "price history in %s; dashboard controls: %s", state.history.directory or "memory only",
        "kubectl commands only (--operator-managed)" if controls.operator_managed
        else "on, with a control token" if controls.token else "on, without a control token",
    )  # fmt: skip
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    feeds = asyncio.create_task(state.run(), name="live-feeds")
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait([feeds, stopper], return_when=asyncio.FIRST_COMPLETED)
        if feeds.done():
            feeds.result()
    finally:
        for task in (feeds, stopper):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await runner.cleanup()
        await client.close()
        log.info("live server stopped")
