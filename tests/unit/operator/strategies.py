"""GridStrategy specs for the operator's unit tests."""

from __future__ import annotations

from typing import Any

from gridops.operator.strategy import Strategy
from gridops.spec import StrategySpec


def spec(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "symbol": "BTC/USDT",
        "grid": {"priceInterval": "50", "orderQuantity": "0.001"},
    }
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return base


def strategy(name: str = "btc-grid", namespace: str = "trading", **changes: Any) -> Strategy:
    model = StrategySpec.model_validate(spec(**changes))
    return Strategy(name, namespace, f"uid-{name}", 1, model)
