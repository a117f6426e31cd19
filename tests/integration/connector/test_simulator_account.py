"""The connector's in-process Simulator serves its own account: empty or its label.

In-process sim only (the ccxt back end has no Simulator of its own: the venue's is it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest

from gridops.client import SimulatorClient
from gridops.connector.server import ConnectorServer
from gridops.errors import InvalidArgument
from gridops.v1 import simulator_pb2 as spb
from gridops.v1 import simulator_pb2_grpc
from tests.support.connector import running_connector


@pytest.fixture
async def connector() -> AsyncIterator[ConnectorServer]:
    async with running_connector() as server:
        yield server


async def test_its_own_account_or_none(connector: ConnectorServer) -> None:
    for account in ("", "default"):
        async with SimulatorClient(connector.address, account=account) as sim:
            ticker, _ = await sim.set_price("BTC/USDT", "50100")
            assert str(ticker.price) == "50100"
            assert (await sim.get_stats()).session_id == connector.session_id


async def test_another_account_is_invalid(connector: ConnectorServer) -> None:
    async with SimulatorClient(connector.address, account="someone-else") as sim:
        with pytest.raises(InvalidArgument, match=r"account: .*'default', not 'someone-else'"):
            await sim.set_price("BTC/USDT", "50100")
        with pytest.raises(InvalidArgument, match="account"):
            await sim.set_balances({"USDT": "1"})
        with pytest.raises(InvalidArgument, match="account"):
            await sim.get_stats()


async def test_no_audit_log_in_process(connector: ConnectorServer) -> None:
    async with grpc.aio.insecure_channel(connector.address) as channel:
        stub = simulator_pb2_grpc.SimulatorStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await stub.GetAuditLog(spb.GetAuditLogRequest())
    assert raised.value.code() is grpc.StatusCode.UNIMPLEMENTED
