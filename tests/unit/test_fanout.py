"""gridops.connector.fanout: sequence stamping, coalescing, strict overflow, closing."""

from __future__ import annotations

import asyncio

import pytest
from google.protobuf.wrappers_pb2 import BytesValue
from hypothesis import given
from hypothesis import strategies as st

from gridops import errors
from gridops.connector.fanout import (
    COALESCED,
    MAX_BATCH_BYTES,
    Broadcast,
    Hub,
    Subscriber,
    Topic,
    batch_item_header,
    encode_sequence,
    match_all,
)
from gridops.v1 import connector_pb2 as cpb
from gridops.v1 import types_pb2 as pb

UINT64_MAX = 2**64 - 1

# ---- encode_sequence ---------------------------------------------------------------

text = st.text(max_size=20)
amount = st.from_regex(r"\A-?[0-9]{1,8}(\.[0-9]{1,8})?\Z")
order_bodies = st.builds(
    lambda order_id, client_order_id, symbol, side, status, price, session_id, fill: (
        cpb.OrderUpdate(
            order=pb.Order(
                order_id=order_id,
                client_order_id=client_order_id,
                symbol=symbol,
                side=side,
                status=status,
                price=price,
            ),
            fill=pb.Fill(trade_id=order_id, price=price) if fill else None,
            session_id=session_id,
        )
    ),
    text,
    text,
    text,
    st.sampled_from([pb.BUY, pb.SELL]),
    st.sampled_from([pb.NEW, pb.PARTIALLY_FILLED, pb.FILLED, pb.CANCELED, pb.REJECTED]),
    amount,
    text,
    st.booleans(),
)
account_bodies = st.builds(
    lambda balances, equity, session_id: cpb.AccountUpdate(
        account=pb.Account(
            balances=[pb.Balance(asset=a, free=f, locked=f) for a, f in balances],
            equity=equity,
            quote_asset="USDT",
        ),
        session_id=session_id,
    ),
    st.lists(st.tuples(text, amount), max_size=4),
    amount,
    text,
)
sequences = st.integers(min_value=0, max_value=UINT64_MAX)


@pytest.mark.parametrize(
    ("n", "encoded"),
    [
        (0, b"\x78\x00"),
        (1, b"\x78\x01"),
        (127, b"\x78\x7f"),
        (128, b"\x78\x80\x01"),
        (300, b"\x78\xac\x02"),
        (UINT64_MAX, b"\x78" + b"\xff" * 9 + b"\x01"),
    ],
)
def test_encode_sequence_is_a_field_15_varint(n: int, encoded: bytes) -> None:
    assert encode_sequence(n) == encoded


@given(order_bodies, sequences)
def test_order_update_body_plus_sequence_parses_with_that_sequence(
    message: cpb.OrderUpdate, n: int
) -> None:
    body = message.SerializeToString()
    parsed = cpb.OrderUpdate.FromString(body + encode_sequence(n))
    assert parsed.sequence == n
    expected = cpb.OrderUpdate()
    expected.CopyFrom(message)
    expected.sequence = n
    assert parsed == expected


@given(account_bodies, sequences)
def test_account_update_body_plus_sequence_parses_with_that_sequence(
    message: cpb.AccountUpdate, n: int
) -> None:
    body = message.SerializeToString()
    parsed = cpb.AccountUpdate.FromString(body + encode_sequence(n))
    assert parsed.sequence == n
    expected = cpb.AccountUpdate()
    expected.CopyFrom(message)
    expected.sequence = n
    assert parsed == expected


@given(sequences, sequences)
def test_appended_sequence_overrides_one_already_in_the_body(old: int, new: int) -> None:
    body = cpb.OrderUpdate(session_id="s", sequence=old).SerializeToString()
    assert cpb.OrderUpdate.FromString(body + encode_sequence(new)).sequence == new


# ---- helpers -----------------------------------------------------------------------


def order_body(client_order_id: str, status: pb.OrderStatus.ValueType = pb.NEW) -> bytes:
    update = cpb.OrderUpdate(
        order=pb.Order(client_order_id=client_order_id, symbol="BTC/USDT", status=status),
        session_id="session-1",
    )
    return update.SerializeToString()


