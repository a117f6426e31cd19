"""Prefix filters select one strategy's orders exactly: `btc-grid` never touches `btc-grid-2`.

A real connector process; orders with the ids of both strategies, placed directly, then
through real market-maker processes named `btc-grid` and `btc-grid-2`.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import grpc

from gridops.client import ConnectorClient, OrderChange, SimulatorClient
from gridops.models import OrderRequest, OrderStatus, Side
from gridops.v1 import connector_pb2 as cpb
from gridops.v1 import connector_pb2_grpc
from tests.support.connector import ConnectorProcess
from tests.support.market_maker import MarketMakerProcess, write_config
from tests.support.poll import eventually
from tests.support.streams import Recorder

SYMBOL = "BTC/USDT"
# "btc-grid-2-B-1" is btc-grid's (level 2) although it starts with "btc-grid-2-".
OURS = ["btc-grid-0-B-1", "btc-grid-1-B-1", "btc-grid-2-B-1", "btc-grid-m1-S-1"]
THEIRS = ["btc-grid-2-0-B-1", "btc-grid-2-1-B-1", "btc-grid-2-2-B-1", "btc-grid-2-m1-S-1"]
# Placed last: once a stream shows its marker, it has shown everything before it.
MARKERS = {"btc-grid": "btc-grid-99-B-1", "btc-grid-2": "btc-grid-2-99-B-1"}


def order(cid: str, index: int) -> OrderRequest:
    if cid.endswith("-S-1"):
        return OrderRequest(cid, SYMBOL, Side.SELL, Decimal(60000 + index), Decimal("0.001"))
    return OrderRequest(cid, SYMBOL, Side.BUY, Decimal(40000 + index), Decimal("0.001"))


async def ids_of(
    orders: grpc.aio.UnaryStreamCall[cpb.SubscribeOrdersRequest, cpb.OrderUpdate], until: str
) -> set[str]:
    """Client order ids a raw SubscribeOrders stream shows, up to and with `until`."""
    seen: set[str] = set()
    async with asyncio.timeout(15):
        async for update in orders:
            seen.add(update.order.client_order_id)
            if update.order.client_order_id == until:
                return seen
    raise AssertionError(f"the stream ended before {until}: {seen}")


async def test_each_filter_touches_and_shows_only_its_strategy(
    connector_process: ConnectorProcess,
) -> None:
    address = connector_process.start().address
    client = await ConnectorClient.connect(address)
    sim = SimulatorClient(connector_process.simulator_address)
    channel = grpc.aio.insecure_channel(address)
    stub = connector_pb2_grpc.ExchangeConnectorStub(channel)
    recorders: dict[str, Recorder[OrderChange]] = {}
    try:
        await sim.set_price(SYMBOL, "50000")
        # SubscribeOrderBatches through the client, for both strategies and an old client
        # that sends "btc-grid-"; plain SubscribeOrders on the raw stub.
        for prefix in ("btc-grid", "btc-grid-2", "btc-grid-"):
            recorders[prefix] = Recorder(client.subscribe_orders(SYMBOL, prefix))
            await recorders[prefix].wait_subscribed()
        raw = {
            prefix: stub.SubscribeOrders(
                cpb.SubscribeOrdersRequest(symbol=SYMBOL, client_order_id_prefix=prefix)
            )
            for prefix in ("btc-grid", "btc-grid-2")
        }
        for call in raw.values():
            await call.initial_metadata()

        for index, (ours, theirs) in enumerate(zip(OURS, THEIRS, strict=True)):
            await client.place_order(order(ours, index))
            await client.place_order(order(theirs, index))

        async def open_ids(prefix: str) -> set[str]:
            return {o.client_order_id for o in await client.get_open_orders(SYMBOL, prefix)}

        assert await open_ids("btc-grid") == set(OURS)
        assert await open_ids("btc-grid-") == set(OURS)
        assert await open_ids("btc-grid-2") == set(THEIRS)
        assert await open_ids("btc-grid-2-") == set(THEIRS)
        assert await open_ids("") == set(OURS) | set(THEIRS)

        await sim.fill_order(OURS[0])
        await sim.fill_order(THEIRS[2])
        fills = {p: await client.get_fills(SYMBOL, prefix=p) for p in ("btc-grid", "btc-grid-2")}
        assert [f.client_order_id for f in fills["btc-grid"]] == [OURS[0]]
        assert [f.client_order_id for f in fills["btc-grid-2"]] == [THEIRS[2]]

        # btc-grid-2 first: btc-grid's orders (btc-grid-2-B-1 among them) stay open.
        canceled = await client.cancel_all_orders(SYMBOL, "btc-grid-2")
        assert {o.client_order_id for o in canceled} == set(THEIRS) - {THEIRS[2]}
        assert all(o.status is OrderStatus.CANCELED for o in canceled)
        assert await open_ids("btc-grid") == set(OURS) - {OURS[0]}
        # Then btc-grid: only its own.
        canceled = await client.cancel_all_orders(SYMBOL, "btc-grid")
        assert {o.client_order_id for o in canceled} == set(OURS) - {OURS[0]}
        assert await open_ids("") == set()

        for index, marker in enumerate(MARKERS.values()):
            await client.place_order(order(marker, 50 + index))

        own = {"btc-grid": OURS, "btc-grid-": OURS, "btc-grid-2": THEIRS}
        for prefix, recorder in recorders.items():
            marker = MARKERS[prefix.rstrip("-")]

            async def shown(
                recorder: Recorder[OrderChange] = recorder, marker: str = marker
            ) -> bool:
                return any(c.order.client_order_id == marker for c in recorder.values)

            await eventually(shown, timeout=15, message=f"{prefix}: its marker on the stream")
            assert {c.order.client_order_id for c in recorder.values} == {*own[prefix], marker}
            # Every change of its own orders arrived: placed, then filled or cancelled.
            changes = [(c.order.client_order_id, c.order.status) for c in recorder.values]
            for cid in own[prefix]:
                statuses = [status for seen, status in changes if seen == cid]
                assert statuses[0] is OrderStatus.NEW, (cid, statuses)
                assert statuses[-1] in (OrderStatus.FILLED, OrderStatus.CANCELED), (cid, statuses)
        for prefix, call in raw.items():
            assert await ids_of(call, MARKERS[prefix]) == {*own[prefix], MARKERS[prefix]}
    finally:
        for recorder in recorders.values():
            await recorder.stop()
        await channel.close()
        await client.close()
        await sim.close()


async def test_a_stopped_strategy_cancelled_by_name_leaves_the_other_trading(
    tmp_path: Path, connector_process: ConnectorProcess
) -> None:
    """What deleting strategy btc-grid does (stop it, cancel its orders by prefix)."""
    address = connector_process.start().address
    client = await ConnectorClient.connect(address)
    sim = SimulatorClient(connector_process.simulator_address)
    engines: list[MarketMakerProcess] = []
    try:
        await sim.set_price(SYMBOL, "50010")
        for name in ("btc-grid", "btc-grid-2"):
            config = write_config(tmp_path / f"{name}.yaml", name=name)
            engines.append(MarketMakerProcess(config, address).start())
        grid, grid2 = engines
        before: dict[str, set[str]] = {}
        for engine in engines:
            # Acknowledged, not only sent: through a venue an order takes its round trip.
            status = engine.wait_status(
                lambda s: (
                    s["synced"]
                    and len(s["openOrders"]) == 5
                    and not any(o["pending"] for o in s["openOrders"])
                ),
                message="grid up",
            )
            before[status["name"]] = {o["clientOrderId"] for o in status["openOrders"]}
        assert all(cid.startswith("btc-grid-2-") for cid in before["btc-grid-2"])
        assert not any(cid.startswith("btc-grid-2-") for cid in before["btc-grid"])

        async def open_ids(prefix: str) -> set[str]:
            return {o.client_order_id for o in await client.get_open_orders(SYMBOL, prefix)}

        assert await open_ids("btc-grid") == before["btc-grid"]
        assert await open_ids("btc-grid-2") == before["btc-grid-2"]

        assert grid.terminate() == 0
        canceled = await client.cancel_all_orders(SYMBOL, "btc-grid")
        assert {o.client_order_id for o in canceled} == before["btc-grid"]
        assert await open_ids("btc-grid") == set()
        assert await open_ids("btc-grid-2") == before["btc-grid-2"]

        # btc-grid-2 saw nothing of it: the same five orders, no cancel, no re-placement.
        await sim.fill_order(sorted(before["btc-grid-2"])[0])
        status = grid2.wait_status(lambda s: s["position"] != "0", message="fill applied")
        assert {o["clientOrderId"] for o in status["openOrders"]} >= (
            before["btc-grid-2"] - {sorted(before["btc-grid-2"])[0]}
        )
        metrics = grid2.get("/metrics")[1]
        assert 'gridops_mm_orders_canceled_total{strategy="btc-grid-2"} 0.0' in metrics
        fills = {p: await client.get_fills(SYMBOL, prefix=p) for p in ("btc-grid", "btc-grid-2")}
        assert fills["btc-grid"] == []
        assert [f.client_order_id for f in fills["btc-grid-2"]] == [sorted(before["btc-grid-2"])[0]]
    finally:
        for engine in engines:
            engine.stop()
        await client.close()
        await sim.close()
