"""Unary calls against a real connector on localhost (the seed's GetAccount cases and more)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import grpc
import pytest

from gridops import errors
from gridops.client import ConnectorClient, SimulatorClient
from gridops.connector.server import ConnectorServer
from gridops.models import OrderRequest, OrderStatus, OrderType, Side


async def test_get_info_names_the_session(
    client: ConnectorClient, connector: ConnectorServer
) -> None:
    info = await client.get_info()
    assert info.session_id == connector.session_id == client.session_id
    assert info.exchange == connector.adapter.name
    assert "BTC/USDT" in info.symbols


async def test_get_account_returns_the_sim_balances(client: ConnectorClient) -> None:
    account = await client.get_account()
    assert account.balance("USDT").free == Decimal("100000")
    assert account.balance("BTC").free == Decimal("1")
    assert account.quote_asset == "USDT"
    assert account.equity > Decimal("100000")


@pytest.mark.sim_only
async def test_get_account_server_error_reaches_the_client(
    client: ConnectorClient, sim: SimulatorClient
) -> None:
    await sim.inject_fault("exchange_down", "get_account")
    with pytest.raises(errors.Unavailable, match=r"down|unavailable"):
        await client.get_account()
    # One failure only: the next call succeeds.
    assert (await client.get_account()).quote_asset == "USDT"


@pytest.mark.sim_only
async def test_rate_limit_maps_to_resource_exhausted(
    client: ConnectorClient, sim: SimulatorClient
) -> None:
    await sim.inject_fault("rate_limited", "place_order")
    request = OrderRequest("t-rl-1", "BTC/USDT", Side.BUY, Decimal("40000"), Decimal("0.001"))
    with pytest.raises(errors.ResourceExhausted):
        await client.place_order(request)


@pytest.mark.sim_only
async def test_cancelled_call_raises_cancelled_error(
    client: ConnectorClient, sim: SimulatorClient
) -> None:
    await sim.inject_fault("slow", "get_account", delay_ms=2_000)
    task = asyncio.create_task(client.get_account())
    await asyncio.sleep(0.05)  # let the call reach the server; the server holds it 2 s
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.sim_only
async def test_deadline_exceeded(client: ConnectorClient, sim: SimulatorClient) -> None:
    await sim.inject_fault("slow", "get_account", delay_ms=2_000)
    with pytest.raises(errors.DeadlineExceeded):
        await client.get_account(timeout=0.2)


async def test_unknown_order_is_not_found(client: ConnectorClient) -> None:
    with pytest.raises(errors.NotFound):
        await client.get_order(client_order_id="nope-1")
    with pytest.raises(errors.NotFound):
        await client.cancel_order(order_id="sim-999999")


async def test_insufficient_balance_is_failed_precondition(client: ConnectorClient) -> None:
    request = OrderRequest("t-big-1", "BTC/USDT", Side.BUY, Decimal("40000"), Decimal("1000"))
    with pytest.raises(errors.FailedPrecondition, match="USDT"):
        await client.place_order(request)


async def test_order_lifecycle_and_fills_since(
    client: ConnectorClient, sim: SimulatorClient
) -> None:
    placed = await client.place_order(
        OrderRequest("t-life-1-B-1", "BTC/USDT", Side.BUY, Decimal("49000"), Decimal("0.002"))
    )
    assert placed.order.status is OrderStatus.NEW
    assert not placed.duplicate
    assert [o.client_order_id for o in await client.get_open_orders("BTC/USDT", "t-life")] == [
        "t-life-1-B-1"
    ]
    order, fill = await sim.fill_order("t-life-1-B-1", Decimal("0.001"))
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert fill.quantity == Decimal("0.001")
    fills = await client.get_fills("BTC/USDT", since=fill.time, prefix="t-life")
    # By what the fill is, not by id: a venue numbers its trades its own way.
    assert [(f.client_order_id, f.quantity, f.price) for f in fills] == [
        ("t-life-1-B-1", Decimal("0.001"), Decimal("49000"))
    ]
    canceled = await client.cancel_order(client_order_id="t-life-1-B-1")
    assert canceled.status is OrderStatus.CANCELED
    assert canceled.filled_quantity == Decimal("0.001")
    assert await client.get_open_orders("BTC/USDT") == []


async def test_symbol_info_and_ticker(client: ConnectorClient, sim: SimulatorClient) -> None:
    info = await client.get_symbol_info("BTC/USDT")
    assert (info.tick_size, info.step_size) == (Decimal("0.01"), Decimal("0.00001"))
    assert info.min_notional == Decimal("5")
    await sim.set_price("BTC/USDT", "51234.5")
    assert (await client.get_ticker("BTC/USDT")).price == Decimal("51234.5")


async def test_exchange_refusing_the_stream_reaches_subscribers_as_unavailable() -> None:
    from gridops.v1 import connector_pb2 as cpb
    from gridops.v1 import connector_pb2_grpc
    from tests.support.connector import running_connector

    async with running_connector(upstream_wait_seconds=0.5) as server:
        async with SimulatorClient(server.address) as sim:
            # The stream breaks and the exchange refuses to open a new one, many times.
            await sim.inject_fault("exchange_down", "events", count=1000)
            await sim.inject_fault("stream_broken")
        async with grpc.aio.insecure_channel(server.address) as channel:
            stub = connector_pb2_grpc.ExchangeConnectorStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as info:
                async for _ in stub.SubscribeAccount(cpb.SubscribeAccountRequest()):
                    pass
            assert info.value.code() == grpc.StatusCode.UNAVAILABLE
            assert "upstream" in (info.value.details() or "")
            # Unary calls do not need the event stream and still work.
            account = await stub.GetAccount(cpb.GetAccountRequest())
            assert account.quote_asset == "USDT"


async def test_post_only_rests_or_is_refused_when_it_would_take(client: ConnectorClient) -> None:
    maker = OrderRequest("t-po-1-B-1", "BTC/USDT", Side.BUY, Decimal("49000"),
                         Decimal("0.001"), OrderType.LIMIT_MAKER)  # fmt: skip
    resting = await client.place_order(maker)
    assert resting.order.type is OrderType.LIMIT_MAKER
    assert resting.order.status is OrderStatus.NEW
    # Above the last price (50000): it would take, so it is refused, not filled.
    crossing = OrderRequest("t-po-1-B-2", "BTC/USDT", Side.BUY, Decimal("50100"),
                            Decimal("0.001"), OrderType.LIMIT_MAKER)  # fmt: skip
    with pytest.raises(errors.FailedPrecondition):
        await client.place_order(crossing)
    assert [o.client_order_id for o in await client.get_open_orders("BTC/USDT", "t-po")] == [
        "t-po-1-B-1"
    ]