def order_event(client_order_id: str, symbol: str = "BTC/USDT") -> Broadcast:
    return Broadcast(
        Topic.ORDERS, order_body(client_order_id), symbol=symbol, client_order_id=client_order_id
    )


def price_event(symbol: str, price: str) -> Broadcast:
    update = cpb.PriceUpdate(ticker=pb.Ticker(symbol=symbol, price=price), session_id="s")
    return Broadcast(Topic.PRICES, update.SerializeToString(), symbol=symbol)


def parse_order(data: bytes) -> cpb.OrderUpdate:
    return cpb.OrderUpdate.FromString(data)


def parse_price(data: bytes) -> cpb.PriceUpdate:
    return cpb.PriceUpdate.FromString(data)


async def take(subscriber: Subscriber) -> bytes:
    """next() where it must not block: fail the test instead of hanging."""
    return await asyncio.wait_for(subscriber.next(), 1)


# ---- topics ------------------------------------------------------------------------


def test_orders_are_strict_and_snapshots_coalesce() -> None:
    assert frozenset({Topic.ACCOUNT, Topic.POSITIONS, Topic.PRICES}) == COALESCED
    assert Topic.ORDERS not in COALESCED
    assert Subscriber(Topic.ORDERS, match_all, 10).coalesced is False
    for topic in COALESCED:
        assert Subscriber(topic, match_all, 10).coalesced is True


# ---- coalescing --------------------------------------------------------------------


async def test_coalescing_keeps_only_the_latest_per_symbol() -> None:
    sub = Subscriber(Topic.PRICES, match_all, max_pending=1)
    assert sub.offer(price_event("BTC/USDT", "1")) == 0
    assert sub.offer(price_event("ETH/USDT", "10")) == 0
    assert sub.offer(price_event("BTC/USDT", "2")) == 1
    assert sub.offer(price_event("BTC/USDT", "3")) == 1
    # Coalesced topics are bounded by the number of keys, not max_pending.
    assert sub.offer(price_event("SOL/USDT", "100")) == 0
    assert sub.backlog == 3
    assert not sub.overflowed

    got = [parse_price(await take(sub)) for _ in range(3)]
    prices = {(u.ticker.symbol, u.ticker.price) for u in got}
    assert prices == {("BTC/USDT", "3"), ("ETH/USDT", "10"), ("SOL/USDT", "100")}
    assert [u.sequence for u in got] == [1, 2, 3]
    assert sub.backlog == 0


async def test_hub_counts_coalesced_values_per_topic() -> None:
    hub = Hub(max_pending=5)
    a = hub.subscribe(Topic.PRICES)
    b = hub.subscribe(Topic.PRICES)
    for price in ("1", "2", "3"):
        hub.publish(price_event("BTC/USDT", price))
    # Each of the two subscribers replaced two pending values.
    assert hub.coalesced[Topic.PRICES] == 4
    assert hub.coalesced[Topic.ORDERS] == 0
    assert parse_price(await take(a)).ticker.price == "3"
    assert parse_price(await take(b)).ticker.price == "3"


async def test_account_snapshots_coalesce_to_the_latest() -> None:
    hub = Hub()
    sub = hub.subscribe(Topic.ACCOUNT)
    for equity in ("1", "2", "3"):
        body = cpb.AccountUpdate(account=pb.Account(equity=equity)).SerializeToString()
        hub.publish(Broadcast(Topic.ACCOUNT, body))
    assert sub.backlog == 1
    assert cpb.AccountUpdate.FromString(await take(sub)).account.equity == "3"


# ---- strict overflow ---------------------------------------------------------------


async def test_strict_subscriber_keeps_everything_up_to_max_pending() -> None:
    sub = Subscriber(Topic.ORDERS, match_all, max_pending=3)
    for i in range(3):
        assert sub.offer(order_event(f"c{i}")) == 0
    assert sub.backlog == 3
    assert not sub.overflowed
    got = [parse_order(await take(sub)) for _ in range(3)]
    assert [u.order.client_order_id for u in got] == ["c0", "c1", "c2"]


