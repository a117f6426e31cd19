"""Orders on the venue: idempotent placing, cancelling (by prefix, order by order),
looking up by either id."""

from __future__ import annotations

import asyncio
import weakref
from functools import partial
from typing import Any

from gridops import order_ids
from gridops.decimals import fmt
from gridops.errors import FailedPrecondition, InvalidArgument, NotFound
from gridops.models import Order, OrderRequest, OrderType, PlaceResult

from .budget import OrderPace
from .markets import check_order
from .requests import VenueRequests, what

#: Binance's limit on a client order id (newClientOrderId)
MAX_CLIENT_ORDER_ID = 36
#: cancels in flight at once for one CancelAllOrders
CANCEL_CONCURRENCY = 4


class OrderCalls(VenueRequests):
    _placing: weakref.WeakValueDictionary[str, asyncio.Lock]
    #: the venue's new-order count, where the connector knows it (Binance)
    order_pace: OrderPace | None

    async def get_open_orders(self, symbol: str | None, prefix: str | None) -> list[Order]:
        if symbol is not None:
            self._info(symbol)
        raw = await self._shared(("open", symbol), lambda: self.exchange.fetch_open_orders(symbol))
        orders = [self._order(o) for o in raw]
        return [
            o
            for o in orders
            if o.symbol in self._infos and order_ids.matches(prefix, o.client_order_id)
        ]

    async def get_order(
        self, *, client_order_id: str | None = None, order_id: str | None = None
    ) -> Order:
        for symbol in self._candidates(client_order_id, order_id):
            try:
                return await self._fetch(
                    symbol, None if client_order_id else order_id, client_order_id
                )
            except NotFound:
                continue
        raise NotFound(f"{what(client_order_id, order_id)}: no such order on {self.name}")

    async def place_order(self, request: OrderRequest) -> PlaceResult:
        cid = request.client_order_id
        if len(cid) > MAX_CLIENT_ORDER_ID:
            raise InvalidArgument(
                f"client_order_id: {cid!r} is {len(cid)} characters; {self.name} takes at "
                f"most {MAX_CLIENT_ORDER_ID}"
            )
        check_order(self._info(request.symbol), request)
        lock = self._placing.get(cid)
        if lock is None:
            lock = asyncio.Lock()
            self._placing[cid] = lock
        async with lock:
            # Binance refuses a duplicate id only while the first order is open: look the
            # id up, closed orders included, before placing.
            existing = await self._existing(request)
            if existing is not None:
                return PlaceResult(existing, duplicate=True)
            return PlaceResult(await self._create(request))

    async def _existing(self, request: OrderRequest) -> Order | None:
        known = self.index.by_client_id(request.client_order_id)
        symbol = known.symbol if known is not None else request.symbol
        try:
            return await self._fetch(symbol, None, request.client_order_id)
        except NotFound:
            return None

    async def _create(self, request: OrderRequest) -> Order:
        params: dict[str, Any] = {"newClientOrderId": request.client_order_id}
        if request.type is OrderType.LIMIT_MAKER:
            params["postOnly"] = True
        pace = self.order_pace
        if pace is not None:
            await pace.admit()
        try:
            raw = await self._call(
                lambda: self.exchange.create_order(
                    request.symbol,
                    "limit",
                    request.side.value.lower(),
                    fmt(request.quantity),
                    fmt(request.price),
                    params,
                )
            )
        except FailedPrecondition as error:
            raise self._refusal(request, error) from None
        finally:
            if pace is not None:
                pace.done()  # counted whatever the answer: the venue counted it
        order = self._order(raw)
        if not self.reads_messages:
            self.placed_since_poll[order.order_id] = order
        return order

    def _refusal(self, request: OrderRequest, error: FailedPrecondition) -> FailedPrecondition:
        """Insufficient funds named with the asset, as the sim names it."""
        text = str(error).lower()
        if "insufficient" not in text and "balance" not in text:
            return error
        info = self._info(request.symbol)
        asset = info.quote_asset if request.side.value == "BUY" else info.base_asset
        return FailedPrecondition(
            f"insufficient {asset} balance for {request.side.value} "
            f"{fmt(request.quantity)} {request.symbol} at {fmt(request.price)} ({error})"
        )

    async def cancel_order(
        self, *, client_order_id: str | None = None, order_id: str | None = None
    ) -> Order:
        for symbol in self._candidates(client_order_id, order_id):
            params = {"origClientOrderId": client_order_id} if client_order_id else {}
            oid = None if client_order_id else order_id
            try:
                raw = await self._call(partial(self.exchange.cancel_order, oid, symbol, params))
            except (NotFound, FailedPrecondition, InvalidArgument):
                # Not open any more (filled or cancelled before us), or not on this symbol.
                try:
                    return await self._fetch(symbol, oid, client_order_id)
                except NotFound:
                    continue
            return self._order(raw)
        raise NotFound(f"{what(client_order_id, order_id)}: no such order on {self.name}")

    async def cancel_all_orders(self, symbol: str | None, prefix: str | None) -> list[Order]:
        # Never the venue's cancel-all: it takes every order of the symbol, other
        # strategies' and hand-placed ones too, when only `prefix`'s are meant.
        open_orders = await self.get_open_orders(symbol, prefix)
        limit = asyncio.Semaphore(CANCEL_CONCURRENCY)

        async def cancel(order: Order) -> Order | None:
            async with limit:
                try:
                    return await self.cancel_order(order_id=order.order_id)
                except NotFound:
                    return None

        results = await asyncio.gather(*(cancel(o) for o in open_orders))
        return [o for o in results if o is not None]
