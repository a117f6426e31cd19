"""`--sim-state`: a connector SIGKILLed in the middle of trading loses nothing it
acknowledged (an order whose PlaceOrder returned, a cancel that returned, a fill that
FillOrder returned or that was streamed) and, restarted on the same file, duplicates
nothing."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from pathlib import Path

from gridops.client import ConnectorClient, SimulatorClient
from gridops.client.streams import Update
from gridops.errors import GridopsError
from gridops.models import Fill, OrderRequest, OrderStatus, OrderType, Side
from tests.support.connector import ConnectorProcess

SYMBOL = "BTC/USDT"
WORKERS = 8
#: acknowledged fills before the kill: enough that the kill lands among writes in flight
FILLS_BEFORE_KILL = 150


class Acknowledged:
    """What the connector told its clients, before it was killed."""

    def __init__(self) -> None:
        self.orders: dict[str, str] = {}  # client order id -> order id
        self.canceled: set[str] = set()
        self.filled: set[str] = set()
        self.fills: dict[str, Fill] = {}  # trade id -> fill, as FillOrder returned it
        self.streamed: dict[str, Fill] = {}  # trade id -> fill, as the stream sent it


async def _trade(worker: int, client: ConnectorClient, sim: SimulatorClient, price: Decimal,
                 acked: Acknowledged) -> None:  # fmt: skip
    """Place, then fill (or every third time cancel), until the connector is gone."""
    n = 0
    try:
        while True:
            n += 1
            cid = f"crash{worker}-{n}-B-1"
            request = OrderRequest(cid, SYMBOL, Side.BUY, price, Decimal("0.001"),
                                   OrderType.LIMIT_MAKER)  # fmt: skip
            placed = await client.place_order(request, timeout=5)
            acked.orders[cid] = placed.order.order_id
            if n % 3 == 0:
                await client.cancel_order(client_order_id=cid, timeout=5)
                acked.canceled.add(cid)
            else:
                _, fill = await sim.fill_order(cid)
                acked.fills[fill.trade_id] = fill
                acked.filled.add(cid)
    except GridopsError:
        return  # killed: this call's answer never came


async def _watch(client: ConnectorClient, acked: Acknowledged, ready: asyncio.Event) -> None:
    async for item in client.subscribe_orders(SYMBOL):
        ready.set()
        if isinstance(item, Update) and item.value.fill is not None:
            fill = item.value.fill
            acked.streamed[fill.trade_id] = fill


async def test_a_sigkilled_connector_keeps_every_acknowledged_order_and_fill(
    tmp_path: Path,
) -> None:
    process = ConnectorProcess(extra=["--sim-state", str(tmp_path / "exchange.db")])
    acked = Acknowledged()
    try:
        process.start()
        client = await ConnectorClient.connect(process.address)
        watcher = await ConnectorClient.connect(process.address)
        sim = SimulatorClient(process.address)
        price = (await client.get_ticker(SYMBOL)).price - 100
        await sim.set_balances({"USDT": Decimal("10000000")})
        ready = asyncio.Event()
        watching = asyncio.create_task(_watch(watcher, acked, ready))
        await asyncio.wait_for(ready.wait(), 10)
        workers = [
            asyncio.create_task(_trade(w, client, sim, price, acked)) for w in range(WORKERS)
        ]
        deadline = time.monotonic() + 60
        while len(acked.fills) < FILLS_BEFORE_KILL:
            assert time.monotonic() < deadline, f"only {len(acked.fills)} fills in 60 s"
            assert not any(w.done() for w in workers), process.output
            await asyncio.sleep(0.01)
        process.kill()  # SIGKILL, with calls and writes in flight
        await asyncio.wait_for(asyncio.gather(*workers), 15)
        watching.cancel()
        await asyncio.gather(watching, return_exceptions=True)
        for c in (client, watcher, sim):
            await c.close()
        assert len(acked.streamed) >= FILLS_BEFORE_KILL // 2, "the stream saw too little"

        process.start()
        assert "restored from" in process.output
        async with await ConnectorClient.connect(process.address) as client:
            await _check(client, acked, process.address)
    finally:
        process.stop()


async def _check(client: ConnectorClient, acked: Acknowledged, address: str) -> None:
    # Every acknowledged order is there, under its order id, in the state it was left in.
    for cid, order_id in acked.orders.items():
        order = await client.get_order(client_order_id=cid)
        assert order.order_id == order_id, cid
        if cid in acked.canceled:
            assert order.status is OrderStatus.CANCELED, cid
        if cid in acked.filled:
            assert order.status is OrderStatus.FILLED, cid
    # Every fill FillOrder returned or the stream sent is there, as it was told.
    durable = {f.trade_id: f for f in await client.get_fills(SYMBOL)}
    told = acked.fills | acked.streamed
    missing = sorted(set(told) - set(durable))
    assert not missing, f"acknowledged fills lost: {missing[:10]}"
    for trade_id, fill in told.items():
        assert durable[trade_id] == fill
    # Nothing twice: order ids are dense (sim-1 .. sim-N), one client id each.
    async with SimulatorClient(address) as sim:
        accepted = (await sim.get_stats()).orders_accepted
    assert accepted >= len(acked.orders)
    owners = [
        (await client.get_order(order_id=f"sim-{n}")).client_order_id
        for n in range(1, accepted + 1)
    ]
    assert len(set(owners)) == accepted
    assert len(durable) == len({(f.order_id, f.trade_id) for f in durable.values()})
    # A retried PlaceOrder of an acknowledged id gets the first order back, and new
    # orders get new ids.
    for cid, order_id in list(acked.orders.items())[:20]:
        again = await client.place_order(
            OrderRequest(cid, SYMBOL, Side.BUY, Decimal("1000"), Decimal("0.01"))
        )
        assert again.duplicate
        assert again.order.order_id == order_id
    fresh = await client.place_order(
        OrderRequest("after-1-B-1", SYMBOL, Side.BUY, Decimal("1000"), Decimal("0.01"))
    )
    assert fresh.order.order_id == f"sim-{accepted + 1}"