async def test_strict_overflow_ends_the_subscriber_and_drops_its_backlog() -> None:
    sub = Subscriber(Topic.ORDERS, match_all, max_pending=2)
    sub.offer(order_event("a"))
    sub.offer(order_event("b"))
    assert sub.offer(order_event("c")) == 0
    assert sub.overflowed
    assert sub.backlog == 0
    with pytest.raises(errors.ResourceExhausted, match="resubscribe"):
        await take(sub)
    # Ended for good: later offers are ignored and next() keeps raising.
    assert sub.offer(order_event("d")) == 0
    assert sub.backlog == 0
    with pytest.raises(errors.ResourceExhausted):
        await take(sub)


async def test_hub_counts_and_forgets_an_overflowed_subscriber() -> None:
    hub = Hub(max_pending=2)
    slow = hub.subscribe(Topic.ORDERS)
    fast = hub.subscribe(Topic.ORDERS)
    hub.publish(order_event("a"))
    hub.publish(order_event("b"))
    assert parse_order(await take(fast)).order.client_order_id == "a"
    assert parse_order(await take(fast)).order.client_order_id == "b"
    hub.publish(order_event("c"))  # slow has 2 pending: this overflows it

    assert slow.overflowed
    assert not fast.overflowed
    assert hub.overflows[Topic.ORDERS] == 1
    assert hub.count(Topic.ORDERS) == 1
    assert hub.count() == 1
    with pytest.raises(errors.ResourceExhausted):
        await take(slow)
    assert parse_order(await take(fast)).order.client_order_id == "c"

    hub.publish(order_event("d"))  # the forgotten subscriber is not counted again
    assert hub.overflows[Topic.ORDERS] == 1
    assert slow.backlog == 0
    assert parse_order(await take(fast)).order.client_order_id == "d"


# ---- closing -----------------------------------------------------------------------


async def test_close_drains_pending_then_raises_the_error() -> None:
    sub = Subscriber(Topic.ORDERS, match_all, max_pending=10)
    sub.offer(order_event("a"))
    sub.offer(order_event("b"))
    error = errors.Unavailable("upstream lost")
    sub.close(error)
    assert sub.offer(order_event("c")) == 0  # closed: nothing new is queued
    assert parse_order(await take(sub)).order.client_order_id == "a"
    assert parse_order(await take(sub)).order.client_order_id == "b"
    with pytest.raises(errors.Unavailable) as info:
        await take(sub)
    assert info.value is error
    assert not sub.overflowed


async def test_second_close_keeps_the_first_error() -> None:
    sub = Subscriber(Topic.PRICES, match_all, max_pending=10)
    first = errors.Unavailable("first")
    sub.close(first)
    sub.close(errors.Internal("second"))
    with pytest.raises(errors.Unavailable) as info:
        await take(sub)
    assert info.value is first


async def test_next_waits_for_an_offer_and_wakes_on_it() -> None:
    sub = Subscriber(Topic.ORDERS, match_all, max_pending=10)
    task = asyncio.create_task(sub.next())
    done, _ = await asyncio.wait({task}, timeout=0)
    assert not done  # nothing pending: next() waits
    sub.offer(order_event("a"))
    data = await asyncio.wait_for(task, 1)
    assert parse_order(data).order.client_order_id == "a"
    assert parse_order(data).sequence == 1


async def test_next_waits_then_raises_when_closed() -> None:
    sub = Subscriber(Topic.ORDERS, match_all, max_pending=10)
    task = asyncio.create_task(sub.next())
    done, _ = await asyncio.wait({task}, timeout=0)
    assert not done
    sub.close(errors.Unavailable("gone"))
    with pytest.raises(errors.Unavailable, match="gone"):
        await asyncio.wait_for(task, 1)


# ---- sequences and filters ---------------------------------------------------------


