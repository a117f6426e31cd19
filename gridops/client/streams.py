"""What a subscription yields: updates, plus signals about the stream itself.

A subscription is an async iterator that survives connector restarts. Besides data
(`Update`) it yields:
- `Subscribed` once, when the connector has registered the stream: state read after
  this point (GetOpenOrders, GetFills, ...) misses nothing the stream will not bring;
- `Disconnected` when the stream broke, with the delay before the next attempt;
- `Resync` when it is back (or a sequence gap showed): the caller must rebuild its
  view from unary calls before trusting the stream again. `reason` tells why.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Generic, TypeVar

from gridops.errors import GridopsError
from gridops.models import Fill, Order

T = TypeVar("T")


class ResyncReason(enum.StrEnum):
    #: the connector restarted: everything it said before is from another session
    SESSION_CHANGED = "session_changed"
    #: same connector, but the stream was down for a while: events may be missed
    RECONNECTED = "reconnected"
    #: a message is missing on a stream that never drops
    SEQUENCE_GAP = "sequence_gap"


@dataclass(frozen=True, slots=True)
class Update(Generic[T]):
    value: T
    session_id: str
    sequence: int


@dataclass(frozen=True, slots=True)
class Subscribed:
    session_id: str


@dataclass(frozen=True, slots=True)
class Resync:
    reason: ResyncReason
    session_id: str
    previous_session_id: str


@dataclass(frozen=True, slots=True)
class Disconnected:
    error: GridopsError
    retry_in: float


@dataclass(frozen=True, slots=True)
class OrderChange:
    """One order-stream message: the order as it is now, and the fill that caused it."""

    order: Order
    fill: Fill | None


StreamItem = Update[T] | Subscribed | Resync | Disconnected
