"""The sim store: a reopened file is the same market; closed history leaves memory but
not the lookups; commits are durable, ordered and shared (gridops.simexchange.store)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridops.connector.sim.adapter import SimAdapter
from gridops.errors import FailedPrecondition, GridopsError, NotFound
from gridops.models import OrderEvent, OrderStatus
from gridops.simexchange import store as store_module
from gridops.simexchange.market import SimMarket
from gridops.simexchange.settings import SimSettings
from gridops.simexchange.specs import MarketConfig, SymbolSpec
from gridops.simexchange.store import SimStore, StoreBusy, StoredMarket, StoreFailed

from .test_sim_market import BTC, T0, FakeClock, buy, make_market, sell
from .test_sim_properties import CLIENT_IDS, STEP, SYMBOL, Op, apply, ops

PARTIAL = MarketConfig(maker_fee=D("0.001"), taker_fee=D("0.002"), partial_fill_probability=0.5)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "exchange.db"


def same_market(a: SimMarket, b: SimMarket) -> None:
    """Equal in every way but the time each one reads its clock at."""
    assert replace(a.account(), updated_at=T0) == replace(b.account(), updated_at=T0)
    assert [replace(p, updated_at=T0) for p in a.positions()] == [
        replace(p, updated_at=T0) for p in b.positions()
    ]
    assert a.open_orders() == b.open_orders()
    assert a.get_fills() == b.get_fills()
    assert a.counters() == b.counters()
    assert [a.ticker(s) for s in a.symbols()] == [b.ticker(s) for s in b.symbols()]


def history(market: SimMarket, clock: FakeClock) -> list[Callable[[], object]]:
    """A bit of everything, a call per step: resting, crossing (a taker fill), partial
    and offline fills, a cancel, a rejection, a balance change, random-walk steps."""

    def rejected() -> None:
        with pytest.raises(FailedPrecondition):  # counted as rejected
            market.place_order(buy("g-5-B-1", "40000", "100"))

    def walk() -> None:
        clock.advance(600)
        market.step(BTC, 3600.0)

    return [
        lambda: market.place_order(buy("g-1-B-1", "49000", "0.05")),
        lambda: market.place_order(sell("g-2-S-1", "51000", "0.05")),
        lambda: market.place_order(buy("g-3-B-1", "48000", "0.01")),
        lambda: clock.advance(1),
        lambda: market.fill_order("g-3-B-1", D("0.004")),
        lambda: market.set_price(BTC, D("48900")),
        lambda: clock.advance(1),
        lambda: market.cancel_order(client_order_id="g-2-S-1"),
        lambda: market.place_order(buy("g-4-B-1", "60000", "0.002")),
        lambda: market.set_balances({"ETH": D("3")}),
        rejected,
        walk,
        walk,
        walk,
        walk,
    ]


async def run_history(stored: StoredMarket, clock: FakeClock) -> None:
    """`history`, committing after each call as the adapter does."""
    for step in history(stored.market, clock):
        step()
        await stored.commit()


def twin_history(market: SimMarket, clock: FakeClock) -> None:
    for step in history(market, clock):
        step()


# ---- reopening -------------------------------------------------------------------------


async def test_a_reopened_file_is_the_same_market_and_goes_on_identically(path: Path) -> None:
    clock, twin_clock = FakeClock(), FakeClock()
    store = SimStore.open(path)
    stored = store.market("default", initial=make_market(clock=clock, config=PARTIAL))
    assert stored.created
    await run_history(stored, clock)
    twin = make_market(clock=twin_clock, config=PARTIAL)
    twin_history(twin, twin_clock)
    same_market(stored.market, twin)
    assert twin.counters().orders_rejected == 1
    store.close()

    store = SimStore.open(path)
    reopened = store.market("default", clock=clock)
    assert not reopened.created
    market = reopened.market
    same_market(market, twin)
    for cid in ("g-1-B-1", "g-2-S-1", "g-3-B-1", "g-4-B-1"):
        assert market.get_order(client_order_id=cid) == twin.get_order(client_order_id=cid)
    # Order and trade numbers and the random walk (with its partial-fill draws) go on.
    for twin_market in (market, twin):
        twin_market.place_order(buy("g-6-B-1", "47000", "0.02"))
        for _ in range(6):
            twin_market.step(BTC, 3600.0)
    await reopened.commit()
    same_market(market, twin)
    # Four accepted before (a rejection takes no id): the fifth id, as in the twin.
    assert market.get_order(client_order_id="g-6-B-1").order_id == "sim-5"
    assert twin.get_order(client_order_id="g-6-B-1").order_id == "sim-5"
    store.close()


async def test_settings_count_only_for_a_new_account(path: Path) -> None:
    store = SimStore.open(path)
    first = store.market("default", SimSettings(balances={"USDT": D("500")}))
    assert first.market.account().balances[0].free == D("500")
    store.close()
    store = SimStore.open(path)
    again = store.market("default", SimSettings(balances={"USDT": D("9")}))
    assert again.market.account().balances[0].free == D("500")
    store.close()


async def test_accounts_in_one_file_are_separate_markets(path: Path, clock: FakeClock) -> None:
    store = SimStore.open(path)
    alice = store.market("alice", initial=make_market(clock=clock))
    bob = store.market("bob", initial=make_market(clock=clock, usdt="7"))
    alice.market.place_order(buy("a-1-B-1", "49000", "0.01"))
    await alice.commit()
    with pytest.raises(ValueError, match="already open"):
        store.market("alice")
    assert store.accounts() == ["alice", "bob"]
    store.close()
    store = SimStore.open(path)
    alice, bob = store.market("alice", clock=clock), store.market("bob", clock=clock)
    assert [o.client_order_id for o in alice.market.open_orders()] == ["a-1-B-1"]
    assert bob.market.open_orders() == []
    assert bob.market.account().balances[-1].free == D("7")
    store.close()


# ---- history out of memory, lookups still there ------------------------------------------


async def test_closed_history_leaves_memory_but_every_lookup_finds_it(
    path: Path, clock: FakeClock
) -> None:
    store = SimStore.open(path)
    stored = store.market("default", initial=make_market(clock=clock))
    market = stored.market
    for n in range(1, 7):
        market.place_order(buy(f"g-{n}-B-1", "49000", "0.01"))
        await stored.commit()
        clock.advance(10)
        market.fill_order(f"g-{n}-B-1")
        await stored.commit()
    market.place_order(buy("g-9-B-1", "40000", "0.01"))
    await stored.commit()
    in_memory = market.snapshot()
    assert [o["client_order_id"] for o in in_memory["book"]["orders"]] == ["g-9-B-1"]
    assert in_memory["fills"]["fills"] == []

    closed = market.get_order(client_order_id="g-2-B-1")
    assert (closed.status, closed.order_id) == (OrderStatus.FILLED, "sim-2")
    assert market.get_order(order_id="sim-3").client_order_id == "g-3-B-1"
    again = market.place_order(buy("g-2-B-1", "1", "5"))  # an id seen before
    assert again.value.duplicate
    assert again.value.order == closed
    assert not again.events
    assert market.cancel_order(client_order_id="g-2-B-1").value == closed
    with pytest.raises(FailedPrecondition, match="FILLED"):
        market.fill_order("g-2-B-1")
    fills = market.get_fills()
    assert [f.trade_id for f in fills] == [f"t-{n}" for n in range(1, 7)]
    since = market.get_fills(since=T0 + timedelta(seconds=31))  # fills at 10 s, 20 s, ...
    assert [f.client_order_id for f in since] == ["g-4-B-1", "g-5-B-1", "g-6-B-1"]
    assert [f.trade_id for f in market.get_fills(BTC, limit=2)] == ["t-1", "t-2"]
    assert market.get_fills("ETH/USDT") == []
    store.close()


async def test_fills_read_across_the_archive_and_memory_in_order(
    path: Path, clock: FakeClock
) -> None:
    store = SimStore.open(path)
    stored = store.market("default", initial=make_market(clock=clock))
    market = stored.market
    for n in range(1, 4):
        market.place_order(buy(f"a-{n}-B-1", "49000", "0.01"))
        market.fill_order(f"a-{n}-B-1")
    await stored.commit()  # t-1..t-3 archived
    for n in range(1, 3):
        market.place_order(buy(f"b-{n}-B-1", "49000", "0.01"))
        market.fill_order(f"b-{n}-B-1")  # t-4, t-5 only in memory: not committed
    assert [f.trade_id for f in market.get_fills()] == ["t-1", "t-2", "t-3", "t-4", "t-5"]
    assert [f.trade_id for f in market.get_fills(limit=4)] == ["t-1", "t-2", "t-3", "t-4"]
    assert [f.trade_id for f in market.get_fills(prefix="b")] == ["t-4", "t-5"]
    assert [f.trade_id for f in market.get_fills(prefix="a", limit=2)] == ["t-1", "t-2"]
    await stored.commit()
    store.close()


async def test_an_imported_snapshot_is_written_whole_and_its_history_leaves_memory(
    path: Path, clock: FakeClock
) -> None:
    old = make_market(clock=clock)
    twin_history(old, clock)
    snapshot = json.loads(json.dumps(old.snapshot()))
    store = SimStore.open(path)
    stored = store.market("default", initial=SimMarket.restore(snapshot, clock=clock))
    assert len(stored.market.snapshot()["book"]["orders"]) == len(old.open_orders())
    same_market(stored.market, old)
    store.close()
    store = SimStore.open(path)
    same_market(store.market("default", clock=clock).market, old)
    store.close()


# ---- commits -----------------------------------------------------------------------------


async def test_on_durable_runs_in_commit_order_and_an_empty_commit_waits(
    path: Path, clock: FakeClock
) -> None:
    store = SimStore.open(path)
    stored = store.market("default", initial=make_market(clock=clock))
    seen: list[str] = []
    stored.market.place_order(buy("g-1-B-1", "49000", "0.01"))
    first = stored.commit(lambda: seen.append("first"))
    empty = stored.commit(lambda: seen.append("empty"))  # nothing new, one in flight
    assert seen == []
    await empty
    assert seen == ["first", "empty"]
    await first
    idle = stored.commit(lambda: seen.append("idle"))  # nothing new, nothing in flight
    assert seen[-1] == "idle"
    await idle
    store.close()


async def test_a_cancelled_wait_still_writes_and_still_runs_on_durable(
    path: Path, clock: FakeClock
) -> None:
    store = SimStore.open(path)
    stored = store.market("default", initial=make_market(clock=clock))
    seen: list[str] = []

    async def place() -> None:
        stored.market.place_order(buy("g-1-B-1", "49000", "0.01"))
        await stored.commit(lambda: seen.append("durable"))

    task = asyncio.create_task(place())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await stored.commit()  # waits for the one in flight
    assert seen == ["durable"]
    store.close()
    store = SimStore.open(path)
    assert store.market("default").market.get_order(client_order_id="g-1-B-1")
    store.close()


async def test_many_callers_share_a_transaction(path: Path, clock: FakeClock) -> None:
    batches: list[int] = []
    store = SimStore.open(path)
    stored = store.market("default", initial=make_market(clock=clock))
    original = store._writer._write

    def counting(batch: list[Any]) -> None:
        batches.append(len(batch))
        original(batch)

    store._writer._write = counting  # type: ignore[method-assign]

    async def one(n: int) -> None:
        stored.market.place_order(buy(f"g-{n}-B-1", "40000", "0.002"))
        await stored.commit()

    await asyncio.gather(*(one(n) for n in range(50)))
    assert sum(batches) == 50
    assert len(batches) < 50
    store.close()
    store = SimStore.open(path)
    assert len(store.market("default").market.open_orders()) == 50
    store.close()


async def test_a_failed_write_fails_that_commit_and_every_later_one(
    path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store = SimStore.open(path)
    stored = store.market("default", initial=make_market(clock=clock))
    stored.market.place_order(buy("g-1-B-1", "49000", "0.01"))
    await stored.commit()

    def broken(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_module, "_write_rows", broken)
    stored.market.place_order(buy("g-2-B-1", "49000", "0.01"))
    with caplog.at_level(logging.ERROR), pytest.raises(StoreFailed, match="No space"):
        await stored.commit(lambda: pytest.fail("on_durable of a failed commit"))
    assert "a write failed" in caplog.text
    monkeypatch.undo()
    stored.market.place_order(buy("g-3-B-1", "49000", "0.01"))
    with pytest.raises(StoreFailed):
        await stored.commit()
    store.close()
    store = SimStore.open(path)  # the last durable state
    reopened = store.market("default").market
    assert [o.client_order_id for o in reopened.open_orders()] == ["g-1-B-1"]
    store.close()


# ---- the file ----------------------------------------------------------------------------


def test_one_store_per_file_at_a_time(path: Path) -> None:
    store = SimStore.open(path)
    with pytest.raises(StoreBusy, match="another process"):
        SimStore.open(path)
    store.close()
    SimStore.open(path).close()


def test_a_file_that_is_not_a_database_is_refused(path: Path) -> None:
    path.write_text('{"version": 1}')
    with pytest.raises(ValueError, match="not an SQLite database"):
        SimStore.open(path)
    SimStore.open(path.with_name("empty.db")).close()  # a new (empty) file is fine


# ---- the connector's adapter -------------------------------------------------------------


async def test_the_adapter_streams_only_what_is_durable(path: Path) -> None:
    adapter = SimAdapter(SimSettings(tick_interval=0), state_path=path)
    stream = adapter.events()
    await anext(stream)  # UpstreamOpened
    placed = asyncio.create_task(adapter.place_order(buy("g-1-B-1", "49000", "0.01")))
    await asyncio.sleep(0)
    # Placed in memory, committed, not yet durable: nothing is streamed yet.
    assert adapter.market.open_orders()
    assert not placed.done()
    result = await placed
    event = await asyncio.wait_for(anext(stream), 5)
    assert isinstance(event, OrderEvent)
    assert event.order == result.order
    await stream.aclose()
    await adapter.close()
    reopened = SimAdapter(SimSettings(tick_interval=0), state_path=path)
    assert [o.client_order_id for o in reopened.market.open_orders()] == ["g-1-B-1"]
    await reopened.close()


async def test_the_adapter_imports_a_json_snapshot_beside_a_new_file_once(
    path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    old = make_market(clock=clock)
    twin_history(old, clock)
    legacy = path.with_suffix(".json")
    legacy.write_text(json.dumps(old.snapshot()))
    with caplog.at_level(logging.INFO):
        adapter = SimAdapter(SimSettings(tick_interval=0), state_path=path)
    assert f"imported the JSON snapshot {legacy} into {path}, once" in caplog.text
    same_market(adapter.market, old)
    await adapter.close()
    legacy.write_text("{}")  # no longer read
    caplog.clear()
    with caplog.at_level(logging.INFO):
        again = SimAdapter(SimSettings(tick_interval=0), state_path=path)
    assert "restored from" in caplog.text
    assert "imported" not in caplog.text
    same_market(again.market, old)
    await again.close()


# ---- any history -------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(
    sequence=st.lists(ops, min_size=10, max_size=40),
    reopen_at=st.integers(0, 40),
    commit_every=st.sampled_from([1, 3]),
    partial=st.sampled_from([0.0, 0.5]),
    seed=st.integers(0, 2**16),
)
def test_any_history_reads_the_same_stored_and_reopened_as_in_memory(
    sequence: list[Op], reopen_at: int, commit_every: int, partial: float, seed: int
) -> None:
    """A stored market (committed every call or every few, reopened halfway) answers
    every query as the same market kept in memory does, whatever was released."""

    def market(clock: FakeClock) -> SimMarket:
        return SimMarket(
            [SymbolSpec(SYMBOL, D(100), D(1), STEP, STEP, D(1))],
            {"USDT": D(1000), "XYZ": D(5)},
            config=MarketConfig(partial_fill_probability=partial),
            clock=clock,
            rng=random.Random(seed),
        )

    async def run(path: Path) -> None:
        clock, twin_clock = FakeClock(), FakeClock()
        twin = market(twin_clock)
        store = SimStore.open(path)
        stored = store.market("default", initial=market(clock))
        for n, op in enumerate(sequence):
            clock.advance(1)
            twin_clock.advance(1)
            for target in (twin, stored.market):
                with contextlib.suppress(GridopsError):
                    apply(target, op)
            if n % commit_every == 0:
                await stored.commit()
            if n == reopen_at:
                await stored.commit()
                store.close()
                store = SimStore.open(path)
                stored = store.market("default", clock=clock)
        await stored.commit()
        same_market(stored.market, twin)
        for cid in CLIENT_IDS:
            with contextlib.suppress(NotFound):
                expected = twin.get_order(client_order_id=cid)
                assert stored.market.get_order(client_order_id=cid) == expected
                assert stored.market.get_order(order_id=expected.order_id) == expected
        assert stored.market.get_fills(SYMBOL, limit=2) == twin.get_fills(SYMBOL, limit=2)
        middle = T0 + timedelta(seconds=len(sequence))
        assert stored.market.get_fills(since=middle, limit=3) == twin.get_fills(
            since=middle, limit=3
        )
        store.close()

    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(Path(tmp) / "x.db"))
