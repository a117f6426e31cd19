"""The writer lease: the pure rules, and Writer over an in-memory compare-and-swap store.

The store here behaves like the real ones (a version per write, a write on a stale
version fails); tests/integration/market_maker/test_fencing.py runs the real SQLite lease
with real processes.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gridops import errors
from gridops.market_maker.domain.lease import (
    LeaseRecord,
    Verdict,
    decide,
    next_token,
    released,
    taken,
)
from gridops.market_maker.writer.keeper import Writer
from tests.support.fake_exchange import FakeExchange

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def record(holder: str = "a", token: int = 5, at: datetime = T0, seconds: int = 10) -> LeaseRecord:
    return LeaseRecord(holder, token, at, seconds)


# -- the rules ---------------------------------------------------------------------------


def test_a_free_released_or_expired_lease_is_taken() -> None:
    assert decide(None, "b", None, T0) is Verdict.TAKE
    assert decide(released(record(), T0), "b", None, T0) is Verdict.TAKE
    assert decide(record(), "b", None, T0 + timedelta(seconds=10)) is Verdict.TAKE


def test_a_live_lease_of_another_holder_is_waited_for() -> None:
    assert decide(record(), "b", None, T0 + timedelta(seconds=9.9)) is Verdict.WAIT


def test_a_holder_known_dead_is_not_waited_for() -> None:
    assert decide(record(), "b", None, T0, holder_dead=True) is Verdict.TAKE


def test_our_own_identity_from_an_earlier_process_is_taken_at_once() -> None:
    assert decide(record(holder="pod-1"), "pod-1", None, T0) is Verdict.TAKE


def test_the_holder_renews_and_notices_when_it_lost_the_lease() -> None:
    assert decide(record(), "a", 5, T0) is Verdict.RENEW
    assert decide(record(holder="b", token=6), "a", 5, T0) is Verdict.LOST
    # Same holder name, newer token: a later process of ours took it (a restart).
    assert decide(record(token=6), "a", 5, T0) is Verdict.LOST
    assert decide(None, "a", 5, T0) is Verdict.LOST


def test_tokens_only_grow_even_when_the_record_was_deleted() -> None:
    first = taken(None, "a", 10, T0, locked=False)
    assert first.token == int(T0.timestamp() * 1000)
    # Taken again within the same millisecond: still higher.
    assert taken(first, "b", 10, T0, locked=False).token == first.token + 1
    # A record made anew later (the strategy re-created) starts above the old one.
    assert next_token(None, T0 + timedelta(seconds=1)) > first.token


# -- Writer --------------------------------------------------------------------------


class MemoryLease:
    kind = "memory"
    where = "memory"

    def __init__(self) -> None:
        self.record: LeaseRecord | None = None
        self.version = 0
        self.fail_reads = False

    async def read(self) -> tuple[LeaseRecord | None, Any]:
        if self.fail_reads:
            raise OSError("lease store down")
        return self.record, (self.version if self.record is not None else None)

    async def write(self, new: LeaseRecord, version: Any) -> bool:
        current = self.version if self.record is not None else None
        if version != current:
            return False
        self.record, self.version = new, self.version + 1
        return True

    async def try_lock(self) -> bool:
        return False

    async def unlock(self) -> None:
        return None

    async def close(self) -> None:
        return None


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def writer(store: MemoryLease, exchange: FakeExchange, holder: str, clock: Clock) -> Writer:
    return Writer(store, exchange, "btc", 3, holder=holder, clock=clock)


async def test_the_first_writer_takes_the_lease_and_claims_the_strategy() -> None:
    store, exchange, clock = MemoryLease(), FakeExchange(), Clock()
    first = writer(store, exchange, "a", clock)
    token = await asyncio.wait_for(first.acquire(), 2)
    assert exchange.fencing_token == token
    assert exchange.claims == [("btc", token, "a", 3)]
    assert store.record is not None
    assert store.record.holder == "a"


async def test_a_second_writer_stands_by_until_the_lease_expires() -> None:
    store, exchange, clock = MemoryLease(), FakeExchange(), Clock()
    first_token = await writer(store, exchange, "a", clock).acquire()
    second = writer(store, FakeExchange(), "b", clock)
    waiting = asyncio.create_task(second.acquire())
    await asyncio.sleep(0.2)
    assert not waiting.done()
    assert second.other == f"a (token {first_token})"
    clock.now = T0 + timedelta(seconds=3)  # the first never renewed
    second_token = await asyncio.wait_for(waiting, 5)
    assert second_token > first_token


async def test_a_writer_whose_lease_was_taken_is_fenced_on_renewal() -> None:
    store, exchange, clock = MemoryLease(), FakeExchange(), Clock()
    first = writer(store, exchange, "a", clock)
    await first.acquire()
    clock.now = T0 + timedelta(seconds=4)
    await writer(store, FakeExchange(), "b", clock).acquire()
    with pytest.raises(errors.Fenced, match="held by b"):
        await first.renew()
    assert first.token is None
    assert exchange.fencing_token == 0  # it sends no token of its own any more


async def test_a_writer_that_cannot_renew_before_expiry_stops() -> None:
    store, exchange, clock = MemoryLease(), FakeExchange(), Clock()
    first = writer(store, exchange, "a", clock)
    await first.acquire()
    store.fail_reads = True
    clock.now = T0 + timedelta(seconds=1)
    await first.renew()  # early: a store outage is waited out
    assert first.token is not None
    clock.now = T0 + timedelta(seconds=2.6)
    with pytest.raises(errors.Fenced, match="could not be renewed"):
        await first.renew()


async def test_the_connector_refusing_the_claim_fences_the_writer() -> None:
    store, exchange, clock = MemoryLease(), FakeExchange(), Clock()
    exchange.fencing.claim("btc", 10**15, "someone newer", 10)
    with pytest.raises(errors.Fenced, match="someone newer"):
        await writer(store, exchange, "a", clock).acquire()
    assert exchange.fencing_token == 0


async def test_a_release_lets_the_next_writer_in_at_once() -> None:
    store, exchange, clock = MemoryLease(), FakeExchange(), Clock()
    first = writer(store, exchange, "a", clock)
    token = await first.acquire()
    await first.release()
    assert exchange.claims[-1] == ("btc", token, "a", 0)
    assert await asyncio.wait_for(writer(store, exchange, "b", clock).acquire(), 1) > token


async def test_a_writer_frozen_past_its_lease_finds_out_before_it_acts() -> None:
    store, exchange, clock = MemoryLease(), FakeExchange(), Clock()
    first = writer(store, exchange, "a", clock)
    await first.acquire()
    store.fail_reads = True
    await first.ensure_valid()  # fresh: not even a read of the store
    store.fail_reads = False
    clock.now = T0 + timedelta(seconds=4)  # frozen for longer than the 3 s lease
    await writer(store, FakeExchange(), "b", clock).acquire()
    with pytest.raises(errors.Fenced, match="held by b"):
        await first.ensure_valid()
