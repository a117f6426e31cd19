"""What the backtest's plot, fills and sweep tests share: a price swing and a strategy."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from gridops.backtest.data import PricePoint
from gridops.spec import StrategyConfig

START = datetime(2024, 1, 1, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def swing(count: int = 300) -> list[PricePoint]:
    """Swings of about 1,200 USDT on a slight rise: the grid buys and sells back."""
    return [
        PricePoint(
            START + timedelta(minutes=i), Decimal(f"{30000 + 600 * math.sin(i / 20) + 3 * i:.2f}")
        )
        for i in range(count)
    ]


def strategy() -> StrategyConfig:
    return StrategyConfig.model_validate(
        {
            "name": "t",
            "symbol": "BTC/USDT",
            "connector": "x:1",
            "grid": {"priceInterval": "100", "orderQuantity": "0.01", "buyWindow": 5},
            "risk": {"maxMovePercent": "50", "staleDataSeconds": 3600},
        }
    )
