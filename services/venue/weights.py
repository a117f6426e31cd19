"""Request weight as Binance counts it: per client IP, per minute. Pure: no I/O.

Past the budget a request gets 429 with Retry-After (the seconds left in the minute); a
client that sends more than `ban_after` requests into 429s within one minute is banned
for `ban_seconds` (418, Retry-After) like the real venue bans an IP. Both answers are
counted, so a test can assert that a well-behaved client never saw one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from . import errors

WINDOW_SECONDS = 60

#: (method, path) -> (weight with a symbol, weight without one), Binance spot's figures
WEIGHTS: dict[tuple[str, str], tuple[int, int]] = {
    ("GET", "/api/v3/ping"): (1, 1),
    ("GET", "/api/v3/time"): (1, 1),
    ("GET", "/api/v3/exchangeInfo"): (20, 20),
    ("GET", "/api/v3/ticker/24hr"): (2, 80),
    ("GET", "/api/v3/ticker/price"): (2, 4),
    ("GET", "/api/v3/ticker/bookTicker"): (2, 4),
    ("GET", "/api/v3/account"): (20, 20),
    ("POST", "/api/v3/order"): (1, 1),
    ("DELETE", "/api/v3/order"): (1, 1),
    ("GET", "/api/v3/order"): (4, 4),
    ("GET", "/api/v3/openOrders"): (6, 80),
    ("DELETE", "/api/v3/openOrders"): (1, 1),
    ("GET", "/api/v3/allOrders"): (20, 20),
    ("GET", "/api/v3/myTrades"): (20, 20),
}


def weight_of(method: str, path: str, params: Mapping[str, str]) -> int:
    with_symbol, without = WEIGHTS.get((method, path), (1, 1))
    return with_symbol if params.get("symbol") or params.get("symbols") else without


class LimitError(errors.BinanceError):
    def __init__(self, error: errors.BinanceError, retry_after: int, used: int) -> None:
        super().__init__(error.status, error.code, error.msg)
        self.retry_after = retry_after
        self.used = used


@dataclass(slots=True)
class _Client:
    window: int = -1
    used: int = 0
    refused: int = 0
    banned_until: float = 0.0


class WeightLimiter:
    def __init__(self, limit: int, *, ban_after: int = 10, ban_seconds: float = 120.0) -> None:
        if limit <= 0:
            raise ValueError("limit: must be greater than 0")
        self.limit = limit
        self.ban_after = ban_after
        self.ban_seconds = ban_seconds
        self.rate_limited = 0
        self.banned = 0
        self._clients: dict[str, _Client] = {}

    def charge(self, client: str, weight: int, now: float) -> int:
        """Add `weight` to `client`'s minute; its weight used so far, or LimitError."""
        state = self._clients.setdefault(client, _Client())
        window = int(now // WINDOW_SECONDS)
        if state.window != window:
            state.window, state.used, state.refused = window, 0, 0
        if state.banned_until > now:
            self.banned += 1
            raise LimitError(
                errors.banned(int(state.banned_until * 1000)),
                math.ceil(state.banned_until - now),
                state.used,
            )
        if state.used + weight > self.limit:
            state.refused += 1
            if state.refused > self.ban_after:
                state.banned_until = now + self.ban_seconds
                self.banned += 1
                raise LimitError(
                    errors.banned(int(state.banned_until * 1000)),
                    math.ceil(self.ban_seconds),
                    state.used,
                )
            self.rate_limited += 1
            left = (window + 1) * WINDOW_SECONDS - now
            raise LimitError(
                errors.too_much_weight(self.limit), max(1, math.ceil(left)), state.used
            )
        state.used += weight
        return state.used

    def used(self, client: str, now: float) -> int:
        state = self._clients.get(client)
        if state is None or state.window != int(now // WINDOW_SECONDS):
            return 0
        return state.used


class OrderCounter:
    """New orders per account and 10 seconds (Binance's ORDERS limit): past it -1015."""

    WINDOW = 10

    def __init__(self, limit: int) -> None:
        if limit <= 0:
            raise ValueError("limit: must be greater than 0")
        self.limit = limit
        self.refused = 0
        self._windows: dict[str, tuple[int, int]] = {}

    def count(self, account: str, now: float) -> int:
        """Count one new order of `account`; its count in this window, or LimitError."""
        window = int(now // self.WINDOW)
        seen_window, seen = self._windows.get(account, (window, 0))
        used = seen if seen_window == window else 0
        if used >= self.limit:
            self.refused += 1
            left = (window + 1) * self.WINDOW - now
            error = errors.BinanceError(
                429,
                -1015,
                f"Too many new orders; current limit is {self.limit} orders per 10 SECOND.",
            )
            raise LimitError(error, max(1, math.ceil(left)), used)
        self._windows[account] = (window, used + 1)
        return used + 1
