"""Request weight: per client and minute, 429 with Retry-After, then a 418 ban."""

from __future__ import annotations

import pytest

from gridops.venue.weights import LimitError, OrderCounter, WeightLimiter, weight_of


def test_weights_follow_binance() -> None:
    assert weight_of("GET", "/api/v3/exchangeInfo", {}) == 20
    assert weight_of("GET", "/api/v3/openOrders", {"symbol": "BTCUSDT"}) == 6
    assert weight_of("GET", "/api/v3/openOrders", {}) == 80
    assert weight_of("POST", "/api/v3/order", {"symbol": "BTCUSDT"}) == 1


def test_budget_resets_each_minute_and_per_client() -> None:
    limiter = WeightLimiter(10)
    assert limiter.charge("a", 6, 60.0) == 6
    assert limiter.charge("b", 6, 60.5) == 6  # another client, another budget
    with pytest.raises(LimitError) as raised:
        limiter.charge("a", 6, 100.0)
    assert raised.value.status == 429
    assert raised.value.code == -1003
    assert raised.value.retry_after == 20  # until 120 s, the next minute
    assert limiter.charge("a", 6, 120.0) == 6
    assert (limiter.rate_limited, limiter.banned) == (1, 0)


def test_hammering_after_429s_is_banned_then_forgiven() -> None:
    limiter = WeightLimiter(1, ban_after=2, ban_seconds=90)
    limiter.charge("a", 1, 0.0)
    for _ in range(2):
        with pytest.raises(LimitError):
            limiter.charge("a", 1, 1.0)
    with pytest.raises(LimitError) as raised:
        limiter.charge("a", 1, 2.0)
    assert raised.value.status == 418
    assert raised.value.retry_after == 90
    with pytest.raises(LimitError) as still:
        limiter.charge("a", 1, 61.0)  # a new minute, still banned
    assert still.value.status == 418
    assert limiter.charge("a", 1, 93.0) == 1
    assert (limiter.rate_limited, limiter.banned) == (2, 2)


def test_new_orders_are_counted_per_account_and_ten_seconds() -> None:
    counter = OrderCounter(2)
    assert counter.count("a", 100.0) == 1
    assert counter.count("a", 101.0) == 2
    assert counter.count("b", 101.0) == 1
    with pytest.raises(LimitError) as raised:
        counter.count("a", 105.5)
    assert (raised.value.status, raised.value.code) == (429, -1015)
    assert raised.value.retry_after == 5  # until 110 s
    assert counter.count("a", 110.0) == 1
    assert counter.refused == 1
