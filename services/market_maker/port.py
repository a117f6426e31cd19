"""ExchangePort: the connector calls the market maker makes, and nothing more.

The engine, the executor, reconcile, the start checks and cancelOnShutdown depend on this
protocol, not on `ConnectorClient`: production passes the gRPC client (it conforms
structurally, which mypy checks below), tests pass an in-process fake
(`tests/support/fake_exchange.py`). Parameters the market maker never passes (order ids
by exchange id, `since`, `limit`) are left out, so a fake cannot silently ignore them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

from gridops.client import OrderChange, StreamItem
from gridops.models import Fill, Order, OrderRequest, PlaceResult, SymbolInfo, Ticker


class ConnectorInfo(Protocol):
    """What the start checks read of GetInfo (the gRPC client returns the protobuf)."""

    @property
    def exchange(self) -> str: ...

    @property
    def account(self) -> str: ...

    @property
    def symbols(self) -> Sequence[str]: ...


class ExchangePort(Protocol):
    #: the writer's fencing token, sent with every place and cancel (0: none)
    fencing_token: int

    async def claim_writer(self, prefix: str, token: int, holder: str, lease_seconds: int) -> int:
        """Tell the connector this writer holds `prefix`; errors.Fenced if a newer one does."""
        ...

    async def get_info(self, *, timeout: float | None = None) -> ConnectorInfo: ...

    async def get_symbol_info(self, symbol: str) -> SymbolInfo: ...

    async def get_ticker(self, symbol: str) -> Ticker: ...

    async def get_open_orders(
        self, symbol: str | None = None, prefix: str | None = None
    ) -> list[Order]: ...

    async def get_order(self, *, client_order_id: str | None = None) -> Order: ...

    async def get_fills(
        self, symbol: str | None = None, *, prefix: str | None = None
    ) -> list[Fill]:
        """Every fill of `symbol` whose client order id starts with `prefix`."""
        ...

    async def place_order(self, order: OrderRequest) -> PlaceResult:
        """Idempotent by client order id: a re-sent id returns the same order."""
        ...

    async def cancel_order(self, *, client_order_id: str | None = None) -> Order: ...

    async def cancel_all_orders(
        self, symbol: str | None = None, prefix: str | None = None
    ) -> list[Order]: ...

    def subscribe_orders(
        self, symbol: str | None = None, prefix: str | None = None
    ) -> AsyncIterator[StreamItem[OrderChange]]: ...

    def subscribe_prices(
        self, symbols: Iterable[str] = ()
    ) -> AsyncIterator[StreamItem[Ticker]]: ...


if TYPE_CHECKING:
    from gridops.client import ConnectorClient

    def _connector_client_is_a_port(client: ConnectorClient) -> ExchangePort:
        # Fails type checking the day ConnectorClient stops conforming.
        return client


__all__ = ["ConnectorInfo", "ExchangePort"]
