"""The venue's Simulator gRPC service: thin handlers over Venue, one error mapping."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import grpc

from gridops.decimals import fmt, parse_decimal, require_decimal
from gridops.errors import GridopsError, InvalidArgument
from gridops.grpc_status import code_for
from gridops.v1 import simulator_pb2 as spb
from gridops.v1 import simulator_pb2_grpc
from gridops.v1 import types_pb2 as pb
from gridops.wire import (
    SIDE_TO_PB,
    TYPE_TO_PB,
    account_to_pb,
    fill_to_pb,
    order_to_pb,
    ticker_to_pb,
    ts,
)

from .audit import AuditEntry
from .errors import BinanceError
from .persist import Persister
from .venue import Venue
from .weights import OrderCounter, WeightLimiter

log = logging.getLogger(__name__)

Context = grpc.aio.ServicerContext[Any, Any]
R = TypeVar("R")
Method = Callable[[Any, Any, Context], Awaitable[R]]

KINDS = {"order": spb.AUDIT_ORDER, "cancel": spb.AUDIT_CANCEL, "fill": spb.AUDIT_FILL}


def _mapped(method: Method[R]) -> Method[R]:
    """gridops errors become their status code (gridops.grpc_status), others INTERNAL."""

    @functools.wraps(method)
    async def handle(self: Any, request: Any, context: Context) -> R:
        try:
            return await method(self, request, context)
        except GridopsError as error:
            await context.abort(code_for(error), str(error))
        except BinanceError as error:  # the state store failed: nothing is durable now
            await context.abort(grpc.StatusCode.UNAVAILABLE, error.msg)
        except ValueError as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        raise AssertionError("unreachable: abort raises")  # pragma: no cover

    return handle


def audit_to_pb(entry: AuditEntry) -> spb.AuditEntry:
    return spb.AuditEntry(
        sequence=entry.sequence,
        account=entry.account,
        kind=KINDS[entry.kind],
        time=ts(entry.time),
        symbol=entry.symbol,
        order_id=entry.order_id,
        client_order_id=entry.client_order_id,
        side=SIDE_TO_PB[entry.side],
        type=TYPE_TO_PB[entry.type],
        price=fmt(entry.price),
        quantity=fmt(entry.quantity),
        trade_id=entry.trade_id,
        fee=fmt(entry.fee) if entry.trade_id else "",
        fee_asset=entry.fee_asset,
        maker=entry.maker,
    )


class VenueSimulator(simulator_pb2_grpc.SimulatorServicer):
    def __init__(
        self,
        venue: Venue,
        persister: Persister,
        limiter: WeightLimiter,
        orders: OrderCounter,
        session_id: str,
    ) -> None:
        self.venue = venue
        self.persister = persister
        self.limiter = limiter
        self.orders = orders
        self.session_id = session_id
        #: WebSocket connections and user-data subscriptions (set by the server)
        self.subscribers: Callable[[], int] = lambda: 0

    @_mapped
    async def SetPrice(self, request: spb.SetPriceRequest, context: Context) -> Any:
        if not request.symbol:
            raise InvalidArgument("symbol: required")
        price = require_decimal(request.price, "price", positive=True)
        ticker, filled = self.venue.set_price(request.symbol, price, request.account)
        await self.persister.flush()
        return spb.SetPriceResponse(
            ticker=ticker_to_pb(ticker), filled=[order_to_pb(o) for o in filled]
        )

    @_mapped
    async def FillOrder(self, request: spb.FillOrderRequest, context: Context) -> Any:
        if not request.client_order_id:
            raise InvalidArgument("client_order_id: required")
        quantity = parse_decimal(request.quantity, "quantity", positive=True, optional=True)
        order, fill = self.venue.fill_order(request.account, request.client_order_id, quantity)
        await self.persister.flush()
        return spb.FillOrderResponse(order=order_to_pb(order), fill=fill_to_pb(fill))

    @_mapped
    async def SetBalances(self, request: spb.SetBalancesRequest, context: Context) -> Any:
        amounts: dict[str, Decimal] = {}
        for index, item in enumerate(request.balances):
            if not item.asset:
                raise InvalidArgument(f"balances[{index}].asset: required")
            if item.asset in amounts:
                raise InvalidArgument(f"balances[{index}].asset: {item.asset} listed twice")
            amounts[item.asset] = require_decimal(item.free, f"balances[{index}].free")
            if amounts[item.asset] < 0:
                raise InvalidArgument(f"balances[{index}].free: must not be negative")
        account = self.venue.set_balances(request.account, amounts)
        await self.persister.flush()
        result: pb.Account = account_to_pb(account)
        return result

    @_mapped
    async def GetStats(self, request: spb.GetStatsRequest, context: Context) -> Any:
        counters = self.venue.counters(request.account)
        return spb.SimulatorStats(
            orders_accepted=counters.orders_accepted,
            orders_rejected=counters.orders_rejected,
            orders_filled=counters.orders_filled,
            orders_canceled=counters.orders_canceled,
            fills=counters.fills,
            subscribers=self.subscribers(),
            session_id=self.session_id,
            open_orders=counters.extra.get("open_orders", 0),
            rate_limited=self.limiter.rate_limited + self.orders.refused,
            banned=self.limiter.banned,
        )

    @_mapped
    async def GetAuditLog(self, request: spb.GetAuditLogRequest, context: Context) -> Any:
        entries = self.venue.audit_log(request.account, request.after, request.limit)
        return spb.GetAuditLogResponse(entries=[audit_to_pb(e) for e in entries])

    async def InjectFault(self, request: spb.InjectFaultRequest, context: Context) -> Any:
        await context.abort(
            grpc.StatusCode.UNIMPLEMENTED,
            "InjectFault: the venue has no injected faults; kill or stop it instead",
        )
