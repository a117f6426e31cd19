"""Idempotent orders and malformed requests: INVALID_ARGUMENT, and the server keeps serving."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import grpc
import pytest

from gridops.client import ConnectorClient, SimulatorClient
from gridops.connector.server import ConnectorServer
from gridops.models import OrderRequest, Side
from gridops.v1 import connector_pb2 as cpb
from gridops.v1 import connector_pb2_grpc
from gridops.v1 import types_pb2 as pb


async def test_same_client_order_id_twice_makes_one_order(
    client: ConnectorClient, sim: SimulatorClient
) -> None:
    request = OrderRequest("idem-1", "BTC/USDT", Side.BUY, Decimal("45000"), Decimal("0.001"))
    first = await client.place_order(request)
    second = await client.place_order(request)
    assert not first.duplicate
    assert second.duplicate
    assert second.order.order_id == first.order.order_id
    # Concurrent retries of one id, as a client retrying on a timeout would send them.
    racing = OrderRequest("idem-2", "BTC/USDT", Side.BUY, Decimal("45001"), Decimal("0.001"))
    results = await asyncio.gather(*(client.place_order(racing) for _ in range(10)))
    assert len({r.order.order_id for r in results}) == 1
    assert sum(not r.duplicate for r in results) == 1
    stats = await sim.get_stats()
    assert stats.orders_accepted == 2
    assert stats.open_orders == 2


GOOD = {
    "client_order_id": "ok-1",
    "symbol": "BTC/USDT",
    "side": pb.BUY,
    "price": "40000",
    "quantity": "0.001",
}

BAD = [
    ({"price": "abc"}, "price"),
    ({"price": "1e"}, "price"),
    ({"price": "NaN"}, "price"),
    ({"price": ""}, "price"),
    ({"price": "-1"}, "price"),
    ({"quantity": "-0.5"}, "quantity"),
    ({"quantity": "0"}, "quantity"),
    ({"symbol": "DOGE/USDT"}, "symbol"),
    ({"symbol": ""}, "symbol"),
    ({"client_order_id": ""}, "client_order_id"),
    ({"client_order_id": "x" * 65}, "client_order_id"),
    ({"client_order_id": "has space"}, "client_order_id"),
    ({"side": pb.SIDE_UNSPECIFIED}, "side"),
    ({"price": "40000.001"}, "tick"),
    ({"quantity": "0.000001"}, "quantity"),
]


@pytest.mark.parametrize(("change", "field"), BAD)
async def test_malformed_place_order_is_invalid_argument(
    connector: ConnectorServer, change: dict[str, object], field: str
) -> None:
    async with grpc.aio.insecure_channel(connector.address) as channel:
        stub = connector_pb2_grpc.ExchangeConnectorStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.PlaceOrder(cpb.PlaceOrderRequest(**{**GOOD, **change}))  # type: ignore[arg-type]
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field in (info.value.details() or "")
        # The server is still there and still right.
        reply = await stub.PlaceOrder(cpb.PlaceOrderRequest(**GOOD))  # type: ignore[arg-type]
        assert reply.order.client_order_id == "ok-1"


async def test_other_malformed_requests(connector: ConnectorServer) -> None:
    async with grpc.aio.insecure_channel(connector.address) as channel:
        stub = connector_pb2_grpc.ExchangeConnectorStub(channel)
        cases: list[tuple[Any, Any]] = [
            (stub.GetOrder, cpb.GetOrderRequest()),
            (stub.GetOrder, cpb.GetOrderRequest(client_order_id="")),
            (stub.CancelOrder, cpb.CancelOrderRequest()),
            (stub.GetTicker, cpb.GetTickerRequest(symbol="NOPE/USDT")),
            (stub.GetSymbolInfo, cpb.GetSymbolInfoRequest(symbol="")),
            (stub.GetPositions, cpb.GetPositionsRequest(symbol="BTCUSDT")),
            (stub.GetOpenOrders, cpb.GetOpenOrdersRequest(client_order_id_prefix="bad prefix")),
            (stub.CancelAllOrders, cpb.CancelAllOrdersRequest(symbol="X/Y")),
        ]
        for method, request in cases:
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await method(request)
            assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, (request, info.value)
        with pytest.raises(grpc.aio.AioRpcError) as stream_info:
            async for _ in stub.SubscribePrices(cpb.SubscribePricesRequest(symbols=["NOPE"])):
                pass
        assert stream_info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "symbols[0]" in (stream_info.value.details() or "")
        account = await stub.GetAccount(cpb.GetAccountRequest())
        assert account.quote_asset == "USDT"
