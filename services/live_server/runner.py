"""`gridops live-server`: connector client, feeds, HTTP; SIGTERM stops it cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from aiohttp import web

from gridops.client import ConnectorClient

from .app import create_app
from .broadcast import Broadcaster
from .feeds import LiveState

log = logging.getLogger(__name__)


async def serve(
    connector: str,
    *,
    host: str = "0.0.0.0",
    port: int = 8081,
    market_makers: list[str] | None = None,
    token: str | None = None,
    max_pending: int = 1000,
) -> None:
    client = ConnectorClient(connector, token=token)
    state = LiveState(client, Broadcaster(max_pending), market_makers or [])
    runner = web.AppRunner(create_app(state), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    bound = [a for a in runner.addresses if isinstance(a, tuple)]
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    log.info("live server on http://%s:%d (connector %s)", shown, bound[0][1], connector)
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
