"""The one upstream connection: read the adapter's events, fan them out, reconnect."""

from __future__ import annotations

import asyncio
import logging

from gridops.errors import GridopsError, Unavailable
from gridops.retry import Backoff

from .adapter import ExchangeAdapter
from .events import to_broadcast
from .fanout import Hub, Topic

log = logging.getLogger(__name__)


class Upstream:
    """Keeps the adapter's event stream open for the life of the connector."""

    def __init__(
        self, adapter: ExchangeAdapter, hub: Hub, session_id: str, backoff: Backoff | None = None
    ) -> None:
        self.adapter = adapter
        self.hub = hub
        self.session_id = session_id
        self.backoff = backoff or Backoff(initial=0.1, maximum=5.0)

    async def run(self) -> None:
        while True:
            try:
                async for event in self.adapter.events():
                    self.backoff.reset()
                    self.hub.publish(to_broadcast(event, self.session_id))
                error: GridopsError = Unavailable("upstream event stream ended")
            except GridopsError as exc:
                error = exc
            # Events may have been missed while the connection was down: order streams
            # cannot be patched up, so end them and let their clients resync. Snapshot
            # streams heal with the next value.
            self.hub.end_topic(
                Topic.ORDERS,
                Unavailable(f"upstream exchange connection lost ({error}): resubscribe and resync"),
            )
            delay = self.backoff.next_delay()
            log.warning(
                "upstream %s lost: %s; reconnecting in %.2fs", self.adapter.name, error, delay
            )
            await asyncio.sleep(delay)
