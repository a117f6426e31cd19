"""The circuit breaker's recorded state: what tripped it, when, and until when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class RiskState:
    halted: bool = False
    #: why it tripped, e.g. "price moved 5.2% in 1s (50000 -> 52600)"
    reason: str = ""
    #: when it tripped
    since: datetime | None = None
    #: when the cooldown clears it by itself (None: only the user can clear it)
    until: datetime | None = None

    @staticmethod
    def clear() -> RiskState:
        return RiskState()
