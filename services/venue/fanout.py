"""One outgoing queue per WebSocket connection; a connection that falls behind is dropped.

An event is serialized once and the same text queued for every subscriber.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

log = logging.getLogger(__name__)

#: messages a WebSocket client may fall behind before it is disconnected
MAX_PENDING = 1000


class Outbox:
    def __init__(self, ws: web.WebSocketResponse, name: str) -> None:
        self.ws = ws
        self.name = name
        self.queue: asyncio.Queue[str] = asyncio.Queue(MAX_PENDING)
        self.dropped = False
        self._closing: asyncio.Future[bool] | None = None
        self._task = asyncio.create_task(self._drain(), name=f"venue-ws-{name}")

    def put(self, text: str) -> None:
        if self.dropped:
            return
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.dropped = True
            log.warning("%s fell %d messages behind: disconnected", self.name, MAX_PENDING)
            self._task.cancel()
            self._closing = asyncio.ensure_future(self.ws.close(code=1008, message=b"too slow"))

    async def _drain(self) -> None:
        try:
            while True:
                text = await self.queue.get()
                await self.ws.send_str(text)
        except (ConnectionError, RuntimeError):  # the peer went away mid-send
            self.dropped = True

    async def close(self) -> None:
        self._task.cancel()
        # wait() neither raises the task's cancellation nor swallows our own
        await asyncio.wait([self._task])
