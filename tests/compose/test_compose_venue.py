"""compose.venue.yaml: the connector trades `gridops venue` through ccxt, as a real venue."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from .stack import Stack, free_port, poll

pytestmark = [pytest.mark.compose, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def venue_stack() -> Iterator[Stack]:
    stack = Stack(
        f"gridops-test-venue-{os.getpid()}",
        free_port(),
        free_port(),
        files=("compose.yaml", "compose.venue.yaml"),
        profiles=(),
    )
    stack.compose("down", "-v", "--remove-orphans", check=False)
    try:
        yield stack
    finally:
        stack.compose("down", "-v", "--remove-orphans", "--timeout", "20", check=False)


def _grid_orders(stack: Stack) -> list[dict[str, Any]] | None:
    orders: list[dict[str, Any]] = stack.api("/api/orders")
    return [order for order in orders if order["strategy"] == "btc-compose"] or None


def test_the_stack_on_the_venue_is_healthy_and_trades_through_ccxt(venue_stack: Stack) -> None:
    started = time.monotonic()
    venue_stack.compose("up", "-d", "--wait", "--wait-timeout", "90")
    took = time.monotonic() - started
    assert took < 60, f"`up --wait` took {took:.1f} s\n{venue_stack.logs()}"
    print(f"compose (venue): up --wait healthy in {took:.1f} s")

    status = venue_stack.api("/api/status")
    assert status["connector"]["exchange"] == "binance", status["connector"]
    (engine,) = status["marketMakers"]
    assert engine["status"]["synced"] is True, engine
    orders = poll("the grid's orders on the venue", lambda: _grid_orders(venue_stack), 30)
    # prices come back quantized to the venue's tick, as decimal strings
    for order in orders:
        assert Decimal(order["price"]) == Decimal(order["price"]).quantize(Decimal("0.01"))
    sides_and_prices = [(order["side"], order["price"]) for order in orders]
    assert len(sides_and_prices) == len(set(sides_and_prices)), sides_and_prices