async def test_sequences_count_per_subscriber() -> None:
    hub = Hub()
    early = hub.subscribe(Topic.ORDERS)
    hub.publish(order_event("a"))
    hub.publish(order_event("b"))
    late = hub.subscribe(Topic.ORDERS)
    hub.publish(order_event("c"))

    early_got = [parse_order(await take(early)) for _ in range(3)]
    late_got = [parse_order(await take(late)) for _ in range(1)]
    assert [u.sequence for u in early_got] == [1, 2, 3]
    assert [u.order.client_order_id for u in early_got] == ["a", "b", "c"]
    assert [u.sequence for u in late_got] == [1]
    assert late_got[0].order.client_order_id == "c"
    # The body is untouched apart from the sequence.
    assert late_got[0].session_id == "session-1"


async def test_subscribers_see_identical_bodies_with_their_own_sequence() -> None:
    hub = Hub()
    a = hub.subscribe(Topic.ORDERS)
    b = hub.subscribe(Topic.ORDERS)
    hub.publish(order_event("x"))
    from_a, from_b = await take(a), await take(b)
    body = order_body("x")
    assert from_a == from_b == body + encode_sequence(1)


async def test_filters_are_honoured() -> None:
    hub = Hub()
    btc = hub.subscribe(Topic.ORDERS, lambda item: item.symbol == "BTC/USDT")
    grid = hub.subscribe(Topic.ORDERS, lambda item: item.client_order_id.startswith("grid-"))
    everything = hub.subscribe(Topic.ORDERS)
    hub.publish(order_event("grid-1", symbol="ETH/USDT"))
    hub.publish(order_event("manual-1", symbol="BTC/USDT"))
    hub.publish(order_event("other", symbol="ETH/USDT"))

    assert btc.backlog == 1
    assert grid.backlog == 1
    assert everything.backlog == 3
    got_btc = parse_order(await take(btc))
    got_grid = parse_order(await take(grid))
    assert (got_btc.order.client_order_id, got_btc.sequence) == ("manual-1", 1)
    assert (got_grid.order.client_order_id, got_grid.sequence) == ("grid-1", 1)


async def test_a_filtered_out_event_does_not_count_towards_overflow() -> None:
    hub = Hub(max_pending=1)
    sub = hub.subscribe(Topic.ORDERS, lambda item: item.symbol == "BTC/USDT")
    hub.publish(order_event("a", symbol="BTC/USDT"))
    for i in range(5):
        hub.publish(order_event(f"eth-{i}", symbol="ETH/USDT"))
    assert not sub.overflowed
    assert hub.overflows[Topic.ORDERS] == 0


async def test_publish_reaches_only_its_topic() -> None:
    hub = Hub()
    orders = hub.subscribe(Topic.ORDERS)
    prices = hub.subscribe(Topic.PRICES)
    hub.publish(price_event("BTC/USDT", "1"))
    assert orders.backlog == 0
    assert prices.backlog == 1


def test_unsubscribe_and_count() -> None:
    hub = Hub()
    a = hub.subscribe(Topic.ORDERS)
    hub.subscribe(Topic.PRICES)
    assert hub.count() == 2
    assert hub.count(Topic.ORDERS) == 1
    hub.unsubscribe(a)
    assert hub.count(Topic.ORDERS) == 0
    assert hub.count() == 1
    hub.publish(order_event("a"))
    assert a.backlog == 0
    hub.unsubscribe(a)  # twice is harmless
    assert hub.count() == 1


# ---- Hub.close and end_topic -------------------------------------------------------


async def test_hub_close_ends_every_stream_and_refuses_new_ones() -> None:
    hub = Hub()
    orders = hub.subscribe(Topic.ORDERS)
    prices = hub.subscribe(Topic.PRICES)
    hub.publish(order_event("a"))
    error = errors.Unavailable("shutting down")
    hub.close(error)

    assert parse_order(await take(orders)).order.client_order_id == "a"
    with pytest.raises(errors.Unavailable):
        await take(orders)
    with pytest.raises(errors.Unavailable):
        await take(prices)
    for topic in Topic:
        with pytest.raises(errors.Unavailable) as info:
            hub.subscribe(topic)
        assert info.value is error


