"""The simulator's price process: a seeded geometric random walk rounded to the tick."""

from __future__ import annotations

import math
import random
from decimal import Decimal

from gridops.decimals import round_to_step

from .specs import SECONDS_PER_YEAR


def next_price(
    rng: random.Random,
    price: Decimal,
    tick: Decimal,
    dt_seconds: float,
    *,
    drift: float,
    volatility: float,
) -> Decimal:
    """One step of geometric Brownian motion over `dt_seconds`.

    `drift` and `volatility` are annualised (per 365-day year). Floats carry only the
    random factor; the result is a Decimal on the tick and never below one tick, so a
    long walk down cannot reach zero.
    """
    if dt_seconds <= 0:
        return price
    dt = dt_seconds / SECONDS_PER_YEAR
    shock = rng.gauss(0.0, 1.0)
    factor = math.exp(
        (drift - volatility * volatility / 2) * dt + volatility * math.sqrt(dt) * shock
    )
    # repr() of a float is its shortest round-tripping text: stable across platforms.
    moved = price * Decimal(repr(factor))
    return max(round_to_step(moved, tick), tick)
