"""Poll-with-deadline: the only way tests wait for something that happens elsewhere."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T]],
    *,
    timeout: float = 10.0,
    interval: float = 0.02,
    message: str = "condition not met",
) -> T:
    """Await `probe()` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            last = await probe()
            if last:
                return last
        except Exception as error:
            last_error = error
        await asyncio.sleep(interval)
    raise AssertionError(f"{message} within {timeout}s (last value {last!r}, error {last_error!r})")


def wait_until(
    check: Callable[[], T], *, timeout: float = 10.0, interval: float = 0.02, message: str = ""
) -> T:
    """Synchronous twin of `eventually`."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{message or 'condition not met'} within {timeout}s (last {last!r})")
