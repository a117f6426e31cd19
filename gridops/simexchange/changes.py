"""What a market changed since its store last looked, and where its closed history went.

PURE (no I/O): a market with an `Archive` attached (SimMarket.attach) notes every order,
fill, symbol, balance and counter it touches in a `Changes`; its store takes them as a
`Delta` of private copies (`SimMarket.take_delta`), writes that, and once it is
durable hands it back (`SimMarket.release`) so the market can drop the closed orders and
the fills from memory: the archive answers for them from then on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from gridops.models import Fill

from .ledger import Ledger
from .orders import OrderState
from .positions import PositionState


class Archive(Protocol):
    """Where a market's released history lives (the store's database)."""

    def order(self, client_order_id: str | None, order_id: str | None) -> OrderState | None:
        """The archived order with `client_order_id` (or, when that is None, `order_id`)."""

    def fills(
        self,
        before: int,
        symbol: str | None,
        since: datetime | None,
        prefix: str | None,
        limit: int | None,
    ) -> list[Fill]:
        """Archived fills numbered below `before`, filtered and ordered as FillLog.query."""


@dataclass(slots=True)
class Changes:
    """What a market touched since its delta was last taken: references to live state."""

    #: touched orders by order id (their state is read when the delta is taken)
    orders: dict[str, OrderState] = field(default_factory=dict)
    fills: list[Fill] = field(default_factory=list)
    #: symbols whose price or position moved
    symbols: set[str] = field(default_factory=set)
    ledger: bool = False
    counters: bool = False
    rng: bool = False

    def order(self, order: OrderState) -> None:
        """`order` was added or changed (every such change also moves a counter)."""
        self.orders[order.order_id] = order
        self.counters = True

    def fill(self, fill: Fill) -> None:
        """A fill: it moves the balances, the counters and its symbol's position."""
        self.fills.append(fill)
        self.symbols.add(fill.symbol)
        self.ledger = self.counters = True

    def symbol(self, symbol: str) -> None:
        self.symbols.add(symbol)

    def balances(self) -> None:
        self.ledger = True

    def counted(self) -> None:
        self.counters = True

    def drew(self) -> None:
        """The random generator was drawn from."""
        self.rng = True


class NoChanges(Changes):
    """The notebook of a market nobody stores: it notes nothing."""

    __slots__ = ()

    def order(self, order: OrderState) -> None:
        pass

    def fill(self, fill: Fill) -> None:
        pass

    def symbol(self, symbol: str) -> None:
        pass

    def balances(self) -> None:
        pass

    def counted(self) -> None:
        pass

    def drew(self) -> None:
        pass


@dataclass(frozen=True, slots=True)
class SymbolState:
    """A symbol's price and position as they were when a delta was taken."""

    symbol: str
    price: Decimal
    price_time: datetime
    position: PositionState


@dataclass(frozen=True, slots=True)
class Delta:
    """One take of a market's changes: private copies, safe to serialize on any thread.

    Taking it costs a few copies; turning it into rows (strings, JSON) is the store's
    work, on its writer thread, and only for what the next delta does not supersede.
    """

    #: copies of the touched orders, as they were when taken
    orders: list[OrderState] = field(default_factory=list)
    #: ids of the touched orders that were closed when taken (release drops them)
    closed: list[str] = field(default_factory=list)
    #: new fills, oldest first
    fills: list[Fill] = field(default_factory=list)
    #: each symbol whose price or position moved
    symbols: list[SymbolState] = field(default_factory=list)
    #: a copy of the whole ledger, when any balance changed
    ledger: Ledger | None = None
    #: counters plus the next order and trade numbers, when any of them changed
    counters: dict[str, int] | None = None
    #: the random generator's state (`Random.getstate()`), when it was drawn from
    rng: tuple[Any, ...] | None = None

    def __bool__(self) -> bool:
        return bool(
            self.orders
            or self.fills
            or self.symbols
            or self.ledger is not None
            or self.counters is not None
            or self.rng is not None
        )
