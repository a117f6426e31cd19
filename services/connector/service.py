"""The ExchangeConnector service: thin handlers over the adapter and the fan-out hub.

Handlers raise gridops errors; gridops.connector.handlers turns them into status codes.
Stream handlers yield wire bytes (see fanout): the snapshot a new subscriber gets first
is stamped with the same per-subscriber sequence as what follows.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

import grpc

from gridops import __version__, order_ids
from gridops.lograte import LogBudget, skipped
from gridops.v1 import connector_pb2 as cpb
from gridops.v1 import types_pb2 as pb
from gridops.wire import (
    account_to_pb,
    fill_to_pb,
    order_to_pb,
    position_to_pb,
    symbol_info_to_pb,
    ticker_to_pb,
    ts,
)

from . import validate
from .adapter import ExchangeAdapter
from .fanout import DEFAULT_MAX_BATCH, MAX_BATCH, Broadcast, Hub, Subscriber, Topic, match_all
from .fencing import Fencing
from .metrics import ConnectorMetrics
from .upstream import Upstream

SESSION_HEADER = "gridops-session-id"

log = logging.getLogger(__name__)

Context = grpc.aio.ServicerContext[object, object]


class ConnectorService:
    def __init__(
        self,
        adapter: ExchangeAdapter,
        hub: Hub,
        upstream: Upstream,
        session_id: str,
        started_at: datetime,
        metrics: ConnectorMetrics,
        *,
        upstream_wait: float = 5.0,
    ) -> None:
        self.adapter = adapter
        self.hub = hub
        self.upstream = upstream
        self.upstream_wait = upstream_wait
        self.session_id = session_id
        self.started_at = started_at
        self.metrics = metrics
        #: shared with the metrics, which report its tokens and refusals
        self.fencing: Fencing = metrics.fencing
        self._session_metadata = ((SESSION_HEADER, session_id),)
        # One lock per client_order_id in flight, so two concurrent PlaceOrders with the
        # same id reach the adapter one after the other and the second sees the first.
        self._placing: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        # Clients come and go one by one in normal life, by the hundred in a load test
        # or a reconnect storm: each is worth a line only while they are few.
        self._log_budget = LogBudget(burst=30, period=60.0)

    def _log_subscription(
        self, joined: bool, topic: Topic, peer: str, detail: str, since: float = 0.0
    ) -> None:
        held = self._log_budget.take()
        if held is None:
            return
        count = self.hub.count(topic)
        if joined:
            log.info(
                "%s subscribed to %s%s; %d %s subscribers%s",
                peer, topic.value, detail, count, topic.value, skipped(held),
            )  # fmt: skip
        else:
            log.info(
                "%s left %s%s after %.1fs; %d %s subscribers%s",
                peer, topic.value, detail, time.monotonic() - since, count,
                topic.value, skipped(held),
            )  # fmt: skip

    # -- unary -----------------------------------------------------------------------

    async def GetInfo(self, request: cpb.GetInfoRequest, context: Context) -> cpb.ConnectorInfo:
        return cpb.ConnectorInfo(
            session_id=self.session_id,
            exchange=self.adapter.name,
            account=self.adapter.account,
            version=__version__,
            symbols=self.adapter.symbols(),
            started_at=ts(self.started_at),
        )

    async def GetAccount(self, request: cpb.GetAccountRequest, context: Context) -> pb.Account:
        return account_to_pb(await self.adapter.get_account())

    async def GetPositions(
        self, request: cpb.GetPositionsRequest, context: Context
    ) -> cpb.GetPositionsResponse:
        symbol = validate.optional_symbol(request.symbol, self.adapter.symbols())
        positions = await self.adapter.get_positions(symbol)
        return cpb.GetPositionsResponse(positions=[position_to_pb(p) for p in positions])

    async def GetOpenOrders(
        self, request: cpb.GetOpenOrdersRequest, context: Context
    ) -> cpb.GetOpenOrdersResponse:
        symbol = validate.optional_symbol(request.symbol, self.adapter.symbols())
        prefix = validate.prefix(request.client_order_id_prefix)
        orders = await self.adapter.get_open_orders(symbol, prefix)
        return cpb.GetOpenOrdersResponse(orders=[order_to_pb(o) for o in orders])

    async def GetOrder(self, request: cpb.GetOrderRequest, context: Context) -> pb.Order:
        return order_to_pb(await self.adapter.get_order(**validate.order_ref(request)))

    async def PlaceOrder(
        self, request: cpb.PlaceOrderRequest, context: Context
    ) -> cpb.PlaceOrderResponse:
        order_request = validate.place_order(request, self.adapter.symbols())
        strategy = order_ids.strategy_of(order_request.client_order_id)
        if strategy is not None:  # an id of no grid shape is no strategy's: not fenced
            self.fencing.check(strategy, request.fencing_token, "", "PlaceOrder")
        lock = self._placing.get(order_request.client_order_id)
        if lock is None:
            lock = asyncio.Lock()
            self._placing[order_request.client_order_id] = lock
        async with lock:
            result = await self.adapter.place_order(order_request)
        return cpb.PlaceOrderResponse(order=order_to_pb(result.order), duplicate=result.duplicate)

    async def CancelOrder(self, request: cpb.CancelOrderRequest, context: Context) -> pb.Order:
        ref = validate.order_ref(request)
        client_order_id = ref.get("client_order_id")
        if client_order_id is None and (request.fencing_token or self.fencing.any_live()):
            # By exchange id: whose order it is decides which writer may cancel it.
            client_order_id = (await self.adapter.get_order(**ref)).client_order_id
        strategy = order_ids.strategy_of(client_order_id or "")
        if strategy is not None:
            self.fencing.check(
                strategy, request.fencing_token, request.fencing_override, "CancelOrder"
            )
        return order_to_pb(await self.adapter.cancel_order(**ref))

    async def CancelAllOrders(
        self, request: cpb.CancelAllOrdersRequest, context: Context
    ) -> cpb.CancelAllOrdersResponse:
        symbol = validate.optional_symbol(request.symbol, self.adapter.symbols())
        prefix = validate.prefix(request.client_order_id_prefix)
        strategy = order_ids.normalize_prefix(prefix)
        if strategy:
            self.fencing.check(
                strategy, request.fencing_token, request.fencing_override, "CancelAllOrders"
            )
        else:
            self.fencing.check_all(request.fencing_override, "CancelAllOrders")
        orders = await self.adapter.cancel_all_orders(symbol, prefix)
        return cpb.CancelAllOrdersResponse(orders=[order_to_pb(o) for o in orders])

    async def ClaimWriter(
        self, request: cpb.ClaimWriterRequest, context: Context
    ) -> cpb.ClaimWriterResponse:
        writer = self.fencing.claim(
            request.client_order_id_prefix,
            request.fencing_token,
            request.holder,
            request.lease_seconds,
        )
        return cpb.ClaimWriterResponse(fencing_token=writer.token, holder=writer.holder)

    async def GetSymbolInfo(
        self, request: cpb.GetSymbolInfoRequest, context: Context
    ) -> pb.SymbolInfo:
        symbol = validate.symbol(request.symbol, self.adapter.symbols())
        return symbol_info_to_pb(await self.adapter.get_symbol_info(symbol))

    async def GetTicker(self, request: cpb.GetTickerRequest, context: Context) -> pb.Ticker:
        symbol = validate.symbol(request.symbol, self.adapter.symbols())
        return ticker_to_pb(await self.adapter.get_ticker(symbol))

    async def GetFills(
        self, request: cpb.GetFillsRequest, context: Context
    ) -> cpb.GetFillsResponse:
        symbol = validate.optional_symbol(request.symbol, self.adapter.symbols())
        prefix = validate.prefix(request.client_order_id_prefix)
        fills = await self.adapter.get_fills(
            symbol, validate.since(request), prefix, request.limit or None
        )
        return cpb.GetFillsResponse(fills=[fill_to_pb(f) for f in fills])

    # -- streams ---------------------------------------------------------------------

    async def SubscribeAccount(
        self, request: cpb.SubscribeAccountRequest, context: Context
    ) -> AsyncIterator[bytes]:
        async def snapshot() -> list[bytes]:
            account = account_to_pb(await self.adapter.get_account())
            return [cpb.AccountUpdate(account=account, session_id=self.session_id)
                    .SerializeToString()]  # fmt: skip

        async for message in self._stream(Topic.ACCOUNT, match_all, context, snapshot):
            yield message

    async def SubscribePositions(
        self, request: cpb.SubscribePositionsRequest, context: Context
    ) -> AsyncIterator[bytes]:
        symbol = validate.optional_symbol(request.symbol, self.adapter.symbols())

        def accepts(item: Broadcast) -> bool:
            return symbol is None or item.symbol == symbol

        async def snapshot() -> list[bytes]:
            positions = await self.adapter.get_positions(symbol)
            return [
                cpb.PositionUpdate(
                    position=position_to_pb(p), session_id=self.session_id
                ).SerializeToString()
                for p in positions
            ]

        detail = f" ({symbol})" if symbol else ""
        async for message in self._stream(Topic.POSITIONS, accepts, context, snapshot, detail):
            yield message

    async def SubscribeOrders(
        self, request: cpb.SubscribeOrdersRequest, context: Context
    ) -> AsyncIterator[bytes]:
        accepts = self._order_filter(request)
        detail = _order_detail(request)
        async for message in self._stream(Topic.ORDERS, accepts, context, None, detail):
            yield message

    async def SubscribeOrderBatches(
        self, request: cpb.SubscribeOrdersRequest, context: Context
    ) -> AsyncIterator[bytes]:
        """SubscribeOrders with what a subscriber has pending sent as one message.

        The same registration steps as `_stream` (no snapshot), written out here rather
        than shared through another async-generator layer: each layer costs a few
        microseconds per message on the path this RPC exists to make cheap.
        """
        accepts = self._order_filter(request)
        limit = validate.max_batch(request.max_batch, MAX_BATCH) or DEFAULT_MAX_BATCH
        await self.upstream.wait_connected(self.upstream_wait)
        subscriber = self.hub.subscribe(Topic.ORDERS, accepts)
        sent = self.metrics.messages_sent.labels(Topic.ORDERS.value)
        batch_size = self.metrics.batch_size.labels(Topic.ORDERS.value)
        detail = _order_detail(request)
        since = time.monotonic()
        # Asked while the call is live: grpc.aio may crash the process when a finished
        # call's context is asked for its peer (seen as a silent exit in tests).
        peer = context.peer()
        self._log_subscription(True, Topic.ORDERS, peer, detail)
        try:
            await context.send_initial_metadata(self._session_metadata)
            while True:
                frame, count = await subscriber.next_batch(limit)
                sent.inc(count)
                batch_size.observe(count)
                yield frame
        finally:
            self.hub.unsubscribe(subscriber)
            self._log_subscription(False, Topic.ORDERS, peer, detail, since)

    async def SubscribePrices(
        self, request: cpb.SubscribePricesRequest, context: Context
    ) -> AsyncIterator[bytes]:
        known = self.adapter.symbols()
        symbols = frozenset(
            validate.symbol(s, known, f"symbols[{i}]") for i, s in enumerate(request.symbols)
        )

        def accepts(item: Broadcast) -> bool:
            return not symbols or item.symbol in symbols

        async def snapshot() -> list[bytes]:
            return [
                cpb.PriceUpdate(
                    ticker=ticker_to_pb(await self.adapter.get_ticker(s)),
                    session_id=self.session_id,
                ).SerializeToString()
                for s in sorted(symbols or known)
            ]

        detail = f" ({', '.join(sorted(symbols))})" if symbols else ""
        async for message in self._stream(Topic.PRICES, accepts, context, snapshot, detail):
            yield message

    def _order_filter(self, request: cpb.SubscribeOrdersRequest) -> Callable[[Broadcast], bool]:
        symbol = validate.optional_symbol(request.symbol, self.adapter.symbols())
        prefix = validate.prefix(request.client_order_id_prefix)

        def accepts(item: Broadcast) -> bool:
            return (symbol is None or item.symbol == symbol) and order_ids.matches(
                prefix, item.client_order_id
            )

        return accepts

    async def _stream(
        self,
        topic: Topic,
        accepts: Callable[[Broadcast], bool],
        context: Context,
        snapshot: Callable[[], Awaitable[list[bytes]]] | None,
        detail: str = "",
    ) -> AsyncIterator[bytes]:
        """Register first, then tell the client (initial metadata), then snapshot, then live.

        The client takes the initial metadata as "subscribed": anything that happens
        after it is on this stream, so a resync done then misses nothing. That only
        holds while the upstream connection is open, so wait for it first.
        """
        await self.upstream.wait_connected(self.upstream_wait)
        subscriber: Subscriber = self.hub.subscribe(topic, accepts)
        sent = self.metrics.messages_sent.labels(topic.value)
        since = time.monotonic()
        peer = context.peer()  # now, while the call is live (see SubscribeOrderBatches)
        self._log_subscription(True, topic, peer, detail)
        try:
            await context.send_initial_metadata(self._session_metadata)
            if snapshot is not None:
                for body in await snapshot():
                    sent.inc()
                    yield subscriber.stamp(body)
            while True:
                message = await subscriber.next()
                sent.inc()
                yield message
        finally:
            self.hub.unsubscribe(subscriber)
            self._log_subscription(False, topic, peer, detail, since)


def _order_detail(request: cpb.SubscribeOrdersRequest) -> str:
    """What an order subscription selects, for its log lines."""
    parts = [request.symbol] if request.symbol else []
    if request.client_order_id_prefix:
        parts.append(f"prefix {request.client_order_id_prefix}")
    return f" ({', '.join(parts)})" if parts else ""
