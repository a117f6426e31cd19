"""The Simulator service: drives the simulated exchange from tests and demos."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import grpc

from gridops.decimals import parse_decimal, require_decimal
from gridops.errors import InvalidArgument
from gridops.v1 import simulator_pb2 as spb
from gridops.v1 import types_pb2 as pb
from gridops.wire import account_to_pb, fill_to_pb, order_to_pb, ticker_to_pb

from . import validate
from .fanout import Hub
from .sim.adapter import SimAdapter

Context = grpc.aio.ServicerContext[Any, Any]

FAULTS = {
    spb.EXCHANGE_DOWN: "exchange_down",
    spb.RATE_LIMITED: "rate_limited",
    spb.STREAM_BROKEN: "stream_broken",
    spb.SLOW: "slow",
}


class SimulatorService:
    def __init__(self, adapter: SimAdapter, hub: Hub, session_id: str) -> None:
        self.adapter = adapter
        self.hub = hub
        self.session_id = session_id

    def _check_account(self, account: str) -> None:
        """This connector serves one account: `account` must be empty or its label."""
        if account and account != self.adapter.account:
            raise InvalidArgument(
                f"account: this connector's simulated exchange is account "
                f"{self.adapter.account!r}, not {account!r}"
            )

    async def SetPrice(
        self, request: spb.SetPriceRequest, context: Context
    ) -> spb.SetPriceResponse:
        self._check_account(request.account)
        symbol = validate.symbol(request.symbol, self.adapter.symbols())
        price = require_decimal(request.price, "price", positive=True)
        ticker, filled = await self.adapter.set_price(symbol, price)
        return spb.SetPriceResponse(
            ticker=ticker_to_pb(ticker), filled=[order_to_pb(o) for o in filled]
        )

    async def FillOrder(
        self, request: spb.FillOrderRequest, context: Context
    ) -> spb.FillOrderResponse:
        self._check_account(request.account)
        client_order_id = validate.client_order_id(request.client_order_id)
        quantity = parse_decimal(request.quantity, "quantity", positive=True, optional=True)
        order, fill = await self.adapter.fill_order(client_order_id, quantity)
        return spb.FillOrderResponse(order=order_to_pb(order), fill=fill_to_pb(fill))

    async def SetBalances(self, request: spb.SetBalancesRequest, context: Context) -> pb.Account:
        self._check_account(request.account)
        amounts: dict[str, Decimal] = {}
        for index, (asset, free) in enumerate(validate.balances(request.balances).items()):
            amounts[asset] = require_decimal(free, f"balances[{index}].free")
            if amounts[asset] < 0:
                raise InvalidArgument(f"balances[{index}].free: must not be negative, got {free}")
        return account_to_pb(await self.adapter.set_balances(amounts))

    async def GetStats(self, request: spb.GetStatsRequest, context: Context) -> spb.SimulatorStats:
        self._check_account(request.account)
        counters = await self.adapter.counters()
        open_orders = await self.adapter.get_open_orders(None, None)
        return spb.SimulatorStats(
            orders_accepted=counters.orders_accepted,
            orders_rejected=counters.orders_rejected,
            orders_filled=counters.orders_filled,
            orders_canceled=counters.orders_canceled,
            fills=counters.fills,
            upstream_connections=self.adapter.upstream_connections,
            upstream_connects_total=self.adapter.upstream_connects_total,
            subscribers=self.hub.count(),
            session_id=self.session_id,
            open_orders=len(open_orders),
        )

    async def InjectFault(
        self, request: spb.InjectFaultRequest, context: Context
    ) -> spb.InjectFaultResponse:
        self._check_account(request.account)
        kind = FAULTS.get(request.kind)
        if kind is None:
            raise InvalidArgument(
                "kind: must be EXCHANGE_DOWN, RATE_LIMITED, STREAM_BROKEN or SLOW"
            )
        if kind == "slow" and request.delay_ms == 0:
            raise InvalidArgument("delay_ms: SLOW needs a delay above 0")
        await self.adapter.inject_fault(
            kind, request.operation or None, request.count or 1, delay=request.delay_ms / 1000
        )
        return spb.InjectFaultResponse()

    async def GetAuditLog(
        self, request: spb.GetAuditLogRequest, context: Context
    ) -> spb.GetAuditLogResponse:
        await context.abort(
            grpc.StatusCode.UNIMPLEMENTED,
            "GetAuditLog: the audit log is gridops venue's; the in-process sim keeps none",
        )
        raise AssertionError("unreachable: abort raises")  # pragma: no cover
