"""What the simulated market's mutating calls return."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from gridops.models import ExchangeEvent, Fill, Order, Ticker

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """A call's result plus the events it caused, in the order they happened."""

    value: T
    events: list[ExchangeEvent] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PriceMove:
    ticker: Ticker
    #: orders the move filled (fully or partly), in the order they filled
    filled: list[Order]


@dataclass(frozen=True, slots=True)
class OrderFill:
    order: Order
    fill: Fill
