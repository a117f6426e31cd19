"""Executor: record, act, record the outcome, over the fake exchange; outcomes, not side effects."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gridops import errors
from gridops.client import OrderChange
from gridops.market_maker.actions import Executed, Executor
from gridops.market_maker.backend import MemoryBackend
from gridops.market_maker.domain.book import GridBook
from gridops.market_maker.domain.grid import GridSpec
from gridops.market_maker.domain.ids import strategy_prefix
from gridops.market_maker.domain.slots import PlaceAction, RiskVerdict, SlotState
from gridops.models import OrderType, Side
from tests.support.fake_exchange import SYMBOL_INFO, FakeExchange

from .conftest import NAME, PRICE_INTERVAL, Journal, strategy

PRICE = Decimal(50_000)


def book() -> GridBook:
    return GridBook(strategy_prefix(NAME), GridSpec.create(strategy().grid, SYMBOL_INFO))


def executor(exchange: FakeExchange, backend: Journal | None = None) -> Executor:
    return Executor(exchange, backend or Journal(MemoryBackend(), exchange), strategy())


async def test_a_plan_is_placed_and_the_outcome_says_how_many(exchange: FakeExchange) -> None:
    grid = book()
    actions = grid.plan(PRICE, RiskVerdict(), paused=False)
    assert len(actions) == 2  # buyWindow

    outcome = await executor(exchange).execute(grid, actions)

    assert outcome == Executed(placed=2)
    assert sorted(exchange.open) == sorted(a.client_order_id for a in actions)
    for order in exchange.open.values():
        assert (order.side, order.type) == (Side.BUY, OrderType.LIMIT_MAKER)
        assert order.price < PRICE
    assert {s.state for s in grid.slots.values()} == {SlotState.ENTRY_OPEN}


async def test_each_decision_is_saved_before_the_exchange_hears_of_it(
    exchange: FakeExchange,
) -> None:
    grid = book()
    journal = Journal(MemoryBackend(), exchange)
    actions = grid.plan(PRICE, RiskVerdict(), paused=False)

    await executor(exchange, journal).execute(grid, actions)

    for action in actions:
        cid = action.client_order_id
        pending = [
            sent for i, s, sent in journal.saves if i == cid and s is SlotState.ENTRY_PENDING
        ]
        assert pending, f"{cid} was never saved as pending"
        assert cid not in pending[0], f"{cid} was sent before its decision was saved"
        opened = [sent for i, s, sent in journal.saves if i == cid and s is SlotState.ENTRY_OPEN]
        assert opened, f"the outcome of {cid} was not saved"
        assert cid in opened[0]


async def test_a_fill_is_applied_and_the_next_plan_places_its_exit(exchange: FakeExchange) -> None:
    grid = book()
    run = executor(exchange)
    await run.execute(grid, grid.plan(PRICE, RiskVerdict(), paused=False))
    highest = max(exchange.open.values(), key=lambda o: o.price)
    fill = exchange.fill(highest.client_order_id)

    outcome = await run.apply_change(grid, OrderChange(exchange.known[fill.client_order_id], fill))

    assert outcome == Executed(fills=1)
    assert grid.position() == highest.quantity
    exits = [a for a in grid.plan(PRICE, RiskVerdict(), False) if isinstance(a, PlaceAction)]
    assert [(a.side, a.price, a.is_exit) for a in exits] == [
        (Side.SELL, highest.price + PRICE_INTERVAL, True)
    ]
    assert (await run.execute(grid, exits)).placed == 1
    sells = [o for o in exchange.open.values() if o.side is Side.SELL]
    assert [(o.price, o.quantity, o.type) for o in sells] == [
        (highest.price + PRICE_INTERVAL, highest.quantity, OrderType.LIMIT)
    ]


async def test_the_same_fill_twice_counts_once(exchange: FakeExchange) -> None:
    grid = book()
    run = executor(exchange)
    await run.execute(grid, grid.plan(PRICE, RiskVerdict(), paused=False))
    cid = next(iter(exchange.open))
    fill = exchange.fill(cid)
    change = OrderChange(exchange.known[cid], fill)

    assert (await run.apply_change(grid, change)).fills == 1
    assert (await run.apply_change(grid, change)).fills == 0
    assert grid.position() == fill.quantity


async def test_a_refused_order_frees_its_slot_and_the_plan_goes_on(
    exchange: FakeExchange,
) -> None:
    grid = book()
    actions = grid.plan(PRICE, RiskVerdict(), paused=False)
    exchange.fail_next("place_order", errors.FailedPrecondition("insufficient balance"))

    outcome = await executor(exchange).execute(grid, actions)

    assert outcome == Executed(placed=1, rejected=1)
    refused, placed = actions[0].client_order_id, actions[1].client_order_id
    assert list(exchange.open) == [placed]
    assert refused not in {s.order_id for s in grid.slots.values() if s.state.has_order}


@pytest.mark.parametrize(
    "error", [errors.Unavailable("connector down"), errors.Internal("boom")], ids=repr
)
async def test_a_failing_connector_stops_the_plan_and_asks_for_a_resync(
    exchange: FakeExchange, error: errors.GridopsError
) -> None:
    grid = book()
    actions = grid.plan(PRICE, RiskVerdict(), paused=False)
    exchange.fail_next("place_order", error)

    outcome = await executor(exchange).execute(grid, actions)

    assert outcome == Executed(resync=True)
    first = actions[0].client_order_id
    assert exchange.calls.placed == [first]  # nothing after the failure was tried
    # Recorded and maybe sent: the reconcile that follows looks it up or re-sends it.
    assert grid.slots[actions[0].slot].state is SlotState.ENTRY_PENDING
    assert grid.slots[actions[0].slot].order_id == first


async def test_cancels_count_and_an_unknown_order_is_dropped(exchange: FakeExchange) -> None:
    grid = book()
    run = executor(exchange)
    await run.execute(grid, grid.plan(PRICE, RiskVerdict(), paused=False))
    gone = next(iter(exchange.open))
    exchange.open.pop(gone)  # canceled by someone else, unbeknown to the engine

    outcome = await run.execute(grid, grid.plan(PRICE, RiskVerdict(), paused=True))

    assert outcome == Executed(canceled=1)
    assert exchange.open == {}
    assert not any(s.state.has_order for s in grid.slots.values())
