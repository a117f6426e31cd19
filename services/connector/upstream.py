"""The one upstream connection: read the adapter's events, fan them out, reconnect."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from gridops.errors import GridopsError, Unavailable
from gridops.models import UpstreamOpened
from gridops.retry import Backoff

from .adapter import ExchangeAdapter
from .events import to_broadcast
from .fanout import Hub, Topic

log = logging.getLogger(__name__)

#: called with True when the upstream opens, False when it is lost
OnState = Callable[[bool], Awaitable[None]]


class Upstream:
    """Keeps the adapter's event stream open for the life of the connector."""

    def __init__(
        self,
        adapter: ExchangeAdapter,
        hub: Hub,
        session_id: str,
        *,
        backoff: Backoff | None = None,
        on_state: OnState | None = None,
    ) -> None:
        self.adapter = adapter
        self.hub = hub
        self.session_id = session_id
        self.backoff = backoff or Backoff(initial=0.1, maximum=5.0)
        self.on_state = on_state
        self.connected = asyncio.Event()

    async def wait_connected(self, timeout: float) -> None:
        """Return once events flow; Unavailable if the exchange stays unreachable."""
        if self.connected.is_set():
            return
        try:
            await asyncio.wait_for(self.connected.wait(), timeout)
        except TimeoutError:
            raise Unavailable(
                f"the upstream {self.adapter.name} connection is down: retry later"
            ) from None

    async def _set_state(self, connected: bool) -> None:
        if connected == self.connected.is_set():
            return
        if connected:
            self.connected.set()
            log.info("upstream %s connected", self.adapter.name)
        else:
            self.connected.clear()
        if self.on_state is not None:
            await self.on_state(connected)

    async def run(self) -> None:
        while True:
            try:
                async for event in self.adapter.events():
                    if isinstance(event, UpstreamOpened):
                        self.backoff.reset()
                        await self._set_state(True)
                        continue
                    self.hub.publish(to_broadcast(event, self.session_id))
                error: GridopsError = Unavailable("upstream event stream ended")
            except GridopsError as exc:
                error = exc
            await self._set_state(False)
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
