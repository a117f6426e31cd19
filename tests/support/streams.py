"""Collect what a subscription yields, in a task, for assertions."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

from gridops.client import Disconnected, Resync, Subscribed, Update

from .poll import eventually

T = TypeVar("T")


class Recorder(Generic[T]):
    """Runs `async for` over a subscription in a task and keeps every item."""

    def __init__(self, stream: AsyncIterator[object]) -> None:
        self.items: list[object] = []
        self.task = asyncio.create_task(self._run(stream))

    async def _run(self, stream: AsyncIterator[object]) -> None:
        async for item in stream:
            self.items.append(item)

    @property
    def updates(self) -> list[Update[T]]:
        return [i for i in self.items if isinstance(i, Update)]

    @property
    def values(self) -> list[T]:
        return [u.value for u in self.updates]

    def of(self, kind: type[object]) -> list[object]:
        return [i for i in self.items if isinstance(i, kind)]

    async def wait_for(self, kind: type[object], count: int = 1, timeout: float = 10) -> None:
        async def enough() -> bool:
            if self.task.done() and self.task.exception() is not None:
                raise AssertionError(f"subscription failed: {self.task.exception()!r}")
            return len(self.of(kind)) >= count

        await eventually(enough, timeout=timeout, message=f"{count} x {kind.__name__}")

    async def wait_subscribed(self, timeout: float = 10) -> None:
        await self.wait_for(Subscribed, timeout=timeout)

    async def wait_updates(self, count: int, timeout: float = 10) -> list[Update[T]]:
        await self.wait_for(Update, count, timeout)
        return self.updates

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


__all__ = ["Disconnected", "Recorder", "Resync", "Subscribed", "Update"]