async def test_end_topic_ends_only_that_topic() -> None:
    hub = Hub()
    orders = hub.subscribe(Topic.ORDERS)
    prices = hub.subscribe(Topic.PRICES)
    hub.end_topic(Topic.ORDERS, errors.Unavailable("upstream lost"))

    with pytest.raises(errors.Unavailable, match="upstream lost"):
        await take(orders)
    hub.publish(price_event("BTC/USDT", "5"))
    assert parse_price(await take(prices)).ticker.price == "5"
    # The hub itself is still open.
    again = hub.subscribe(Topic.ORDERS)
    hub.publish(order_event("b"))
    assert parse_order(await take(again)).order.client_order_id == "b"


# ---- batches (SubscribeOrderBatches) -----------------------------------------------


def with_sequence(body: bytes, sequence: int) -> cpb.OrderUpdate:
    expected = cpb.OrderUpdate.FromString(body)
    expected.sequence = sequence
    return expected


async def take_batch(subscriber: Subscriber, limit: int) -> tuple[bytes, int]:
    """next_batch() where it must not block: fail the test instead of hanging."""
    return await asyncio.wait_for(subscriber.next_batch(limit), 1)


@pytest.mark.parametrize("length", [1, 127, 128, 300, 16_383, 16_384, 2**21 + 5])
def test_batch_item_header_is_what_protobuf_writes_before_field_1(length: int) -> None:
    # BytesValue is `bytes value = 1`: the same tag and length prefix as one
    # `repeated OrderUpdate updates = 1` element of that size.
    body = b"\x01" * length
    assert batch_item_header(length) + body == BytesValue(value=body).SerializeToString()


@given(st.lists(order_bodies, min_size=1, max_size=30), st.integers(0, 2**40))
def test_a_batch_is_byte_for_byte_what_protobuf_serializes(
    messages: list[cpb.OrderUpdate], start: int
) -> None:
    sub = Subscriber(Topic.ORDERS, match_all, max_pending=100)
    sub._sequence = start  # sequences past the one- and two-byte varint fast paths too
    bodies = [m.SerializeToString() for m in messages]
    for body in bodies:
        sub.offer(Broadcast(Topic.ORDERS, body))
    frame, count = asyncio.run(take_batch(sub, 1000))
    assert count == len(bodies)
    expected = [with_sequence(b, start + i + 1) for i, b in enumerate(bodies)]
    parsed = cpb.OrderUpdateBatch.FromString(frame)
    assert list(parsed.updates) == expected
    # Built without re-serializing, yet identical to serializing the whole batch.
    assert frame == cpb.OrderUpdateBatch(updates=expected).SerializeToString()


async def test_next_batch_takes_everything_pending_up_to_the_limit() -> None:
    sub = Subscriber(Topic.ORDERS, match_all, max_pending=100)
    for i in range(10):
        sub.offer(order_event(f"c{i}"))
    sizes: list[int] = []
    updates: list[cpb.OrderUpdate] = []
    while sub.backlog:
        frame, count = await take_batch(sub, 3)
        batch = cpb.OrderUpdateBatch.FromString(frame)
        assert len(batch.updates) == count
        sizes.append(count)
        updates.extend(batch.updates)
    assert sizes == [3, 3, 3, 1]
    # One sequence counter per stream: it runs on across batches.
    assert [u.sequence for u in updates] == list(range(1, 11))
    assert [u.order.client_order_id for u in updates] == [f"c{i}" for i in range(10)]
    assert {u.session_id for u in updates} == {"session-1"}


async def test_without_a_backlog_a_batch_is_one_update_sent_at_once() -> None:
    sub = Subscriber(Topic.ORDERS, match_all, max_pending=100)
    task = asyncio.create_task(sub.next_batch(256))
    done, _ = await asyncio.wait({task}, timeout=0)
    assert not done  # nothing pending: it waits
    sub.offer(order_event("a"))
    frame, count = await asyncio.wait_for(task, 1)
    assert count == 1
    (only,) = cpb.OrderUpdateBatch.FromString(frame).updates
    assert (only.order.client_order_id, only.sequence) == ("a", 1)


