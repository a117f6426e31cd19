"""Where the venue's state goes: nowhere (no --state), or the --state store."""

from __future__ import annotations


class Persister:
    """Without --state: the venue lives in memory only, and flush has nothing to do."""

    async def flush(self) -> None:
        """Return once every change made so far is durable."""

    async def close(self) -> None:
        """Flush and release the store."""
