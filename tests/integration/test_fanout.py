"""One upstream connection, many subscribers (seed spec §4.2, §5.1 'single connection')."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from decimal import Decimal

import grpc
import pytest

from gridops.client import ConnectorClient, SimulatorClient
from gridops.connector.fanout import Topic
from gridops.connector.server import ConnectorServer
from gridops.models import Account, OrderRequest, Side
from gridops.v1 import connector_pb2 as cpb
from gridops.v1 import connector_pb2_grpc
from tests.support.connector import running_connector
from tests.support.poll import eventually
from tests.support.streams import Recorder
from tests.support.venue import VenueProcess


async def test_ten_subscribers_all_receive_one_broadcast(
    connector: ConnectorServer, sim: SimulatorClient
) -> None:
    clients = [await ConnectorClient.connect(connector.address) for _ in range(10)]
    recorders: list[Recorder[Account]] = [Recorder(c.subscribe_account()) for c in clients]
    for rec in recorders:
        await rec.wait_updates(1)
    await sim.set_balances({"USDT": Decimal("777")})
    for rec in recorders:
        updates = await rec.wait_updates(2)
        assert updates[1].value.balance("USDT").free == Decimal("777")
        assert updates[1].sequence == 2
    for rec in recorders:
        await rec.stop()
    for c in clients:
        await c.close()


async def test_one_upstream_connection_for_ten_clients_on_every_stream(
    connector: ConnectorServer, sim: SimulatorClient, venue: VenueProcess | None
) -> None:
    clients = [await ConnectorClient.connect(connector.address) for _ in range(10)]
    recorders: list[Recorder[object]] = []
    for c in clients:
        recorders += [
            Recorder(c.subscribe_account()),
            Recorder(c.subscribe_positions()),
            Recorder(c.subscribe_orders()),
            Recorder(c.subscribe_prices()),
        ]
    for rec in recorders:
        await rec.wait_subscribed()
    assert connector.hub.count() == 40
    assert connector.adapter.upstream_connections == 1
    assert connector.adapter.upstream_connects_total == 1
    stats = await sim.get_stats()
    if venue is None:
        assert stats.subscribers == 40
        assert stats.upstream_connections == 1
        assert stats.upstream_connects_total == 1
    else:
        # What the venue sees of 40 subscribers: one market-stream socket, one user-data
        # subscription.
        assert stats.subscribers == 2
    for rec in recorders:
        await rec.stop()
    for c in clients:
        await c.close()


async def test_abrupt_client_disconnect_hurts_nobody(
    connector: ConnectorServer, client: ConnectorClient, sim: SimulatorClient
) -> None:
    # A real process subscribes, then dies with SIGKILL: no goodbye on the wire.
    script = textwrap.dedent(
        f"""
        import asyncio
        from gridops.client import ConnectorClient
        async def main():
            c = await ConnectorClient.connect("{connector.address}")
            async for item in c.subscribe_account():
                print(type(item).__name__, flush=True)
        asyncio.run(main())
        """
    )
    child = subprocess.Popen(  # noqa: ASYNC220 - starting it does not block
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        survivor: Recorder[Account] = Recorder(client.subscribe_account())
        await survivor.wait_updates(1)
        await eventually(lambda: _is(connector.hub.count() == 2), message="both subscribed")
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        await eventually(lambda: _is(connector.hub.count() == 1), message="dead one dropped")
        await sim.set_balances({"USDT": Decimal("4242")})
        updates = await survivor.wait_updates(2)
        assert updates[-1].value.balance("USDT").free == Decimal("4242")
        assert (await client.get_account()).balance("USDT").free == Decimal("4242")
        await survivor.stop()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


async def test_slow_order_subscriber_is_ended_others_get_everything() -> None:
    async with running_connector(max_pending=50) as server:
        fast_client = await ConnectorClient.connect(server.address)
        fast: Recorder[object] = Recorder(fast_client.subscribe_orders())
        await fast.wait_subscribed()
        # A subscriber that never reads: a small receive window, so its backlog builds.
        slow_channel = grpc.aio.insecure_channel(
            server.address, options=[("grpc.http2.bdp_probe", 0)]
        )
        slow_call = connector_pb2_grpc.ExchangeConnectorStub(slow_channel).SubscribeOrders(
            cpb.SubscribeOrdersRequest()
        )
        await slow_call.initial_metadata()
        placed = 0
        while server.hub.overflows[Topic.ORDERS] == 0 and placed < 4000:
            placed += 1
            await fast_client.place_order(
                OrderRequest(f"slow-{placed}", "BTC/USDT", Side.BUY, Decimal(1000), Decimal("0.01"))
            )
        assert server.hub.overflows[Topic.ORDERS] == 1, f"no overflow after {placed} orders"
        with pytest.raises(grpc.aio.AioRpcError) as info:
            async for _ in slow_call:
                pass
        assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "resync" in (info.value.details() or "")
        updates = await fast.wait_updates(placed)
        assert [u.sequence for u in updates] == list(range(1, placed + 1))
        await fast.stop()
        await fast_client.close()
        await slow_channel.close()


async def _is(value: bool) -> bool:
    return value
