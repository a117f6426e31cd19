"""Polling one market maker's /status, on an HTTP session that is dropped when it fails.

A keep-alive connection can outlive what it was opened to: on Kubernetes a just-created
Service answered 404 from something that was not the market maker, and a session that
kept that connection kept getting 404 long after the market maker was there. So any
failure (connection error, timeout, a status other than 200, a body that is not a
status document) closes the session and the next poll, after a backoff, opens a new
one. Transitions are logged once each, not every poll.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

from gridops.retry import Backoff

log = logging.getLogger(__name__)

# Fields that change every poll would make every poll an event.
VOLATILE = ("lastPriceAt", "idle")


class StatusPoller:
    """One market maker's /status: `poll()` gives the live server's entry for it."""

    def __init__(
        self,
        url: str,
        *,
        interval: float = 1.0,
        timeout: float = 2.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.url = url
        self.interval = interval
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.backoff = backoff or Backoff(initial=interval, maximum=max(interval, 15.0))
        self._session: aiohttp.ClientSession | None = None
        self._reachable: bool | None = None  # None: never polled
        self._delay = 0.0

    def entry(self, document: dict[str, Any] | None, error: str | None) -> dict[str, Any]:
        return {"url": self.url, "reachable": error is None, "error": error, "status": document}

    async def poll(self) -> dict[str, Any]:
        """Ask once; on failure drop the session, so the next poll opens a fresh one."""
        try:
            document = await self._get()
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            reason = str(error) or type(error).__name__
            await self._drop()
            self._delay = self.backoff.next_delay()
            if self._reachable is not False:
                log.warning(
                    "market maker %s unreachable: %s; its HTTP session is dropped and a new "
                    "one tried with backoff (next in %.1fs)", self.url, reason, self._delay,
                )  # fmt: skip
            self._reachable = False
            return self.entry(None, reason)
        self.backoff.reset()
        self._delay = self.interval
        if self._reachable is not True:
            log.info("market maker %s reachable: %s", self.url, document.get("name", "(no name)"))
        self._reachable = True
        return self.entry(document, None)

    def next_delay(self) -> float:
        """How long to wait before the next poll: the interval, or the backoff after a failure."""
        return self._delay

    async def _get(self) -> dict[str, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        async with self._session.get(self.url.rstrip("/") + "/status") as response:
            if response.status != 200:
                raise aiohttp.ClientError(f"HTTP {response.status} from {response.url}")
            document = await response.json()
        if not isinstance(document, dict) or "name" not in document:
            raise ValueError("the answer is not a market maker's status document")
        for key in VOLATILE:
            document.pop(key, None)
        return document

    async def _drop(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def close(self) -> None:
        await self._drop()
