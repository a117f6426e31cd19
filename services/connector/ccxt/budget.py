"""The account's one request budget: a cooldown after the venue says "slow down",
and one request in flight per question however many clients ask it.

ccxt's own limiter (`enableRateLimit`) spaces requests by the venue's weights; this adds
what it does not do: after a 429/418 every request waits out Retry-After (or a capped
backoff) instead of each client hammering on, and identical reads in flight at once (a
hundred subscribers resyncing after a reconnect) share one upstream request.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from gridops.errors import RateLimited
from gridops.retry import Backoff

T = TypeVar("T")

#: a request waits out a cooldown this short instead of failing
MAX_WAIT = 2.0


class Budget:
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        backoff: Backoff | None = None,
        max_wait: float = MAX_WAIT,
    ) -> None:
        self.clock = clock
        self.backoff = backoff or Backoff(initial=1.0, maximum=60.0)
        self.max_wait = max_wait
        self.until = 0.0
        self.rate_limited_total = 0
        self._inflight: dict[Hashable, asyncio.Future[Any]] = {}

    def remaining(self) -> float:
        return max(0.0, self.until - self.clock())

    def penalize(self, retry_after: float | None) -> float:
        """The venue refused for rate: no request until Retry-After (or a backoff) passed."""
        self.rate_limited_total += 1
        delay = retry_after if retry_after and retry_after > 0 else self.backoff.next_delay()
        self.until = max(self.until, self.clock() + delay)
        return delay

    def succeeded(self) -> None:
        self.backoff.reset()

    async def admit(self) -> None:
        """Wait out a short cooldown; RateLimited (with the time left) for a long one."""
        left = self.remaining()
        if left <= 0:
            return
        if left > self.max_wait:
            raise RateLimited(f"the venue asked us to slow down: retry in {left:.1f}s")
        await asyncio.sleep(left)

    async def shared(self, key: Hashable, call: Callable[[], Awaitable[T]]) -> T:
        """Run `call` once for every caller that asks `key` while it is in flight."""
        pending = self._inflight.get(key)
        if pending is not None:
            try:
                result: T = await asyncio.shield(pending)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not pending.cancelled() or (task is not None and task.cancelling()):
                    raise
                # The caller that ran it was cancelled, not us: ask again ourselves.
                return await self.shared(key, call)
            return result
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await call()
        except BaseException as error:
            if not future.done():
                if isinstance(error, asyncio.CancelledError):
                    future.cancel()
                else:
                    future.set_exception(error)
                    future.exception()  # retrieved: no "never retrieved" warning
            raise
        else:
            future.set_result(value)
            return value
        finally:
            self._inflight.pop(key, None)


class OrderPace:
    """New orders per window, as Binance counts them (100 per 10 s and account, -1015
    past it); ccxt's limiter weighs requests but does not count orders.

    Counted from when each order's answer came back, and every order in flight counted
    too: the venue counted it on arrival, which is no later, so however long an order
    waited in ccxt's queue the venue never sees more than `limit` in a window. An order
    that would break the count waits for its slot, up to two windows, then RateLimited.
    """

    def __init__(
        self,
        limit: int = 100,
        window: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.inflight = 0
        #: when each of the recent orders' answers came back
        self._done: deque[float] = deque()

    def delay(self) -> float:
        """Seconds until an order may go (0: now); the count is not taken."""
        now = self.clock()
        while self._done and self._done[0] <= now - self.window:
            self._done.popleft()
        over = len(self._done) + self.inflight - self.limit + 1
        if over <= 0:
            return 0.0
        if over > len(self._done):  # orders in flight must come back first
            return self.window
        return self._done[over - 1] + self.window - now

    def take(self) -> None:
        self.inflight += 1

    def done(self) -> None:
        self.inflight -= 1
        self._done.append(self.clock())

    async def admit(self) -> None:
        """Wait for a slot and take it; `done()` when the order's answer is back."""
        deadline = self.clock() + 2 * self.window
        while (wait := self.delay()) > 0:
            if self.clock() + wait > deadline:
                raise RateLimited(
                    f"over {self.limit} new orders per {self.window:g}s: retry in {wait:.1f}s"
                )
            await asyncio.sleep(min(wait, self.window / 20))
        self.take()
