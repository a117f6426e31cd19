"""What the connector needs from an exchange: the adapter interface.

An adapter owns the ONE upstream connection of a connector process. The connector
calls `events()` once (again only after it broke) and fans the events out to every
subscriber itself, so the adapter never sees how many clients there are.

Adapters raise the gridops.errors classes: InvalidArgument for requests the exchange
refuses by its rules, NotFound, FailedPrecondition (e.g. insufficient balance),
Unavailable when the exchange cannot be reached, RateLimited. The connector maps those
to gRPC status codes in one place.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator
from datetime import datetime

from gridops.models import (
    Account,
    ExchangeEvent,
    Fill,
    Order,
    OrderRequest,
    PlaceResult,
    Position,
    SymbolInfo,
    Ticker,
    UpstreamOpened,
)


class ExchangeAdapter(abc.ABC):
    """One exchange account, reached through one upstream connection."""

    #: exchange name as given on the command line ("sim", a ccxt id, ...)
    name: str
    #: account label (several connectors may serve different accounts of one exchange)
    account: str

    @property
    @abc.abstractmethod
    def upstream_connections(self) -> int:
        """Upstream connections open right now (the contract: at most one)."""

    @property
    @abc.abstractmethod
    def upstream_connects_total(self) -> int:
        """Upstream connections opened since start (grows only on reconnects)."""

    async def start(self) -> None:  # noqa: B027 - optional hook, most adapters need none
        """Prepare the adapter (load markets, start background tasks)."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release everything; `events()` iterators end."""

    @abc.abstractmethod
    def events(self) -> AsyncIterator[ExchangeEvent | UpstreamOpened]:
        """Open the upstream connection and yield its events until it closes.

        Yields `UpstreamOpened` first, once events can no longer be missed: the connector
        tells subscribers they are subscribed only after it. Raises Unavailable when the
        connection breaks; the caller backs off and calls again. Counts itself in
        `upstream_connections` while open.
        """

    @abc.abstractmethod
    def symbols(self) -> list[str]:
        """Symbols this adapter trades, as BASE/QUOTE."""

    @abc.abstractmethod
    async def get_account(self) -> Account: ...

    @abc.abstractmethod
    async def get_positions(self, symbol: str | None) -> list[Position]: ...

    @abc.abstractmethod
    async def get_open_orders(self, symbol: str | None, prefix: str | None) -> list[Order]:
        """Open orders of `symbol` (None: all) of the strategy `prefix` (None: all).

        `prefix` selects a strategy's ids exactly: filter with gridops.order_ids.matches
        (here and in cancel_all_orders, get_fills), never with str.startswith.
        """

    @abc.abstractmethod
    async def get_order(
        self, *, client_order_id: str | None = None, order_id: str | None = None
    ) -> Order:
        """Raises NotFound when no such order exists."""

    @abc.abstractmethod
    async def place_order(self, request: OrderRequest) -> PlaceResult:
        """Place a limit order. An existing client_order_id returns that order, duplicate=True."""

    @abc.abstractmethod
    async def cancel_order(
        self, *, client_order_id: str | None = None, order_id: str | None = None
    ) -> Order:
        """Cancel an open order; a closed one is returned as it is."""

    @abc.abstractmethod
    async def cancel_all_orders(self, symbol: str | None, prefix: str | None) -> list[Order]: ...

    @abc.abstractmethod
    async def get_symbol_info(self, symbol: str) -> SymbolInfo: ...

    @abc.abstractmethod
    async def get_ticker(self, symbol: str) -> Ticker: ...

    @abc.abstractmethod
    async def get_fills(
        self,
        symbol: str | None,
        since: datetime | None,
        prefix: str | None,
        limit: int | None,
    ) -> list[Fill]:
        """Fills at or after `since`, oldest first."""
