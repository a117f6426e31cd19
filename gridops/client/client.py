"""ConnectorClient: the typed async client of the exchange connector.

Unary calls return domain types (Decimal amounts) and raise gridops.errors classes.
Subscriptions are async iterators that reconnect by themselves with capped exponential
backoff and jitter, and say so (see gridops.client.streams).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message

from gridops import errors
from gridops.decimals import fmt
from gridops.grpc_status import error_for
from gridops.models import (
    Account,
    Fill,
    Order,
    OrderRequest,
    PlaceResult,
    Position,
    SymbolInfo,
    Ticker,
)
from gridops.retry import Backoff
from gridops.v1 import connector_pb2 as cpb
from gridops.v1 import connector_pb2_grpc
from gridops.wire import (
    SIDE_TO_PB,
    TYPE_TO_PB,
    account_from_pb,
    fill_from_pb,
    order_from_pb,
    position_from_pb,
    symbol_info_from_pb,
    ticker_from_pb,
    ts,
)

from .channel import TLSConfig, check_address, open_channel
from .streams import (
    Disconnected,
    OrderChange,
    Resync,
    ResyncReason,
    StreamItem,
    Subscribed,
    Update,
)

T = TypeVar("T")
R = TypeVar("R")

SESSION_HEADER = "gridops-session-id"


def stream_backoff() -> Backoff:
    """A stream's resubscribe delays: 0.1 s doubling to at most 1 s. A connector is one
    process a few clients share, so retrying once a second costs it nothing, and a
    longer wait would be time without prices after it came back."""
    return Backoff(initial=0.1, maximum=1.0)


# Errors a subscription waits out; anything else (bad request, bad token) ends it.
RETRYABLE = (errors.Unavailable, errors.ResourceExhausted, errors.RateLimited, errors.Internal)


class ConnectorClient:
    """Use `await ConnectorClient.connect(address)`; close with `await client.close()`."""

    def __init__(
        self,
        address: str,
        *,
        tls: TLSConfig | None = None,
        token: str | None = None,
        call_timeout: float = 10.0,
        backoff: Callable[[], Backoff] = stream_backoff,
    ) -> None:
        self.address = check_address(address)
        self.call_timeout = call_timeout
        self._backoff = backoff
        self._metadata: tuple[tuple[str, str], ...] = (
            (("authorization", f"Bearer {token}"),) if token else ()
        )
        self._channel = open_channel(self.address, tls)
        self._stub = connector_pb2_grpc.ExchangeConnectorStub(self._channel)
        #: the connector session last seen (GetInfo or a stream); "" before any
        self.session_id = ""
        #: the writer's fencing token, sent with every PlaceOrder, CancelOrder and
        #: CancelAllOrders (see `claim_writer`); 0: none
        self.fencing_token = 0

    @classmethod
    async def connect(
        cls,
        address: str,
        *,
        timeout: float = 5.0,
        tls: TLSConfig | None = None,
        token: str | None = None,
        call_timeout: float = 10.0,
        backoff: Callable[[], Backoff] = stream_backoff,
    ) -> ConnectorClient:
        """Connect and ask the connector who it is; Unavailable if it can't in `timeout`."""
        client = cls(address, tls=tls, token=token, call_timeout=call_timeout, backoff=backoff)
        try:
            try:
                await asyncio.wait_for(client._channel.channel_ready(), timeout)
            except TimeoutError:
                raise errors.Unavailable(
                    f"connector at {client.address} not reachable within {timeout:g}s"
                ) from None
            await client.get_info(timeout=timeout)
        except BaseException:
            await client.close()
            raise
        return client

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> ConnectorClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _call(self, method: Any, request: Message, timeout: float | None) -> Any:
        try:
            return await method(
                request, timeout=timeout or self.call_timeout, metadata=self._metadata
            )
        except grpc.aio.AioRpcError as error:
            raise error_for(error.code(), error.details() or "") from None

    # -- unary -----------------------------------------------------------------------

    async def get_info(self, *, timeout: float | None = None) -> cpb.ConnectorInfo:
        info: cpb.ConnectorInfo = await self._call(
            self._stub.GetInfo, cpb.GetInfoRequest(), timeout
        )
        self.session_id = info.session_id
        return info

    async def get_account(self, *, timeout: float | None = None) -> Account:
        return account_from_pb(
            await self._call(self._stub.GetAccount, cpb.GetAccountRequest(), timeout)
        )

    async def get_positions(
        self, symbol: str | None = None, *, timeout: float | None = None
    ) -> list[Position]:
        response = await self._call(
            self._stub.GetPositions, cpb.GetPositionsRequest(symbol=symbol or ""), timeout
        )
        return [position_from_pb(p) for p in response.positions]

    async def get_open_orders(
        self, symbol: str | None = None, prefix: str | None = None, *, timeout: float | None = None
    ) -> list[Order]:
        request = cpb.GetOpenOrdersRequest(symbol=symbol or "", client_order_id_prefix=prefix or "")
        response = await self._call(self._stub.GetOpenOrders, request, timeout)
        return [order_from_pb(o) for o in response.orders]

    async def get_order(
        self,
        *,
        client_order_id: str | None = None,
        order_id: str | None = None,
        timeout: float | None = None,
    ) -> Order:
        request = cpb.GetOrderRequest(client_order_id=client_order_id or "")
        if order_id is not None:
            request = cpb.GetOrderRequest(order_id=order_id)
        return order_from_pb(await self._call(self._stub.GetOrder, request, timeout))

    async def place_order(
        self, order: OrderRequest, *, timeout: float | None = None
    ) -> PlaceResult:
        request = cpb.PlaceOrderRequest(
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=SIDE_TO_PB[order.side],
            type=TYPE_TO_PB[order.type],
            price=fmt(order.price),
            quantity=fmt(order.quantity),
            fencing_token=self.fencing_token,
        )
        response = await self._call(self._stub.PlaceOrder, request, timeout)
        return PlaceResult(order_from_pb(response.order), response.duplicate)

    async def cancel_order(
        self,
        *,
        client_order_id: str | None = None,
        order_id: str | None = None,
        timeout: float | None = None,
        override: str = "",
    ) -> Order:
        """`override` (who and why) cancels past a live writer's claim: see ClaimWriter."""
        request = cpb.CancelOrderRequest(
            fencing_token=self.fencing_token, fencing_override=override
        )
        if order_id is not None:
            request.order_id = order_id
        else:
            request.client_order_id = client_order_id or ""
        return order_from_pb(await self._call(self._stub.CancelOrder, request, timeout))

    async def cancel_all_orders(
        self,
        symbol: str | None = None,
        prefix: str | None = None,
        *,
        timeout: float | None = None,
        override: str = "",
    ) -> list[Order]:
        """`override` (who and why) cancels past a live writer's claim: see ClaimWriter."""
        request = cpb.CancelAllOrdersRequest(
            symbol=symbol or "",
            client_order_id_prefix=prefix or "",
            fencing_token=self.fencing_token,
            fencing_override=override,
        )
        response = await self._call(self._stub.CancelAllOrders, request, timeout)
        return [order_from_pb(o) for o in response.orders]

    async def claim_writer(
        self,
        prefix: str,
        token: int,
        holder: str,
        lease_seconds: int,
        *,
        timeout: float | None = None,
    ) -> int:
        """Claim strategy `prefix` with fencing `token` (0 lease seconds: release it).

        Returns the connector's highest token for the strategy; raises errors.Fenced when
        a higher token holds it.
        """
        request = cpb.ClaimWriterRequest(
            client_order_id_prefix=prefix,
            fencing_token=token,
            holder=holder,
            lease_seconds=lease_seconds,
        )
        response = await self._call(self._stub.ClaimWriter, request, timeout)
        return int(response.fencing_token)

    async def get_symbol_info(self, symbol: str, *, timeout: float | None = None) -> SymbolInfo:
        request = cpb.GetSymbolInfoRequest(symbol=symbol)
        return symbol_info_from_pb(await self._call(self._stub.GetSymbolInfo, request, timeout))

    async def get_ticker(self, symbol: str, *, timeout: float | None = None) -> Ticker:
        request = cpb.GetTickerRequest(symbol=symbol)
        return ticker_from_pb(await self._call(self._stub.GetTicker, request, timeout))

    async def get_fills(
        self,
        symbol: str | None = None,
        since: datetime | None = None,
        prefix: str | None = None,
        limit: int | None = None,
        *,
        timeout: float | None = None,
    ) -> list[Fill]:
        request = cpb.GetFillsRequest(
            symbol=symbol or "", client_order_id_prefix=prefix or "", limit=limit or 0
        )
        if since is not None:
            request.since.CopyFrom(ts(since))
        response = await self._call(self._stub.GetFills, request, timeout)
        return [fill_from_pb(f) for f in response.fills]

    # -- streams ---------------------------------------------------------------------

    def subscribe_account(self) -> AsyncIterator[StreamItem[Account]]:
        return self._subscribe(
            self._stub.SubscribeAccount,
            cpb.SubscribeAccountRequest(),
            lambda m: account_from_pb(m.account),
            strict=False,
        )

    def subscribe_positions(self, symbol: str | None = None) -> AsyncIterator[StreamItem[Position]]:
        return self._subscribe(
            self._stub.SubscribePositions,
            cpb.SubscribePositionsRequest(symbol=symbol or ""),
            lambda m: position_from_pb(m.position),
            strict=False,
        )

    def subscribe_orders(
        self, symbol: str | None = None, prefix: str | None = None
    ) -> AsyncIterator[StreamItem[OrderChange]]:
        """Order changes, one `Update` each, over SubscribeOrderBatches.

        Batches only change how many updates share a gRPC message (fewer under load),
        never what is yielded. A connector without that RPC (older, mid-upgrade) is
        asked with SubscribeOrders instead, with the same results.
        """
        return self._subscribe(
            self._stub.SubscribeOrderBatches,
            cpb.SubscribeOrdersRequest(symbol=symbol or "", client_order_id_prefix=prefix or ""),
            lambda m: OrderChange(
                order_from_pb(m.order), fill_from_pb(m.fill) if m.HasField("fill") else None
            ),
            strict=True,
            unpack=_updates_of_batch,
            fallback=self._stub.SubscribeOrders,
        )

    def subscribe_prices(self, symbols: Iterable[str] = ()) -> AsyncIterator[StreamItem[Ticker]]:
        return self._subscribe(
            self._stub.SubscribePrices,
            cpb.SubscribePricesRequest(symbols=list(symbols)),
            lambda m: ticker_from_pb(m.ticker),
            strict=False,
        )

    async def _subscribe(
        self,
        rpc: Any,
        request: Message,
        decode: Callable[[Any], T],
        *,
        strict: bool,
        unpack: Callable[[Any], Iterable[Any]] | None = None,
        fallback: Any = None,
    ) -> AsyncIterator[StreamItem[T]]:
        """One logical subscription over as many physical streams as it takes.

        `unpack` turns a batch message into its updates; `fallback` is an unbatched rpc
        (messages are updates) to use when the connector does not implement `rpc`.
        """
        backoff = self._backoff()
        subscribed = False
        previous = self.session_id
        while True:
            call = rpc(request, metadata=self._metadata)
            try:
                session = _session_of(await call.initial_metadata())
                if not session:  # the call failed before the connector registered it
                    code = await call.code()
                    if code == grpc.StatusCode.UNIMPLEMENTED and fallback is not None:
                        # Nothing was yielded for this attempt: retry at once, unbatched.
                        rpc, fallback, unpack = fallback, None, None
                        continue
                    raise error_for(code, await call.details() or "")
                if not subscribed and (not previous or session == previous):
                    yield Subscribed(session)
                else:
                    reason = (
                        ResyncReason.SESSION_CHANGED
                        if session != previous
                        else ResyncReason.RECONNECTED
                    )
                    yield Resync(reason, session, previous)
                subscribed = True
                previous = self.session_id = session
                backoff.reset()
                expected = 1
                async for received in call:
                    for message in (received,) if unpack is None else unpack(received):
                        if strict and message.sequence != expected:
                            yield Resync(ResyncReason.SEQUENCE_GAP, session, session)
                        expected = message.sequence + 1
                        yield Update(decode(message), message.session_id, message.sequence)
                error: errors.GridopsError = errors.Unavailable("stream ended by the connector")
            except grpc.aio.AioRpcError as rpc_error:
                error = error_for(rpc_error.code(), rpc_error.details() or "")
            except RETRYABLE as retryable:
                error = retryable
            finally:
                call.cancel()
            if not isinstance(error, RETRYABLE):
                raise error
            delay = backoff.next_delay()
            yield Disconnected(error, delay)
            await asyncio.sleep(delay)


def _updates_of_batch(batch: cpb.OrderUpdateBatch) -> Iterable[cpb.OrderUpdate]:
    return batch.updates


def _session_of(metadata: Sequence[tuple[str, str | bytes]] | None) -> str:
    for key, value in metadata or ():
        if key == SESSION_HEADER:
            return value.decode() if isinstance(value, bytes) else value
    return ""
