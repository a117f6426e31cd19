"""Where the venue's state goes: nowhere (no --state), or the sim store (--state FILE).

The store (gridops.simexchange.store) writes only what each call changed, and a commit
resolves once it and every commit before it are durable: an edge awaits `flush()`
before it acknowledges anything, and events go out only once durable (`on_durable`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

from gridops.simexchange.settings import SimSettings
from gridops.simexchange.store import SimStore, StoreBusy, StoredMarket
from gridops.startup import StartupError

from . import errors
from .audit import AuditEntry
from .history import rebuild_audit

log = logging.getLogger(__name__)


class Persister:
    """Without --state: the venue lives in memory only, and flush has nothing to do."""

    def commit(self, key: str, on_durable: Callable[[], None]) -> None:
        on_durable()

    async def flush(self) -> None:
        """Return once every change made so far is durable."""

    async def close(self) -> None:
        """Release the store."""


class StorePersister(Persister):
    def __init__(self, store: SimStore, markets: Mapping[str, StoredMarket]) -> None:
        self.store = store
        self.markets = dict(markets)
        self._last: Awaitable[None] | None = None

    @classmethod
    def open(
        cls, path: Path, keys: list[str], settings: SimSettings
    ) -> tuple[StorePersister, list[AuditEntry]]:
        """The store at `path` with a market per key (restored, or new from `settings`),
        and the audit log its history gives."""
        try:
            store = SimStore.open(path)
        except StoreBusy as error:
            raise StartupError(f"--state {error}") from None
        except (OSError, ValueError) as error:
            raise StartupError(f"--state {path}: cannot use it: {error}") from None
        markets = {key: store.market(key, settings) for key in keys}
        restored = [key for key, stored in markets.items() if not stored.created]
        if restored:
            log.info("state %s: restored account(s) %s", path, ", ".join(restored))
        return cls(store, markets), rebuild_audit(path, keys)

    def commit(self, key: str, on_durable: Callable[[], None]) -> None:
        # Each commit resolves once it and all before it are durable: the last one
        # issued is the one to wait for.
        self._last = self.markets[key].commit(on_durable)

    async def flush(self) -> None:
        if self._last is None:
            return
        try:
            await self._last
        except Exception as error:  # StoreFailed: nothing is acknowledged any more
            log.error("state store failed: %s", error)
            raise errors.BinanceError(
                500, -1001, "Internal error; unable to process your request. Please try again."
            ) from None

    async def close(self) -> None:
        with contextlib.suppress(errors.BinanceError):  # said when it failed
            await self.flush()
        self.store.close()
