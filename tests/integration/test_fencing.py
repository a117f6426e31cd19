"""Fencing over real gRPC: ClaimWriter, a stale or token-less writer refused with
FAILED_PRECONDITION "fenced: ...", overrides, release, expiry, and the metrics.

The rules themselves are unit-tested (tests/unit/connector/test_fencing.py); these check
that every mutating RPC consults them, with the strategy each call really belongs to,
and that the refusal reaches a client as the status and error the brief names.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections.abc import AsyncIterator
from decimal import Decimal

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gridops import errors
from gridops.client import ConnectorClient
from gridops.connector.server import ConnectorServer
from gridops.models import OrderRequest, Side
from gridops.v1 import connector_pb2 as cpb
from gridops.v1 import connector_pb2_grpc
from gridops.v1 import types_pb2 as pb

#: the strategy a market maker holds in these tests, and one nobody holds
HELD, FREE = "fa", "fb"


def order(client_order_id: str, price: str = "40000") -> OrderRequest:
    return OrderRequest(client_order_id, "BTC/USDT", Side.BUY, Decimal(price), Decimal("0.001"))


@pytest.fixture
async def writer(connector: ConnectorServer) -> AsyncIterator[ConnectorClient]:
    """A market maker's client: it claimed HELD with token 5 and sends it with every call."""
    client = await ConnectorClient.connect(connector.address, timeout=5)
    assert await client.claim_writer(HELD, 5, "mm-a", 30) == 5
    client.fencing_token = 5
    yield client
    await client.close()


async def open_ids(client: ConnectorClient) -> set[str]:
    return {o.client_order_id for o in await client.get_open_orders()}


@pytest.mark.sim_only
async def test_a_stale_token_gets_failed_precondition_and_a_higher_one_places(
    writer: ConnectorClient, client: ConnectorClient, connector: ConnectorServer
) -> None:
    stub = connector_pb2_grpc.ExchangeConnectorStub(client._channel)
    request = cpb.PlaceOrderRequest(
        client_order_id=f"{HELD}-0-B-1",
        symbol="BTC/USDT",
        side=pb.BUY,
        type=pb.LIMIT,
        price="40000",
        quantity="0.001",
        fencing_token=4,
    )
    with pytest.raises(grpc.aio.AioRpcError) as raw:
        await stub.PlaceOrder(request, timeout=5)
    assert raw.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    details = raw.value.details() or ""
    assert details.startswith("fenced:")
    assert f"'{HELD}'" in details
    assert "token 4" in details

    client.fencing_token = 4
    with pytest.raises(errors.Fenced, match=f"'{HELD}'"):
        await client.place_order(order(f"{HELD}-0-B-1"))
    assert await open_ids(client) == set()

    # A new writer with a higher token places, and the old one is fenced from then on.
    client.fencing_token = 6
    placed = await client.place_order(order(f"{HELD}-0-B-1"))
    assert placed.order.client_order_id == f"{HELD}-0-B-1"
    with pytest.raises(errors.Fenced, match="token 6"):
        await writer.place_order(order(f"{HELD}-1-B-1", "40001"))
    assert await open_ids(client) == {f"{HELD}-0-B-1"}


@pytest.mark.sim_only
async def test_a_claim_over_grpc_refuses_a_lower_token_and_checks_its_arguments(
    writer: ConnectorClient, client: ConnectorClient
) -> None:
    with pytest.raises(errors.Fenced, match=r"'fa'.*mm-a.*fencing token 5"):
        await client.claim_writer(HELD, 4, "mm-old", 30)
    with pytest.raises(errors.InvalidArgument, match="fencing_token"):
        await client.claim_writer(HELD, 0, "mm-b", 30)
    with pytest.raises(errors.InvalidArgument, match="client_order_id_prefix"):
        await client.claim_writer("", 7, "mm-b", 30)
    assert await client.claim_writer(HELD, 5, "mm-a", 30) == 5  # a renewal


@pytest.mark.sim_only
async def test_token_less_cancel_all_needs_an_override_or_a_released_claim(
    writer: ConnectorClient, client: ConnectorClient
) -> None:
    await writer.place_order(order(f"{HELD}-0-B-1"))
    with pytest.raises(errors.Fenced, match=f"'{HELD}'.*mm-a"):
        await client.cancel_all_orders(prefix=HELD)
    # Every strategy at once would include the held one.
    with pytest.raises(errors.Fenced, match=f"'{HELD}'"):
        await client.cancel_all_orders()
    assert await open_ids(client) == {f"{HELD}-0-B-1"}

    cancelled = await client.cancel_all_orders(prefix=HELD, override="test: by hand")
    assert [o.client_order_id for o in cancelled] == [f"{HELD}-0-B-1"]

    await writer.place_order(order(f"{HELD}-0-B-2"))
    assert await writer.claim_writer(HELD, 5, "mm-a", 0) == 5  # the writer stops cleanly
    cancelled = await client.cancel_all_orders(prefix=HELD)
    assert [o.client_order_id for o in cancelled] == [f"{HELD}-0-B-2"]
    assert await open_ids(client) == set()


