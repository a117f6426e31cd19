"""SubscribeOrderBatches against a real connector, and ConnectorClient.subscribe_orders on it.

A burst is published straight into the running connector's hub without yielding (as the
upstream loop does when the exchange sends many events at once), so every subscriber
has a backlog and the batched stream really batches.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import grpc
import pytest

from gridops.client import (
    ConnectorClient,
    OrderChange,
    Resync,
    ResyncReason,
    SimulatorClient,
    Subscribed,
    Update,
)
from gridops.connector.events import to_broadcast
from gridops.connector.fanout import DEFAULT_MAX_BATCH, MAX_BATCH, Topic
from gridops.connector.server import ConnectorServer
from gridops.models import Fill, Order, OrderEvent, OrderRequest, OrderStatus, OrderType, Side
from gridops.v1 import connector_pb2 as cpb
from gridops.v1 import connector_pb2_grpc
from gridops.v1 import types_pb2 as pb
from tests.support.connector import running_connector
from tests.support.poll import eventually
from tests.support.streams import Recorder

BURST = 2_000
SYMBOL = "BTC/USDT"


def _order(index: int) -> Order:
    now = datetime.now(UTC)
    return Order(
        order_id=str(index),
        client_order_id=f"burst-{index}",
        symbol=SYMBOL,
        side=Side.BUY,
        type=OrderType.LIMIT,
        price=Decimal("49000.00"),
        quantity=Decimal("0.001"),
        filled_quantity=Decimal(0),
        average_fill_price=Decimal(0),
        status=OrderStatus.NEW,
        created_at=now,
        updated_at=now,
    )


def _burst(server: ConnectorServer, count: int, start: int = 0) -> list[str]:
    """Publish `count` order events at once, as the upstream loop would; their ids."""
    ids = []
    for i in range(start, start + count):
        order = _order(i)
        server.hub.publish(to_broadcast(OrderEvent(order), server.session_id))
        ids.append(order.client_order_id)
    return ids


class _Raw:
    """A raw stream of one of the two order RPCs, read in a task; keeps every update."""

    def __init__(self, address: str, batched: bool, max_batch: int = 0) -> None:
        self.channel = grpc.aio.insecure_channel(address)
        stub = connector_pb2_grpc.ExchangeConnectorStub(self.channel)
        request = cpb.SubscribeOrdersRequest(symbol=SYMBOL, max_batch=max_batch)
        self.call: Any = (
            stub.SubscribeOrderBatches(request) if batched else stub.SubscribeOrders(request)
        )
        self.batched = batched
        self.updates: list[cpb.OrderUpdate] = []
        self.batch_sizes: list[int] = []
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for message in self.call:
            updates = list(message.updates) if self.batched else [message]
            self.batch_sizes.append(len(updates))
            self.updates.extend(updates)

    async def subscribed(self) -> None:
        await asyncio.wait_for(self.call.initial_metadata(), 10)

    async def wait_updates(self, count: int) -> list[cpb.OrderUpdate]:
        async def enough() -> bool:
            if self.task.done():
                self.task.result()  # raise what ended it
            return len(self.updates) >= count

        await eventually(enough, message=f"{count} order updates")
        return self.updates

    async def close(self) -> None:
        self.call.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.channel.close()


async def test_a_burst_arrives_complete_and_in_order_on_both_rpcs(
    connector: ConnectorServer,
) -> None:
    plain = _Raw(connector.address, batched=False)
    batched = _Raw(connector.address, batched=True)
    small = _Raw(connector.address, batched=True, max_batch=7)
    streams = (plain, batched, small)
    for stream in streams:
        await stream.subscribed()

    ids = _burst(connector, BURST)
    for stream in streams:
        updates = await stream.wait_updates(BURST)
        assert len(updates) == BURST
        assert [u.order.client_order_id for u in updates] == ids
        assert [u.sequence for u in updates] == list(range(1, BURST + 1))
        assert {u.session_id for u in updates} == {connector.session_id}

    assert set(plain.batch_sizes) == {1}
    # The backlog really went out in batches, none over the connector's or asked limit.
    assert max(batched.batch_sizes) > 1
    assert max(batched.batch_sizes) <= DEFAULT_MAX_BATCH
    assert max(small.batch_sizes) == 7
    assert len(small.batch_sizes) >= BURST // 7

    # messages_sent counts updates; the batch-size histogram counts batches and updates.
    registry = connector.metrics.registry
    labels = {"stream": Topic.ORDERS.value}
    sent = registry.get_sample_value("gridops_connector_messages_sent_total", labels)
    assert sent == 3 * BURST
    batches = len(batched.batch_sizes) + len(small.batch_sizes)
    assert registry.get_sample_value("gridops_connector_batch_size_count", labels) == batches
    assert registry.get_sample_value("gridops_connector_batch_size_sum", labels) == 2 * BURST
    for stream in streams:
        await stream.close()


async def test_connector_client_yields_one_update_per_order_event_of_a_burst(
    connector: ConnectorServer, client: ConnectorClient
) -> None:
    rec: Recorder[OrderChange] = Recorder(client.subscribe_orders(SYMBOL))
    await rec.wait_subscribed()
    ids = _burst(connector, BURST)
    more = _burst(connector, BURST // 2, start=BURST)
    updates = await rec.wait_updates(BURST + BURST // 2)
    await rec.stop()

    assert [c.order.client_order_id for c in rec.values] == ids + more
    assert [u.sequence for u in updates] == list(range(1, len(ids) + len(more) + 1))
    assert {u.session_id for u in updates} == {connector.session_id}
    assert all(c.order.price == Decimal("49000.00") and c.fill is None for c in rec.values)
    # Nothing but the subscription and the updates: batches are invisible to callers.
    assert isinstance(rec.items[0], Subscribed)
    assert len(rec.items) == 1 + len(updates)
    # The connector did batch them (else this test would not test the unpacking).
    labels = {"stream": Topic.ORDERS.value}
    batches = connector.metrics.registry.get_sample_value(
        "gridops_connector_batch_size_count", labels
    )
    assert batches is not None
    assert batches < len(updates)


async def test_without_a_backlog_each_batch_is_one_update(
    connector: ConnectorServer, client: ConnectorClient
) -> None:
    stream = _Raw(connector.address, batched=True)
    await stream.subscribed()
    for i in range(5):
        await client.place_order(
            OrderRequest(f"one-{i}", SYMBOL, Side.BUY, Decimal(40000 + i), Decimal("0.001"))
        )
        await stream.wait_updates(i + 1)
    assert stream.batch_sizes == [1] * 5
    assert [u.order.client_order_id for u in stream.updates] == [f"one-{i}" for i in range(5)]
    assert [u.order.price for u in stream.updates] == [str(40000 + i) for i in range(5)]
    await stream.close()


@pytest.mark.parametrize("max_batch", [MAX_BATCH + 1, 2**32 - 1])
async def test_max_batch_out_of_range_is_invalid_argument_naming_it(
    connector: ConnectorServer, max_batch: int
) -> None:
    async with grpc.aio.insecure_channel(connector.address) as channel:
        stub = connector_pb2_grpc.ExchangeConnectorStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            async for _ in stub.SubscribeOrderBatches(
                cpb.SubscribeOrdersRequest(max_batch=max_batch)
            ):
                pass
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "max_batch" in (info.value.details() or "")
    assert connector.hub.count(Topic.ORDERS) == 0


async def test_the_largest_max_batch_is_accepted(connector: ConnectorServer) -> None:
    stream = _Raw(connector.address, batched=True, max_batch=MAX_BATCH)
    await stream.subscribed()
    ids = _burst(connector, 10)
    assert [u.order.client_order_id for u in await stream.wait_updates(10)] == ids
    await stream.close()


async def test_a_batched_subscriber_that_stops_reading_is_ended() -> None:
    async with running_connector(max_pending=50) as server:
        client = await ConnectorClient.connect(server.address)
        fast: Recorder[OrderChange] = Recorder(client.subscribe_orders())
        await fast.wait_subscribed()
        # Never reads, with a small receive window: its backlog builds on the server.
        slow_channel = grpc.aio.insecure_channel(
            server.address, options=[("grpc.http2.bdp_probe", 0)]
        )
        slow_call = connector_pb2_grpc.ExchangeConnectorStub(slow_channel).SubscribeOrderBatches(
            cpb.SubscribeOrdersRequest()
        )
        await slow_call.initial_metadata()
        published = 0
        while server.hub.overflows[Topic.ORDERS] == 0 and published < 20_000:
            # Fewer than max_pending at once, and only once the reader has caught up:
            # so only the one that stopped reading can overflow.
            _burst(server, 25, start=published)
            published += 25
            await fast.wait_updates(published)
        assert server.hub.overflows[Topic.ORDERS] == 1, f"no overflow after {published}"

        async def drain() -> None:
            async for _ in slow_call:
                pass

        with pytest.raises(grpc.aio.AioRpcError) as info:
            await asyncio.wait_for(drain(), 10)
        assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "resync" in (info.value.details() or "")
        updates = await fast.wait_updates(published)
        assert [u.sequence for u in updates] == list(range(1, published + 1))
        await fast.stop()
        await client.close()
        await slow_channel.close()


# ---- the client against connectors that do not behave like this one -----------------

SESSION = "fake-session"


def _update(sequence: int, client_order_id: str) -> cpb.OrderUpdate:
    return cpb.OrderUpdate(
        order=pb.Order(
            client_order_id=client_order_id,
            symbol=SYMBOL,
            side=pb.BUY,
            type=pb.LIMIT,
            status=pb.NEW,
            price="1",
            quantity="1",
            filled_quantity="0",
            average_fill_price="0",
        ),
        session_id=SESSION,
        sequence=sequence,
    )


async def _fake_connector(methods: dict[str, list[bytes]]) -> tuple[grpc.aio.Server, str]:
    """A server with only the given ExchangeConnector streams, each sending fixed messages."""

    def streaming(messages: list[bytes]) -> grpc.RpcMethodHandler[bytes, bytes]:
        async def handle(
            request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]
        ) -> AsyncIterator[bytes]:
            await context.send_initial_metadata((("gridops-session-id", SESSION),))
            for message in messages:
                yield message
            await asyncio.Event().wait()  # then stays open, like a quiet connector

        return grpc.unary_stream_rpc_method_handler(handle)

    handler = grpc.method_handlers_generic_handler(
        "gridops.v1.ExchangeConnector",
        {name: streaming(messages) for name, messages in methods.items()},
    )
    server = grpc.aio.server()
    server.add_generic_rpc_handlers([handler])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, f"127.0.0.1:{port}"


async def test_a_connector_without_batches_is_asked_with_subscribe_orders() -> None:
    # An older connector (mid-upgrade): SubscribeOrderBatches is UNIMPLEMENTED there.
    updates = [_update(n, f"old-{n}").SerializeToString() for n in (1, 2, 3)]
    server, address = await _fake_connector({"SubscribeOrders": updates})
    client = ConnectorClient(address)
    try:
        rec: Recorder[OrderChange] = Recorder(client.subscribe_orders())
        await rec.wait_updates(3)
        await rec.stop()
        assert isinstance(rec.items[0], Subscribed)
        assert [c.order.client_order_id for c in rec.values] == ["old-1", "old-2", "old-3"]
        assert [u.sequence for u in rec.updates] == [1, 2, 3]
        assert len(rec.items) == 4  # no Disconnected, no Resync on the way
    finally:
        await client.close()
        await server.stop(0)


async def test_a_gap_inside_a_batch_asks_for_resync_before_that_update() -> None:
    batches = [
        cpb.OrderUpdateBatch(updates=[_update(1, "a"), _update(2, "b")]),
        cpb.OrderUpdateBatch(updates=[_update(3, "c"), _update(5, "e"), _update(6, "f")]),
    ]
    server, address = await _fake_connector(
        {"SubscribeOrderBatches": [b.SerializeToString() for b in batches]}
    )
    client = ConnectorClient(address)
    try:
        rec: Recorder[OrderChange] = Recorder(client.subscribe_orders())
        await rec.wait_updates(5)
        await rec.stop()
        shown = [
            i.value.order.client_order_id if isinstance(i, Update) else type(i).__name__
            for i in rec.items
        ]
        assert shown == ["Subscribed", "a", "b", "c", "Resync", "e", "f"]
        resync = rec.of(Resync)[0]
        assert isinstance(resync, Resync)
        assert resync.reason is ResyncReason.SEQUENCE_GAP
    finally:
        await client.close()
        await server.stop(0)


async def test_an_order_with_a_fill_keeps_its_fill_through_a_batch(
    client: ConnectorClient, sim: SimulatorClient
) -> None:
    rec: Recorder[OrderChange] = Recorder(client.subscribe_orders(SYMBOL))
    await rec.wait_subscribed()
    await client.place_order(
        OrderRequest("fill-me", SYMBOL, Side.BUY, Decimal("40000"), Decimal("0.01"))
    )
    # Filled without moving the price: a real order event with a fill from the sim.
    order, fill = await sim.fill_order("fill-me")
    changes = [u.value for u in await rec.wait_updates(2)]
    await rec.stop()
    assert [c.order.client_order_id for c in changes] == ["fill-me", "fill-me"]
    assert changes[0].fill is None
    streamed = changes[1].fill
    assert streamed is not None
    # Field by field: a venue numbers orders and trades its own way and stamps them in
    # milliseconds, the Simulator answers in the simulated exchange's terms.
    assert _what_filled(streamed) == _what_filled(fill)
    assert changes[1].order.status is OrderStatus.FILLED is order.status
    assert changes[1].order.filled_quantity == order.filled_quantity


def _what_filled(fill: Fill) -> tuple[object, ...]:
    return (fill.client_order_id, fill.symbol, fill.side, fill.price, fill.quantity,
            fill.fee, fill.fee_asset, fill.maker)  # fmt: skip
