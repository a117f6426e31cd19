"""The request layer of the ccxt adapter: every REST call goes through `_call`.

`_call` spends the account's one budget (ccxt's limiter, a cooldown after a 429/418) and
maps ccxt's exceptions once; `_shared` makes identical reads in flight one request.
Orders seen are remembered (`index`) for what Binance leaves out: the symbol of an id,
the client id of an orderId.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Any, TypeVar

import ccxt

from gridops.errors import InvalidArgument, NotFound, Unauthenticated
from gridops.models import Order, SymbolInfo

from . import convert
from .budget import Budget
from .credentials import Credentials
from .errors import map_error
from .index import OrderIndex

log = logging.getLogger(__name__)
T = TypeVar("T")

#: a lookup by id without a symbol tries each served symbol, if there are at most this many
MAX_SEARCH_SYMBOLS = 10


class VenueRequests:
    """What the order and fill calls share; CcxtAdapter sets these fields."""

    exchange: Any
    name: str
    credentials: Credentials
    budget: Budget
    index: OrderIndex
    _infos: dict[str, SymbolInfo]
    #: set by the adapter: orders placed since the last REST poll (polling mode only)
    placed_since_poll: dict[str, Order]

    @property
    def reads_messages(self) -> bool:
        """True when the venue's websocket messages are read, not polled (the adapter's)."""
        raise NotImplementedError

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        await self.budget.admit()
        try:
            result = await call()
        except (ccxt.RateLimitExceeded, ccxt.DDoSProtection) as error:
            delay = self.budget.penalize(self._retry_after())
            log.warning("%s: rate limited, no request for %.1fs", self.name, delay)
            raise map_error(error, self.name, self.credentials.redact) from None
        except asyncio.CancelledError:
            raise
        except Exception as error:
            mapped = map_error(error, self.name, self.credentials.redact)
            if isinstance(mapped, Unauthenticated):
                log.error("%s refused the credentials: %s", self.name, mapped)
            raise mapped from None
        self.budget.succeeded()
        return result

    def _retry_after(self) -> float | None:
        headers = getattr(self.exchange, "last_response_headers", None) or {}
        for key in ("Retry-After", "retry-after"):
            value = headers.get(key) if isinstance(headers, Mapping) else None
            if value is not None:
                try:
                    return float(value)
                except ValueError:
                    return None
        return None

    async def _shared(self, key: Hashable, call: Callable[[], Awaitable[T]]) -> T:
        return await self.budget.shared(key, lambda: self._call(call))

    def _info(self, symbol: str) -> SymbolInfo:
        info = self._infos.get(symbol)
        if info is None:
            raise InvalidArgument(f"symbol: {symbol!r} is not served by this connector")
        return info

    def _order(self, raw: Mapping[str, Any]) -> Order:
        info = raw.get("info")
        symbol = str(raw.get("symbol") or "")
        if isinstance(info, Mapping) and "orderId" in info:
            order = convert.order_from_rest(info, symbol)
        else:
            order = convert.order_from_unified(raw)
        self.index.add(order.symbol, order.order_id, order.client_order_id)
        return order

    async def _fetch(self, symbol: str, order_id: str | None, client_order_id: str | None) -> Order:
        params = {"origClientOrderId": client_order_id} if client_order_id else {}
        key = ("order", symbol, order_id, client_order_id)
        raw = await self._shared(key, lambda: self.exchange.fetch_order(order_id, symbol, params))
        return self._order(raw)

    def _candidates(self, client_order_id: str | None, order_id: str | None) -> list[str]:
        if not client_order_id and self.name.startswith("binance") and not _numeric_id(order_id):
            # Binance numbers its orders; asking for "x-1" is a 400, not "no such order".
            raise NotFound(f"order_id {order_id}: no such order on {self.name} (ids are numbers)")
        known = (
            self.index.by_client_id(client_order_id)
            if client_order_id
            else self.index.by_order_id(order_id or "")
        )
        if known is not None:
            return [known.symbol]
        if len(self._infos) > MAX_SEARCH_SYMBOLS:
            raise NotFound(
                f"{what(client_order_id, order_id)}: not an order this connector has seen, "
                f"and {self.name} needs its symbol to look it up (list it with GetOpenOrders "
                "first)"
            )
        return list(self._infos)


def _numeric_id(order_id: str | None) -> bool:
    return bool(order_id) and str(order_id).isdigit()


def what(client_order_id: str | None, order_id: str | None) -> str:
    return f"client_order_id {client_order_id}" if client_order_id else f"order_id {order_id}"