async def test_a_batch_stops_growing_at_the_byte_cap() -> None:
    sub = Subscriber(Topic.ORDERS, match_all, max_pending=100)
    big = cpb.OrderUpdate(order=pb.Order(client_order_id="x" * (MAX_BATCH_BYTES // 3)))
    body = big.SerializeToString()
    for _ in range(8):
        sub.offer(Broadcast(Topic.ORDERS, body))
    counts = []
    while sub.backlog:
        frame, count = await take_batch(sub, 4096)
        counts.append(count)
        # At most the cap plus the update that crossed it.
        assert len(frame) < MAX_BATCH_BYTES + len(body) + 16
    assert counts == [3, 3, 2]
    # A single update larger than the cap still goes, alone.
    huge = cpb.OrderUpdate(order=pb.Order(client_order_id="y" * MAX_BATCH_BYTES))
    sub.offer(Broadcast(Topic.ORDERS, huge.SerializeToString()))
    sub.offer(order_event("after"))
    frame, count = await take_batch(sub, 4096)
    assert count == 1
    assert cpb.OrderUpdateBatch.FromString(frame).updates[0].sequence == 9


async def test_next_and_next_batch_share_the_sequence() -> None:
    sub = Subscriber(Topic.ORDERS, match_all, max_pending=100)
    for i in range(4):
        sub.offer(order_event(f"c{i}"))
    assert parse_order(await take(sub)).sequence == 1
    frame, _ = await take_batch(sub, 2)
    assert [u.sequence for u in cpb.OrderUpdateBatch.FromString(frame).updates] == [2, 3]
    assert parse_order(await take(sub)).sequence == 4


async def test_next_batch_after_overflow_raises_resource_exhausted() -> None:
    sub = Subscriber(Topic.ORDERS, match_all, max_pending=2)
    sub.offer(order_event("a"))
    sub.offer(order_event("b"))
    sub.offer(order_event("c"))  # one too many: ended, its backlog dropped
    assert sub.overflowed
    with pytest.raises(errors.ResourceExhausted, match="resubscribe"):
        await take_batch(sub, 256)


async def test_overflow_counts_what_is_pending_not_what_was_batched() -> None:
    sub = Subscriber(Topic.ORDERS, match_all, max_pending=3)
    for i in range(3):
        sub.offer(order_event(f"c{i}"))
    _, count = await take_batch(sub, 256)
    assert count == 3
    for i in range(3):
        sub.offer(order_event(f"d{i}"))  # room again: the batch emptied the backlog
    assert not sub.overflowed
    sub.offer(order_event("d3"))
    assert sub.overflowed


async def test_close_drains_pending_in_batches_then_raises() -> None:
    sub = Subscriber(Topic.ORDERS, match_all, max_pending=10)
    for i in range(5):
        sub.offer(order_event(f"c{i}"))
    error = errors.Unavailable("upstream lost")
    sub.close(error)
    first, _ = await take_batch(sub, 3)
    second, _ = await take_batch(sub, 3)
    got = [*cpb.OrderUpdateBatch.FromString(first).updates]
    got += cpb.OrderUpdateBatch.FromString(second).updates
    assert [u.order.client_order_id for u in got] == [f"c{i}" for i in range(5)]
    with pytest.raises(errors.Unavailable) as info:
        await take_batch(sub, 3)
    assert info.value is error


async def test_next_batch_waits_then_raises_when_closed() -> None:
    sub = Subscriber(Topic.ORDERS, match_all, max_pending=10)
    task = asyncio.create_task(sub.next_batch(10))
    done, _ = await asyncio.wait({task}, timeout=0)
    assert not done
    sub.close(errors.Unavailable("gone"))
    with pytest.raises(errors.Unavailable, match="gone"):
        await asyncio.wait_for(task, 1)


async def test_batches_are_for_strict_streams_and_hold_at_least_one() -> None:
    with pytest.raises(TypeError, match="coalesced"):
        await take_batch(Subscriber(Topic.PRICES, match_all, 10), 10)
    sub = Subscriber(Topic.ORDERS, match_all, 10)
    sub.offer(order_event("a"))
    with pytest.raises(ValueError, match="at least one"):
        await take_batch(sub, 0)
    assert sub.backlog == 1
