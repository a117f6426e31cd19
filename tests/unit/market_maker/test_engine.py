"""The Engine's loop over the fake exchange: placing, fills, restarts, errors and pause."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from decimal import Decimal

import pytest

from gridops import errors
from gridops.market_maker.backend import DurableBackend, MemoryBackend
from gridops.market_maker.engine import Engine, Phase
from gridops.models import OrderStatus, Side
from tests.support.fake_exchange import FakeExchange

from .conftest import PRICE_INTERVAL, make_engine, running, until

PRICE = Decimal(50_000)
Open = Callable[[], DurableBackend]


def buys(exchange: FakeExchange) -> list[Decimal]:
    return sorted(o.price for o in exchange.open.values() if o.side is Side.BUY)


def sells(exchange: FakeExchange) -> list[Decimal]:
    return sorted(o.price for o in exchange.open.values() if o.side is Side.SELL)


def counter(engine: Engine, name: str) -> float:
    labels = {"strategy": engine.config.name}
    value = engine.metrics.registry.get_sample_value(f"gridops_mm_{name}_total", labels)
    return value or 0.0


async def test_it_places_its_grid_once_synced_and_priced(exchange: FakeExchange) -> None:
    engine = make_engine(exchange, MemoryBackend())
    async with running(engine):
        await until(lambda: engine.synced, "engine synced")
        assert exchange.calls.placed == []  # no price yet: nothing to decide from
        exchange.push_price(PRICE)
        await until(lambda: counter(engine, "orders_placed") == 2, "two entries placed")
        assert engine.phase is Phase.RUNNING
        assert buys(exchange) == [PRICE - 2 * PRICE_INTERVAL, PRICE - PRICE_INTERVAL]


async def test_a_fill_places_the_exit_one_interval_up(
    exchange: FakeExchange, durable: Open
) -> None:
    engine = make_engine(exchange, durable())
    async with running(engine):
        exchange.push_price(PRICE)
        await until(lambda: len(buys(exchange)) == 2, "entries placed")
        level = PRICE - PRICE_INTERVAL
        exchange.push_price(level)  # crosses the highest buy: it fills

        await until(lambda: sells(exchange) == [PRICE], "exit placed at the level above")
        # The price also moved the entry window down: the count is the exchange's.
        await until(lambda: counter(engine, "orders_placed") == exchange.placed, "counted")
        assert counter(engine, "fills") == 1
        assert engine.book is not None
        assert engine.book.position() == Decimal("0.001")


async def test_fills_while_away_are_applied_once_after_a_restart(
    exchange: FakeExchange, durable: Open
) -> None:
    first = make_engine(exchange, durable())
    async with running(first):
        exchange.push_price(PRICE)
        await until(lambda: len(buys(exchange)) == 2, "entries placed")
    assert exchange.listening == 0
    highest = max(exchange.open.values(), key=lambda o: o.price)
    exchange.fill(highest.client_order_id)  # nobody listens: only the history has it

    second = make_engine(exchange, durable())
    async with running(second):
        await until(lambda: second.synced, "restarted engine synced")
        assert second.book is not None
        assert second.book.position() == highest.quantity
        assert counter(second, "fills") == 1
        exchange.push_price(PRICE)
        await until(lambda: sells(exchange) == [highest.price + PRICE_INTERVAL], "exit placed")
        # A reconnect reconciles again: the same history, nothing new to apply.
        exchange.resync()
        await until(lambda: counter(second, "reconciles") == 2, "second reconcile")
        await until(lambda: second.synced and second.idle, "synced again")
        assert second.book.position() == highest.quantity
        assert counter(second, "fills") == 1
    assert exchange.placed == 3  # two entries, one exit: nothing twice


async def test_a_failed_place_is_resent_with_the_same_id_after_the_resync(
    exchange: FakeExchange, durable: Open
) -> None:
    exchange.fail_next("place_order", errors.Unavailable("connector restarting"))
    engine = make_engine(exchange, durable())
    async with running(engine):
        exchange.push_price(PRICE)
        await until(lambda: len(buys(exchange)) == 2, "entries placed after the resync")
        await until(lambda: engine.synced and engine.idle, "synced")
    first = exchange.calls.placed[0]
    # Sent, failed, then re-sent by the reconcile with its id: placed once.
    assert exchange.calls.placed.count(first) == 2
    assert exchange.placed == 2
    assert exchange.known[first].status is OrderStatus.NEW
    assert counter(engine, "reconciles") == 2


async def test_a_refused_order_counts_and_trading_goes_on(exchange: FakeExchange) -> None:
    exchange.fail_next("place_order", errors.FailedPrecondition("insufficient balance"))
    engine = make_engine(exchange, MemoryBackend())
    async with running(engine):
        exchange.push_price(PRICE)
        await until(lambda: counter(engine, "orders_rejected") == 1, "one refusal counted")
        await until(lambda: len(buys(exchange)) >= 1, "the other entry placed")
        assert engine.synced
        assert engine.phase is Phase.RUNNING


async def test_pause_cancels_everything_keeps_holdings_and_resume_trades_on(
    exchange: FakeExchange, durable: Open
) -> None:
    engine = make_engine(exchange, durable())
    async with running(engine):
        exchange.push_price(PRICE)
        await until(lambda: len(buys(exchange)) == 2, "entries placed")
        exchange.push_price(PRICE - PRICE_INTERVAL)
        await until(lambda: sells(exchange) == [PRICE], "exit placed")

        engine.set_paused(True)
        await until(lambda: engine.phase is Phase.PAUSED and not exchange.open, "all canceled")
        exchange.push_price(PRICE - 3 * PRICE_INTERVAL)
        await until(lambda: engine.idle and engine.last_price == exchange.last_price, "caught up")
        assert exchange.open == {}
        assert engine.book is not None
        assert engine.book.position() == Decimal("0.001")

        engine.set_paused(False)
        await until(lambda: engine.phase is Phase.RUNNING and sells(exchange), "trading again")
        assert sells(exchange) == [PRICE]
        assert engine.book.position() == Decimal("0.001")


async def test_starting_paused_places_nothing(exchange: FakeExchange) -> None:
    engine = make_engine(exchange, MemoryBackend(), paused=True)
    async with running(engine):
        exchange.push_price(PRICE)
        await until(lambda: engine.synced and engine.last_price == PRICE, "priced")
        await until(lambda: engine.idle, "caught up")
        assert engine.phase is Phase.PAUSED
        assert exchange.calls.placed == []


async def test_a_newer_writer_stops_the_engine_at_its_next_order(exchange: FakeExchange) -> None:
    engine = make_engine(exchange, MemoryBackend())
    exchange.fencing_token = 5
    task = asyncio.create_task(engine.run())
    try:
        exchange.push_price(PRICE)
        await until(lambda: len(buys(exchange)) == 2, "entries placed under token 5")
        exchange.fencing.claim(engine.prefix, 6, "the other engine", 10)
        placed = list(exchange.calls.placed)
        exchange.push_price(PRICE - 3 * PRICE_INTERVAL)  # the window moves: new entries
        with pytest.raises(errors.Fenced, match="the other engine"):
            await asyncio.wait_for(task, 5)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, errors.Fenced):
            await task
    # Refused before it reached the book: the exchange holds only token 5's orders, and a
    # fenced engine is not a failed one (its /healthz stays 200).
    assert len(exchange.calls.placed) == len(placed) + 1
    assert exchange.calls.placed[-1] not in {o.client_order_id for o in exchange.open.values()}
    assert engine.failed is None


async def test_the_guard_runs_before_every_event_and_can_stop_the_engine(
    exchange: FakeExchange,
) -> None:
    engine = make_engine(exchange, MemoryBackend())
    seen: list[int] = []

    async def guard() -> None:
        seen.append(len(exchange.calls.placed))
        if len(seen) > 3:
            raise errors.Fenced("strategy 't': lease lost")

    engine.guard = guard
    with pytest.raises(errors.Fenced, match="lease lost"):
        await asyncio.wait_for(engine.run(), 5)
    assert len(seen) == 4
    assert engine.failed is None
