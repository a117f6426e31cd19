"""Server streams through the real client (seed spec §4.1, §4.2)."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest

from gridops.client import (
    ConnectorClient,
    Disconnected,
    OrderChange,
    Resync,
    ResyncReason,
    SimulatorClient,
    Subscribed,
    Update,
)
from gridops.connector.server import ConnectorServer
from gridops.models import Account, OrderRequest, Position, Side, Ticker
from tests.support.poll import eventually
from tests.support.streams import Recorder


async def test_account_stream_delivers_five_updates_in_order(
    client: ConnectorClient, sim: SimulatorClient
) -> None:
    rec: Recorder[Account] = Recorder(client.subscribe_account())
    await rec.wait_updates(1)  # the snapshot comes first
    for i in range(1, 6):
        await sim.set_balances({"USDT": Decimal(1000 + i)})
        await rec.wait_updates(1 + i)
    await rec.stop()
    assert isinstance(rec.items[0], Subscribed)
    frees = [a.balance("USDT").free for a in rec.values]
    assert frees == [Decimal(100000), *(Decimal(1000 + i) for i in range(1, 6))]
    assert [u.sequence for u in rec.updates] == [1, 2, 3, 4, 5, 6]
    assert {u.session_id for u in rec.updates} == {client.session_id}


@pytest.mark.sim_only  # the ccxt back end: test_venue_faults kills the venue instead
async def test_error_mid_stream_resubscribes_and_asks_for_resync(
    client: ConnectorClient, sim: SimulatorClient
) -> None:
    rec: Recorder[OrderChange] = Recorder(client.subscribe_orders("BTC/USDT"))
    await rec.wait_subscribed()
    await client.place_order(
        OrderRequest("mid-1", "BTC/USDT", Side.BUY, Decimal("40000"), Decimal("0.001"))
    )
    await rec.wait_updates(1)
    await sim.inject_fault("stream_broken")
    await rec.wait_for(Resync)
    await client.place_order(
        OrderRequest("mid-2", "BTC/USDT", Side.BUY, Decimal("40001"), Decimal("0.001"))
    )
    await rec.wait_updates(2)
    await rec.stop()

    kinds = [type(i).__name__ for i in rec.items]
    assert kinds == ["Subscribed", "Update", "Disconnected", "Resync", "Update"], kinds
    disconnected = rec.of(Disconnected)[0]
    assert isinstance(disconnected, Disconnected)
    assert "upstream" in str(disconnected.error)
    resync = rec.of(Resync)[0]
    assert isinstance(resync, Resync)
    assert resync.reason is ResyncReason.RECONNECTED
    # Only real orders ever reached the caller: nothing half-decoded from the failure.
    assert [c.order.client_order_id for c in rec.values] == ["mid-1", "mid-2"]


async def test_cancelling_the_consumer_ends_it_within_a_second(
    client: ConnectorClient, sim: SimulatorClient, connector: ConnectorServer
) -> None:
    seen: list[Account] = []

    async def consume() -> None:
        async for item in client.subscribe_account():
            if isinstance(item, Update):
                seen.append(item.value)

    task = asyncio.create_task(consume())
    await eventually(lambda: _true(len(seen) >= 1), message="snapshot")
    started = time.monotonic()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=1.0)
    assert task in done, "the consumer task did not end within 1 s of cancel"
    assert time.monotonic() - started < 1.0
    assert task.cancelled()
    count = len(seen)
    # The server notices the stream is gone ...
    await eventually(lambda: _true(connector.hub.count() == 0), message="subscriber gone")
    # ... and events after the cancel never reach the callback.
    await sim.set_balances({"USDT": Decimal("123")})
    await client.get_account()
    assert len(seen) == count


async def test_position_stream_filters_on_the_server(
    client: ConnectorClient, sim: SimulatorClient, connector: ConnectorServer
) -> None:
    # A spot venue's position is the base asset held, the sim's the sum of its fills.
    before = {p.symbol: p.quantity for p in await client.get_positions()}
    btc_only: Recorder[Position] = Recorder(client.subscribe_positions("BTC/USDT"))
    every: Recorder[Position] = Recorder(client.subscribe_positions())
    await btc_only.wait_subscribed()
    await every.wait_subscribed()
    for cid, symbol, price in (("p-eth", "ETH/USDT", "2900"), ("p-btc", "BTC/USDT", "49000")):
        await client.place_order(
            OrderRequest(cid, symbol, Side.BUY, Decimal(price), Decimal("0.01"))
        )
        await sim.fill_order(cid)

    def holding(rec: Recorder[Position], symbol: str) -> bool:
        grown = before[symbol] + Decimal("0.01")
        return any(p.symbol == symbol and p.quantity == grown for p in rec.values)

    # The ETH fill happened first: once BTC's shows on a stream, ETH's would have too.
    await eventually(lambda: _true(holding(every, "ETH/USDT") and holding(every, "BTC/USDT")))
    await eventually(lambda: _true(holding(btc_only, "BTC/USDT")))
    await btc_only.stop()
    await every.stop()
    assert {p.symbol for p in btc_only.values} == {"BTC/USDT"}
    await eventually(lambda: _true(connector.hub.count() == 0), message="streams released")


async def test_price_stream_snapshot_then_moves(
    client: ConnectorClient, sim: SimulatorClient
) -> None:
    rec: Recorder[Ticker] = Recorder(client.subscribe_prices(["ETH/USDT"]))
    await rec.wait_updates(1)
    await sim.set_price("ETH/USDT", "3100")
    await sim.set_price("BTC/USDT", "51000")  # filtered out
    await sim.set_price("ETH/USDT", "3200")
    await eventually(lambda: _true(rec.values and rec.values[-1].price == Decimal("3200")))
    await rec.stop()
    assert rec.values[0].price == Decimal("3000")
    assert {t.symbol for t in rec.values} == {"ETH/USDT"}


async def _true(value: object) -> bool:
    return bool(value)
