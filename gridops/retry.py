"""Capped exponential backoff with jitter: the one retry policy of gridops."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(slots=True)
class Backoff:
    """Delays for successive retries: initial * multiplier**n, capped, with full jitter.

    Full jitter (a uniform draw in [cap/2, cap]) keeps many clients that lost the same
    connector from reconnecting in lockstep. `reset()` after a success.
    """

    initial: float = 0.1
    maximum: float = 5.0
    multiplier: float = 2.0
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def next_delay(self) -> float:
        cap = min(self.maximum, self.initial * self.multiplier**self.attempt)
        self.attempt += 1
        return self.rng.uniform(cap / 2, cap)

    def reset(self) -> None:
        self.attempt = 0
