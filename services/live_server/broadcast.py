"""WebSocket fan-out: each event serialized once; a slow client is dropped, not waited for."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(eq=False)
class WsClient:
    symbol: str | None
    queue: asyncio.Queue[str]
    dropped: asyncio.Event = field(default_factory=asyncio.Event)

    def wants(self, symbol: str | None) -> bool:
        return self.symbol is None or symbol is None or symbol == self.symbol


class Broadcaster:
    def __init__(self, max_pending: int = 1000) -> None:
        self.max_pending = max_pending
        self.clients: set[WsClient] = set()
        self.sent = 0
        self.dropped_clients = 0

    def add(self, symbol: str | None) -> WsClient:
        client = WsClient(symbol, asyncio.Queue(self.max_pending))
        self.clients.add(client)
        return client

    def remove(self, client: WsClient) -> None:
        self.clients.discard(client)

    def publish(self, kind: str, data: Any, symbol: str | None = None) -> None:
        text = json.dumps({"type": kind, "data": data}, separators=(",", ":"))
        for client in tuple(self.clients):
            if not client.wants(symbol):
                continue
            try:
                client.queue.put_nowait(text)
                self.sent += 1
            except asyncio.QueueFull:
                # It fell `max_pending` events behind: cut it loose so nobody else waits.
                self.clients.discard(client)
                self.dropped_clients += 1
                client.dropped.set()
                log.info("dropped a slow WebSocket client (%d events behind)", self.max_pending)
