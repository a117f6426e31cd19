"""Risk rules: the circuit breaker (fast price moves), stale data, drawdown, max position.

A tripped rule halts new entries and records why and when (RiskState, which the engine
stores so it survives restarts); it clears after the cooldown or when the user clears it.
Max position is not a halt: it only holds back entries while the position is that big.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from gridops.decimals import fmt

from .risk_state import RiskState
from .slots import Direction, RiskVerdict


class RiskSettingsLike(Protocol):
    """The fields of config.RiskSettings read here (a protocol: no pydantic import)."""

    @property
    def max_move_percent(self) -> Decimal: ...
    @property
    def move_window_seconds(self) -> float: ...
    @property
    def max_position(self) -> Decimal | None: ...
    @property
    def max_drawdown(self) -> Decimal | None: ...
    @property
    def stale_data_seconds(self) -> float: ...
    @property
    def cooldown_seconds(self) -> float: ...
    @property
    def cancel_on_halt(self) -> bool: ...


_Tick = tuple[datetime, Decimal]


def drawdown(pnl: Decimal) -> Decimal:
    """The loss the max-drawdown rule measures: how far total PnL (realized + unrealized,
    since the strategy started) is below zero; 0 while it is not."""
    return -pnl if pnl < 0 else Decimal(0)


class RiskMonitor:
    def __init__(self, settings: RiskSettingsLike, state: RiskState) -> None:
        self.settings = settings
        self._state = state
        self._window = timedelta(seconds=settings.move_window_seconds)
        # Monotonic queues over the prices of the last window: the lowest and the highest
        # earlier price are the ones a new price can have moved furthest from, so each
        # price costs O(1) however many arrive per second.
        self._lows: deque[_Tick] = deque()
        self._highs: deque[_Tick] = deque()
        # Every price of the window in arrival order, to know which one was in effect
        # when the window opened: a price that held for a minute and then jumped moved
        # from that held price within the last second, though it arrived long ago.
        self._recent: deque[_Tick] = deque()
        self._anchor: _Tick | None = None

    @property
    def state(self) -> RiskState:
        return self._state

    def on_price(self, price: Decimal, now: datetime) -> RiskState | None:
        """Feed one price; the new state when the circuit breaker trips, else None."""
        if price <= 0:
            return None
        # Comparing times with one cutoff is cheaper than a subtraction per entry.
        cutoff = now - self._window
        lows, highs, recent = self._lows, self._highs, self._recent
        while lows and lows[0][0] < cutoff:
            lows.popleft()
        while highs and highs[0][0] < cutoff:
            highs.popleft()
        while recent and recent[0][0] < cutoff:
            self._anchor = recent.popleft()
        tripped = None
        if not self._state.halted:
            tripped = self._move(price, now)
        while self._lows and self._lows[-1][1] >= price:
            self._lows.pop()
        self._lows.append((now, price))
        while self._highs and self._highs[-1][1] <= price:
            self._highs.pop()
        self._highs.append((now, price))
        self._recent.append((now, price))
        return tripped

    def _move(self, price: Decimal, now: datetime) -> RiskState | None:
        limit = self.settings.max_move_percent
        candidates = [queue[0] for queue in (self._lows, self._highs) if queue]
        if self._anchor is not None:
            # In effect since before the window opened: it counts from the window's start.
            candidates.append((now - self._window, self._anchor[1]))
        for since, earlier in candidates:
            # |move| / earlier >= limit %, without a division on every price.
            if abs(price - earlier) * 100 >= limit * earlier:
                percent = abs(price - earlier) * 100 / earlier
                seconds = _seconds((now - since).total_seconds())
                return self._trip(
                    f"price moved {percent:.1f}% in {seconds}s ({fmt(earlier)} -> {fmt(price)})",
                    now,
                )
        return None

    def check(
        self,
        now: datetime,
        position: Decimal,
        pnl: Decimal,
        last_price_at: datetime | None,
    ) -> RiskState | None:
        """The periodic rules; the new state when it changed (tripped or cleared)."""
        cleared = None
        if self._state.halted:
            until = self._state.until
            if until is None or now < until:
                return None
            cleared = self.clear(now)
        settings = self.settings
        if last_price_at is not None:
            silent = (now - last_price_at).total_seconds()
            if silent > settings.stale_data_seconds:
                return self._trip(
                    f"no price for {_seconds(silent)}s "
                    f"(staleDataSeconds {_seconds(settings.stale_data_seconds)})",
                    now,
                )
        if settings.max_drawdown is not None and pnl <= -settings.max_drawdown:
            return self._trip(
                f"PnL {fmt(pnl)} reached the max drawdown {fmt(settings.max_drawdown)}", now
            )
        return cleared

    def verdict(self, position: Decimal) -> RiskVerdict:
        if self._state.halted:
            return RiskVerdict(
                allow_entries=False,
                cancel_all=self.settings.cancel_on_halt,
                reason=self._state.reason,
            )
        limit = self.settings.max_position
        if limit is not None and abs(position) >= limit:
            growing = Direction.LONG if position > 0 else Direction.SHORT
            return RiskVerdict(
                hold_direction=growing,
                reason=f"position {fmt(position)} reached maxPosition {fmt(limit)}: "
                f"no {growing.name.lower()} entries",
            )
        return RiskVerdict()

    def clear(self, now: datetime) -> RiskState:
        """Clear a halt (the user, or the cooldown). The move that tripped the breaker is
        forgotten too, or the next price would trip it again at once."""
        self._lows.clear()
        self._highs.clear()
        self._recent.clear()
        self._anchor = None
        self._state = RiskState.clear()
        return self._state

    def _trip(self, reason: str, now: datetime) -> RiskState:
        cooldown = self.settings.cooldown_seconds
        until = now + timedelta(seconds=cooldown) if cooldown > 0 else None
        self._state = RiskState(halted=True, reason=reason, since=now, until=until)
        return self._state


def _seconds(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"
