"""Slots: one per grid level and direction, each with its own small state machine.

A LONG slot at level L buys at price(L) (its entry) and, once it holds something, sells
it back at price(L + 1) (its exit). A SHORT slot (neutral mode only) mirrors it: sells at
price(L), buys back at price(L - 1). Each slot has at most one order open at a time.

    FREE ──entry placed──▶ ENTRY_PENDING ──ack──▶ ENTRY_OPEN ──filled──▶ HOLDING
      ▲                         │                    │ canceled, nothing held   │
      │◀────── rejected ────────┘◀───────────────────┘                          │
      │                      (canceled with a partial fill: HOLDING)        exit placed
      │                                                                         ▼
      └───────── exit filled (holding 0) ◀── EXIT_OPEN ◀──ack── EXIT_PENDING ◀──┘
                                      (exit canceled/rejected: back to HOLDING)

PENDING means "decided and recorded, not yet confirmed by the exchange": after a crash
the engine re-sends the same client order id, and the connector's idempotent PlaceOrder
returns the order if it had got through, so nothing is ever placed twice.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal

from gridops.decimals import ZERO
from gridops.models import Side


class Direction(enum.StrEnum):
    """The slot's direction; its value is the letter in client order ids."""

    LONG = "B"
    SHORT = "S"

    @property
    def entry_side(self) -> Side:
        return Side.BUY if self is Direction.LONG else Side.SELL

    @property
    def exit_side(self) -> Side:
        return Side.SELL if self is Direction.LONG else Side.BUY

    @property
    def exit_offset(self) -> int:
        """Levels from the entry price to the exit price."""
        return 1 if self is Direction.LONG else -1


class SlotState(enum.StrEnum):
    FREE = "free"
    ENTRY_PENDING = "entry_pending"
    ENTRY_OPEN = "entry_open"
    HOLDING = "holding"
    EXIT_PENDING = "exit_pending"
    EXIT_OPEN = "exit_open"

    @property
    def has_order(self) -> bool:
        return self in (
            SlotState.ENTRY_PENDING,
            SlotState.ENTRY_OPEN,
            SlotState.EXIT_PENDING,
            SlotState.EXIT_OPEN,
        )


SlotKey = tuple[int, Direction]


@dataclass(slots=True)
class Slot:
    """Mutable state of one slot. Quantities are base-asset amounts, always >= 0."""

    level: int
    direction: Direction
    state: SlotState = SlotState.FREE
    #: base quantity this slot holds (bought for LONG, sold short for SHORT)
    holding: Decimal = ZERO
    #: quote amount paid (LONG) or received (SHORT) for `holding`, fees excluded
    entry_cost: Decimal = ZERO
    #: client order id of the slot's current order ("" when it has none)
    order_id: str = ""
    order_price: Decimal = ZERO
    order_quantity: Decimal = ZERO
    #: how much of the current order has filled (applied from fills)
    order_filled: Decimal = ZERO
    #: n of the newest client order id used by this slot (ids are never reused)
    sequence: int = 0
    #: profit realized by this slot's exits, net of fees (quote asset)
    realized_pnl: Decimal = ZERO
    fees: Decimal = ZERO

    @property
    def key(self) -> SlotKey:
        return (self.level, self.direction)

    @property
    def average_entry(self) -> Decimal:
        return self.entry_cost / self.holding if self.holding else ZERO

    @property
    def order_side(self) -> Side:
        """The side of the slot's current order (meaningful while state.has_order)."""
        if self.state in (SlotState.EXIT_PENDING, SlotState.EXIT_OPEN):
            return self.direction.exit_side
        return self.direction.entry_side


@dataclass(frozen=True, slots=True)
class PlaceAction:
    """Place an order for a slot. The slot is ENTRY/EXIT_PENDING once this is recorded."""

    slot: SlotKey
    client_order_id: str
    side: Side
    price: Decimal
    quantity: Decimal
    is_exit: bool


@dataclass(frozen=True, slots=True)
class CancelAction:
    slot: SlotKey
    client_order_id: str
    reason: str


Action = PlaceAction | CancelAction


@dataclass(frozen=True, slots=True)
class RiskVerdict:
    """What the risk rules allow right now."""

    allow_entries: bool = True
    cancel_all: bool = False
    reason: str = ""
    #: entries of this direction only are held back (maxPosition): the other side's
    #: entries bring the position back towards zero, so they still go out
    hold_direction: Direction | None = None

    def allows(self, direction: Direction) -> bool:
        return self.allow_entries and direction is not self.hold_direction


@dataclass(slots=True)
class Totals:
    """Strategy-level figures derived from the slots (never stored separately)."""

    position: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    fees: Decimal = ZERO
    open_orders: int = 0
    by_state: dict[SlotState, int] = field(default_factory=dict)
    #: at the mark price given to GridBook.totals (quote asset)
    unrealized_pnl: Decimal = ZERO
