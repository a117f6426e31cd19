"""What the adapter refuses before a request leaves: no venue needed."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from gridops.connector.ccxt.adapter import CcxtAdapter
from gridops.connector.ccxt.budget import Budget, OrderPace
from gridops.connector.ccxt.credentials import Credentials
from gridops.connector.ccxt.exchange import make_exchange
from gridops.connector.ccxt.markets import symbol_info
from gridops.connector.ccxt.orders import MAX_CLIENT_ORDER_ID
from gridops.errors import InvalidArgument, RateLimited
from gridops.models import OrderRequest, Side

from .support import parsed_market


async def test_client_order_ids_longer_than_36_are_refused_naming_the_field() -> None:
    creds = Credentials("k", "s")
    adapter = CcxtAdapter(make_exchange("binance", creds), creds)
    adapter._infos = {"BTC/USDT": symbol_info(parsed_market())}
    try:
        too_long = "x" * (MAX_CLIENT_ORDER_ID + 1)
        request = OrderRequest(too_long, "BTC/USDT", Side.BUY, Decimal("1000"), Decimal("0.01"))
        with pytest.raises(InvalidArgument, match=r"^client_order_id: .* 37 characters"):
            await adapter.place_order(request)
        off_tick = OrderRequest("a-1-B-1", "BTC/USDT", Side.BUY, Decimal("1000.001"),
                                Decimal("0.01"))  # fmt: skip
        with pytest.raises(InvalidArgument, match="tick"):
            await adapter.place_order(off_tick)
    finally:
        await adapter.close()


async def test_identical_reads_in_flight_share_one_request() -> None:
    budget = Budget()
    calls = 0
    gate = asyncio.Event()

    async def read() -> int:
        nonlocal calls
        calls += 1
        await gate.wait()
        return 7

    tasks = [asyncio.create_task(budget.shared("open", read)) for _ in range(50)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*tasks) == [7] * 50
    assert calls == 1
    assert await budget.shared("open", read) == 7
    assert calls == 2


async def test_after_a_429_requests_wait_or_are_refused_with_the_time_left() -> None:
    now = [100.0]
    budget = Budget(clock=lambda: now[0], max_wait=2.0)
    assert budget.penalize(retry_after=30) == 30
    with pytest.raises(RateLimited, match=r"retry in 30\.0s"):
        await budget.admit()
    now[0] += 29.99
    await budget.admit()  # a short rest is waited out
    assert budget.rate_limited_total == 1


def test_new_orders_are_counted_from_their_answers_and_in_flight() -> None:
    now = [0.0]
    pace = OrderPace(limit=3, window=10.0, clock=lambda: now[0])
    for _ in range(3):
        assert pace.delay() == 0.0
        pace.take()
    # Three in flight: the 4th waits for answers (a window, at least).
    assert pace.delay() == 10.0
    for at in (1.0, 2.0, 3.0):
        now[0] = at
        pace.done()
    now[0] = 4.0
    # Counted from the answers: the 4th may go when the first answer is 10 s old.
    assert pace.delay() == 7.0
    now[0] = 11.0
    assert pace.delay() == 0.0
