"""Engine /status documents as the market maker writes them (services/market_maker/status.py)."""

from __future__ import annotations

import copy
from typing import Any

RUNNING: dict[str, Any] = {
    "name": "btc-grid",
    "symbol": "BTC/USDT",
    "engine": "durable",
    "phase": "running",
    "synced": True,
    "paused": False,
    "lastPrice": "50010",
    "lastPriceAt": "2025-01-02T11:59:55+00:00",
    "position": "0.001",
    "openOrders": [
        {"clientOrderId": "btc-grid-999-B-1", "side": "BUY", "price": "49950",
         "quantity": "0.001", "filled": "0", "pending": False},
        {"clientOrderId": "btc-grid-998-B-1", "side": "BUY", "price": "49900",
         "quantity": "0.001", "filled": "0.0004", "pending": False},
        {"clientOrderId": "btc-grid-1000-B-2", "side": "SELL", "price": "50050",
         "quantity": "0.001", "filled": "0", "pending": False},
        {"clientOrderId": "btc-grid-997-B-1", "side": "BUY", "price": "49850",
         "quantity": "0.001", "filled": "0", "pending": True},
    ],
    "slots": [
        {"level": 997, "direction": "long", "state": "entry_pending", "holding": "0",
         "averageEntry": "0", "realizedPnl": "0"},
        {"level": 998, "direction": "long", "state": "entry_open", "holding": "0",
         "averageEntry": "0", "realizedPnl": "0"},
        {"level": 999, "direction": "long", "state": "entry_open", "holding": "0",
         "averageEntry": "0", "realizedPnl": "0"},
        {"level": 1000, "direction": "long", "state": "exit_open", "holding": "0.001",
         "averageEntry": "50000", "realizedPnl": "-0.05"},
    ],
    "risk": {"halted": False, "reason": None, "since": None, "until": None},
    "pnl": {"realized": "-0.0500000000000000000001", "unrealized": "0.01", "fees": "0.05"},
    "reconciledAt": "2025-01-02T11:00:00+00:00",
    "tradedPrice": "50000",
    "idle": False,
}  # fmt: skip


def running(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(RUNNING)
    document.update(changes)
    return document


def halted(until: str | None = "2025-01-02T12:05:00+00:00") -> dict[str, Any]:
    return running(
        phase="halted",
        risk={
            "halted": True,
            "reason": "price moved 8.0% in 1s (50000 -> 46000)",
            "since": "2025-01-02T11:59:00+00:00",
            "until": until,
        },
    )