async def test_cancel_by_exchange_id_is_fenced_as_the_orders_strategy(
    writer: ConnectorClient, client: ConnectorClient
) -> None:
    held = (await writer.place_order(order(f"{HELD}-0-B-1"))).order
    assert held.order_id

    with pytest.raises(errors.Fenced, match=f"'{HELD}'.*CancelOrder"):
        await client.cancel_order(order_id=held.order_id)
    stale = await ConnectorClient.connect(client.address, timeout=5)
    stale.fencing_token = 4
    try:
        with pytest.raises(errors.Fenced, match=f"'{HELD}'.*older token 4"):
            await stale.cancel_order(order_id=held.order_id)
    finally:
        await stale.close()
    assert await open_ids(client) == {f"{HELD}-0-B-1"}

    cancelled = await writer.cancel_order(order_id=held.order_id)
    assert cancelled.client_order_id == f"{HELD}-0-B-1"
    assert await open_ids(client) == set()


@pytest.mark.sim_only
async def test_an_id_of_no_strategy_is_not_fenced(
    writer: ConnectorClient, client: ConnectorClient
) -> None:
    placed = (await client.place_order(order("by-hand-1"))).order
    cancelled = await client.cancel_order(order_id=placed.order_id)
    assert cancelled.client_order_id == "by-hand-1"


@pytest.mark.sim_only
async def test_another_strategys_token_less_calls_are_unaffected(
    writer: ConnectorClient, client: ConnectorClient
) -> None:
    await client.place_order(order(f"{FREE}-0-B-1"))
    await client.place_order(order(f"{FREE}-1-B-1", "40001"))
    await client.cancel_order(client_order_id=f"{FREE}-0-B-1")
    cancelled = await client.cancel_all_orders(prefix=FREE)
    assert [o.client_order_id for o in cancelled] == [f"{FREE}-1-B-1"]


@pytest.mark.sim_only
async def test_token_less_calls_pass_once_the_claim_expires(
    connector: ConnectorServer, client: ConnectorClient
) -> None:
    assert await client.claim_writer(HELD, 3, "mm-short", 1) == 3
    with pytest.raises(errors.Fenced):
        await client.cancel_all_orders(prefix=HELD)
    deadline = time.monotonic() + 5
    while True:
        try:
            await client.cancel_all_orders(prefix=HELD)
            break
        except errors.Fenced:
            assert time.monotonic() < deadline, "the 1-s claim was still live after 5 s"
            await asyncio.sleep(0.05)
    # Expired, not forgotten: the stale token stays fenced.
    client.fencing_token = 2
    with pytest.raises(errors.Fenced, match="token 3"):
        await client.place_order(order(f"{HELD}-0-B-1"))


def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.mark.sim_only
async def test_metrics_show_tokens_live_claims_and_refusals(
    connector: ConnectorServer, writer: ConnectorClient, client: ConnectorClient
) -> None:
    assert await client.claim_writer(FREE, 2, "mm-b", 0) == 2  # claimed and released
    with pytest.raises(errors.Fenced):
        await client.place_order(order(f"{HELD}-0-B-1"))
    for _ in range(2):
        with pytest.raises(errors.Fenced):
            await client.cancel_all_orders(prefix=HELD)

    assert connector.metrics_port
    samples = await asyncio.to_thread(_scrape, connector.metrics_port)
    held, free = (("strategy", HELD),), (("strategy", FREE),)
    assert samples[("gridops_connector_writer_token", held)] == 5
    assert samples[("gridops_connector_writer_token", free)] == 2
    assert samples[("gridops_connector_writer_live", held)] == 1
    assert samples[("gridops_connector_writer_live", free)] == 0
    refused = "gridops_connector_fenced_calls_total"
    assert samples[(refused, (("method", "PlaceOrder"), *held))] == 1
    assert samples[(refused, (("method", "CancelAllOrders"), *held))] == 2
    assert not any(name == refused and labels[1:] == free for name, labels in samples)
