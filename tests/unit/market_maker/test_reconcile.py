"""reconcile(): a restart over the fake exchange; the outcome is a book plus counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from gridops import errors
from gridops.market_maker.actions import Executor
from gridops.market_maker.backend import DurableBackend, MemoryBackend
from gridops.market_maker.domain.slots import PlaceAction, RiskVerdict, SlotState
from gridops.market_maker.reconcile import Reconciled, reconcile
from gridops.models import Side
from tests.support.fake_exchange import FakeExchange

from .conftest import PRICE_INTERVAL, strategy

PRICE = Decimal(50_000)
Open = Callable[[], DurableBackend]


async def first_run(exchange: FakeExchange, backend: DurableBackend) -> Reconciled:
    """A first start: reconcile from nothing, then place the grid at PRICE."""
    await backend.start(datetime.now(UTC))
    start = await reconcile(exchange, backend, strategy(), None)
    actions = start.book.plan(PRICE, RiskVerdict(), paused=False)
    await Executor(exchange, backend, strategy()).execute(start.book, actions)
    return start


async def test_fills_while_away_are_applied_once_across_restarts(
    exchange: FakeExchange, durable: Open
) -> None:
    await first_run(exchange, durable())
    highest = max(exchange.open.values(), key=lambda o: o.price)
    exchange.fill(highest.client_order_id)  # while no engine runs

    again = await reconcile(exchange, durable(), strategy(), None)
    assert again.fills == 1
    assert again.book.position() == highest.quantity
    exits = [a for a in again.book.plan(PRICE, RiskVerdict(), False) if isinstance(a, PlaceAction)]
    assert [(a.side, a.price) for a in exits] == [(Side.SELL, highest.price + PRICE_INTERVAL)]

    once_more = await reconcile(exchange, durable(), strategy(), None)
    assert once_more.fills == 0
    assert once_more.book.position() == highest.quantity


async def test_a_resync_of_a_running_book_applies_what_the_stream_missed(
    exchange: FakeExchange, durable: Open
) -> None:
    backend = durable()
    start = await first_run(exchange, backend)
    cid = next(iter(exchange.open))
    exchange.fill(cid, Decimal("0.0004"))  # the stream was down

    again = await reconcile(exchange, backend, strategy(), start.book)

    assert again.book is start.book
    assert again.fills == 1
    assert again.book.position() == Decimal("0.0004")
    assert (await reconcile(exchange, backend, strategy(), again.book)).fills == 0


async def test_a_decision_recorded_but_never_sent_is_resent_with_its_id(
    exchange: FakeExchange, durable: Open
) -> None:
    backend = durable()
    await backend.start(datetime.now(UTC))
    book = (await reconcile(exchange, backend, strategy(), None)).book
    action = next(a for a in book.plan(PRICE, RiskVerdict(), False) if isinstance(a, PlaceAction))
    # What the executor does before PlaceOrder; the process dies right after.
    await backend.save(slots=[book.mark_pending(action)])

    restarted = await reconcile(exchange, durable(), strategy(), None)

    assert exchange.calls.placed == [action.client_order_id]
    assert list(exchange.open) == [action.client_order_id]
    assert restarted.book.slots[action.slot].state is SlotState.ENTRY_OPEN
    assert restarted.book.slots[action.slot].order_id == action.client_order_id


async def test_a_decision_that_reached_the_exchange_is_not_sent_again(
    exchange: FakeExchange, durable: Open
) -> None:
    await first_run(exchange, durable())
    placed = list(exchange.calls.placed)
    # Forget the outcomes: as if the process died after PlaceOrder, before its save.
    backend = durable()
    loaded = await backend.load()
    for slot in loaded.slots:
        slot.state = SlotState.ENTRY_PENDING
    await backend.save(slots=loaded.slots)

    restarted = await reconcile(exchange, durable(), strategy(), None)

    assert exchange.calls.placed == placed  # the exchange lists them open: adopted
    assert {s.state for s in restarted.book.slots.values()} == {SlotState.ENTRY_OPEN}


async def test_a_resent_decision_the_exchange_refuses_is_dropped(
    exchange: FakeExchange, durable: Open
) -> None:
    backend = durable()
    await backend.start(datetime.now(UTC))
    book = (await reconcile(exchange, backend, strategy(), None)).book
    action = next(a for a in book.plan(PRICE, RiskVerdict(), False) if isinstance(a, PlaceAction))
    await backend.save(slots=[book.mark_pending(action)])
    exchange.fail_next("place_order", errors.InvalidArgument("below the minimum notional"))

    restarted = await reconcile(exchange, durable(), strategy(), None)

    assert restarted.rejected == 1
    assert exchange.open == {}
    assert not restarted.book.slots[action.slot].state.has_order


async def test_the_simple_engine_rebuilds_from_the_exchange_alone(
    exchange: FakeExchange, durable: Open
) -> None:
    await first_run(exchange, durable())
    highest = max(exchange.open.values(), key=lambda o: o.price)
    exchange.fill(highest.client_order_id)

    rebuilt = await reconcile(exchange, MemoryBackend(), strategy("simple"), None)

    assert rebuilt.book.position() == highest.quantity
    assert {s.order_id for s in rebuilt.book.slots.values() if s.state.has_order} == set(
        exchange.open
    )


async def test_a_connector_error_propagates(exchange: FakeExchange, durable: Open) -> None:
    with pytest.raises(errors.NotFound):
        await reconcile(exchange, durable(), strategy(symbol="ETH/USDT"), None)
