"""A budget of log lines for events that can come in floods (pure).

Who subscribed, who left, which WebSocket client came: a human operator wants each of
these while they are rare, and a count when a load test or a reconnect storm makes
hundreds a second. `LogBudget.take()` lets `burst` lines through, refills at `burst`
lines per `period` seconds, and counts what it holds back so the next line let through
can say how many were skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class LogBudget:
    def __init__(
        self,
        burst: int = 20,
        period: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst = burst
        self.rate = burst / period
        self.clock = clock
        self._tokens = float(burst)
        self._at = clock()
        self._held = 0

    def take(self) -> int | None:
        """None: skip this line. Otherwise log it, with the returned count of lines
        skipped since the last one (usually 0)."""
        now = self.clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens < 1:
            self._held += 1
            return None
        self._tokens -= 1
        held, self._held = self._held, 0
        return held


def skipped(held: int) -> str:
    """The suffix of a line let through after `held` were skipped."""
    return f" ({held} similar lines skipped)" if held else ""
