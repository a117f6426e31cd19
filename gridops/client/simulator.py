"""SimulatorClient: drives the simulated exchange (tests, demos, benchmarks)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import grpc

from gridops.decimals import fmt
from gridops.grpc_status import error_for
from gridops.models import Account, Fill, Order, Ticker
from gridops.v1 import simulator_pb2 as spb
from gridops.v1 import simulator_pb2_grpc
from gridops.v1 import types_pb2 as pb
from gridops.wire import account_from_pb, fill_from_pb, order_from_pb, ticker_from_pb

from .channel import TLSConfig, check_address, open_channel

FAULT_KINDS = {
    "exchange_down": spb.EXCHANGE_DOWN,
    "rate_limited": spb.RATE_LIMITED,
    "stream_broken": spb.STREAM_BROKEN,
    "slow": spb.SLOW,
}


class SimulatorClient:
    """`account`: the account every call acts on (gridops venue: an API key; the
    connector: its account label); empty: the server's default account."""

    def __init__(
        self,
        address: str,
        *,
        tls: TLSConfig | None = None,
        token: str | None = None,
        account: str = "",
    ) -> None:
        self.account = account
        self._channel = open_channel(check_address(address), tls)
        self._stub = simulator_pb2_grpc.SimulatorStub(self._channel)
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> SimulatorClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _call(self, method: Any, request: Any) -> Any:
        try:
            return await method(request, timeout=10, metadata=self._metadata)
        except grpc.aio.AioRpcError as error:
            raise error_for(error.code(), error.details() or "") from None

    async def set_price(self, symbol: str, price: Decimal | str) -> tuple[Ticker, list[Order]]:
        request = spb.SetPriceRequest(symbol=symbol, price=_text(price), account=self.account)
        response = await self._call(self._stub.SetPrice, request)
        return ticker_from_pb(response.ticker), [order_from_pb(o) for o in response.filled]

    async def fill_order(
        self, client_order_id: str, quantity: Decimal | str | None = None
    ) -> tuple[Order, Fill]:
        request = spb.FillOrderRequest(
            client_order_id=client_order_id,
            quantity="" if quantity is None else _text(quantity),
            account=self.account,
        )
        response = await self._call(self._stub.FillOrder, request)
        return order_from_pb(response.order), fill_from_pb(response.fill)

    async def set_balances(self, balances: dict[str, Decimal | str]) -> Account:
        request = spb.SetBalancesRequest(
            balances=[pb.Balance(asset=a, free=_text(v)) for a, v in balances.items()],
            account=self.account,
        )
        return account_from_pb(await self._call(self._stub.SetBalances, request))

    async def get_stats(self) -> spb.SimulatorStats:
        stats: spb.SimulatorStats = await self._call(
            self._stub.GetStats, spb.GetStatsRequest(account=self.account)
        )
        return stats

    async def inject_fault(
        self, kind: str, operation: str = "", count: int = 1, *, delay_ms: int = 0
    ) -> None:
        request = spb.InjectFaultRequest(
            kind=FAULT_KINDS[kind],
            operation=operation,
            count=count,
            delay_ms=delay_ms,
            account=self.account,
        )
        await self._call(self._stub.InjectFault, request)

    async def get_audit_log(
        self, after: int = 0, limit: int = 0, *, every_account: bool = False
    ) -> list[spb.AuditEntry]:
        """gridops venue's audit log after sequence `after`: this client's account, or
        every account's."""
        request = spb.GetAuditLogRequest(
            account="" if every_account else self.account, after=after, limit=limit
        )
        response: spb.GetAuditLogResponse = await self._call(self._stub.GetAuditLog, request)
        return list(response.entries)


def _text(value: Decimal | str) -> str:
    return fmt(value) if isinstance(value, Decimal) else value
