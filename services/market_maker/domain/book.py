"""GridBook: every slot of one strategy, and how fills and order updates move them.

The book only records what happened (fills, order statuses, decisions); what to do next
is plan() (planner.py), and the consistency rules are check_invariants (invariants.py).
Fills are the only thing that moves holdings and PnL; order updates only move states.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from gridops.decimals import ZERO
from gridops.models import Fill, Order, OrderStatus

from . import planner
from .grid import GridSpec
from .ids import parse_client_order_id
from .invariants import check_invariants
from .slots import (
    Action,
    Direction,
    PlaceAction,
    RiskVerdict,
    Slot,
    SlotKey,
    SlotState,
    Totals,
)

_PENDING_TO_OPEN = {
    SlotState.ENTRY_PENDING: SlotState.ENTRY_OPEN,
    SlotState.EXIT_PENDING: SlotState.EXIT_OPEN,
}


@dataclass(frozen=True, slots=True)
class Standing:
    """A book's figures without the price: `at(mark)` adds unrealized PnL in O(1).

    Unrealized PnL summed over slots is mark x holding - entry cost for a long slot and
    the opposite for a short one, so in total mark x position - net entry cost: exact in
    Decimal, and an engine that keeps this while the book stays the same prices each tick
    without walking every slot the grid has ever used.
    """

    totals: Totals  #: unrealized_pnl 0
    #: entry cost of what long slots hold minus that of what short slots sold
    net_cost: Decimal

    def at(self, mark_price: Decimal) -> Totals:
        return replace(
            self.totals, unrealized_pnl=mark_price * self.totals.position - self.net_cost
        )


class GridBook:
    def __init__(self, prefix: str, spec: GridSpec) -> None:
        self.prefix = prefix
        self.spec = spec
        self.slots: dict[SlotKey, Slot] = {}
        #: trade ids already applied: a fill delivered twice counts once
        self.applied: set[str] = set()
        #: client order id -> sum of its applied fills
        self.filled_by_order: dict[str, Decimal] = {}
        #: open orders of ours that conflict with their slot's current order: plan()
        #: cancels them
        self.strays: dict[str, Order] = {}
        #: client order ids known to be over; a late "open" update for one is stale
        self.closed: set[str] = set()
        #: ended orders whose reported fills have not all arrived yet (id -> reported
        #: filled quantity); plan() leaves their slots alone until they have, so it never
        #: sells what a late fill is about to take away
        self.awaiting_fills: dict[str, Decimal] = {}

    @classmethod
    def restore(
        cls, prefix: str, spec: GridSpec, slots: Iterable[Slot], fills: Iterable[Fill]
    ) -> GridBook:
        """A book from stored slots plus the fills already applied to them."""
        book = cls(prefix, spec)
        for slot in slots:
            book.slots[slot.key] = replace(slot)
        for fill in fills:
            if fill.trade_id in book.applied:
                continue
            if parse_client_order_id(prefix, fill.client_order_id) is None:
                continue
            book.applied.add(fill.trade_id)
            book._count_fill(fill)
        return book

    # -- events ------------------------------------------------------------------------

    def apply_fill(self, fill: Fill) -> Slot | None:
        """Apply one fill of ours, once; None for fills of others and repeats."""
        parsed = parse_client_order_id(self.prefix, fill.client_order_id)
        if parsed is None or fill.trade_id in self.applied:
            return None
        level, direction, n = parsed
        self.applied.add(fill.trade_id)
        slot = self._slot((level, direction))
        slot.sequence = max(slot.sequence, n)
        cid = fill.client_order_id
        self._count_fill(fill)
        fee = self._fee_in_quote(fill)
        slot.fees += fee
        slot.realized_pnl -= fee
        q = fill.quantity
        if fill.side is direction.entry_side:
            slot.holding += q
            slot.entry_cost += fill.price * q
        else:
            average = slot.average_entry
            gain = fill.price - average if direction is Direction.LONG else average - fill.price
            slot.realized_pnl += gain * q
            slot.holding -= q
            # Zero exactly when flat, so rounding in the average never leaves a residue.
            slot.entry_cost = slot.entry_cost - average * q if slot.holding > 0 else ZERO
        awaited = self.awaiting_fills.get(cid)
        if awaited is not None and self.filled_by_order[cid] >= awaited:
            del self.awaiting_fills[cid]
        if slot.order_id == cid:
            slot.order_filled = self.filled_by_order[cid]
            if slot.order_filled >= slot.order_quantity:
                self._end_order(slot)
            else:
                # A fill proves the exchange has the order, acknowledged or not.
                slot.state = _PENDING_TO_OPEN.get(slot.state, slot.state)
        elif not slot.state.has_order:
            # A late fill of an older order (or any fill during a rebuild).
            slot.state = _resting(slot)
        return slot

    def apply_order(self, order: Order) -> Slot | None:
        """Apply an order status update; None when the order is not ours or is stale."""
        parsed = parse_client_order_id(self.prefix, order.client_order_id)
        if parsed is None:
            return None
        level, direction, n = parsed
        cid = order.client_order_id
        key = (level, direction)
        if not order.is_open:
            return self._order_over(order, key, n)
        if cid in self.closed:
            return None
        slot = self._slot(key)
        # Never hand out an id the exchange has already seen, even a stray's.
        slot.sequence = max(slot.sequence, n)
        if slot.order_id == cid:
            slot.state = _PENDING_TO_OPEN.get(slot.state, slot.state)
            return slot
        if slot.state.has_order:
            self.strays[cid] = order
            return slot
        # Our order, open on the exchange, for a slot that has none: adopt it. This is
        # how a restarted engine maps exchange orders back to its slots.
        is_exit = order.side is direction.exit_side
        slot.state = SlotState.EXIT_OPEN if is_exit else SlotState.ENTRY_OPEN
        slot.order_id = cid
        slot.order_price = order.price
        slot.order_quantity = order.quantity
        slot.order_filled = self.filled_by_order.get(cid, ZERO)
        self.strays.pop(cid, None)
        return slot

    def _order_over(self, order: Order, key: SlotKey, n: int) -> Slot:
        cid = order.client_order_id
        self.strays.pop(cid, None)
        self.closed.add(cid)
        reported = order.filled_quantity
        if order.status is OrderStatus.FILLED:
            reported = max(reported, order.quantity)
        if reported > self.filled_by_order.get(cid, ZERO):
            self.awaiting_fills[cid] = reported
        # Even an order that ended without a fill used its id: remember n, never reuse it.
        slot = self._slot(key)
        slot.sequence = max(slot.sequence, n)
        if slot.order_id == cid:
            # Fills normally arrive first and have ended a filled order already; this
            # catches a FILLED status whose fills come later, and every cancel/reject.
            self._end_order(slot)
        return slot

    # -- decisions ---------------------------------------------------------------------

    def plan(self, price: Decimal, verdict: RiskVerdict, paused: bool) -> list[Action]:
        return planner.plan(self, price, verdict, paused)

    def mark_pending(self, action: PlaceAction) -> Slot:
        """Record a decision before it is sent, so a crash re-sends the same id."""
        parsed = parse_client_order_id(self.prefix, action.client_order_id)
        if parsed is None or parsed[:2] != action.slot:
            raise ValueError(f"{action.client_order_id} does not name slot {action.slot}")
        slot = self._slot(action.slot)
        if slot.state.has_order:
            raise ValueError(f"slot {action.slot} already has order {slot.order_id}")
        slot.state = SlotState.EXIT_PENDING if action.is_exit else SlotState.ENTRY_PENDING
        slot.order_id = action.client_order_id
        slot.order_price = action.price
        slot.order_quantity = action.quantity
        slot.order_filled = ZERO
        slot.sequence = max(slot.sequence, parsed[2])
        return slot

    def mark_rejected(self, client_order_id: str) -> Slot | None:
        """The exchange refused (or does not know) this order: its slot drops it."""
        self.strays.pop(client_order_id, None)
        parsed = parse_client_order_id(self.prefix, client_order_id)
        slot = self.slots.get(parsed[:2]) if parsed else None
        if slot is None or slot.order_id != client_order_id:
            return None
        self._end_order(slot)
        return slot

    # -- figures -----------------------------------------------------------------------

    def position(self) -> Decimal:
        return sum(
            (
                s.holding if s.direction is Direction.LONG else -s.holding
                for s in self.slots.values()
            ),
            ZERO,
        )

    def unrealized_pnl(self, mark_price: Decimal) -> Decimal:
        return self.standing().at(mark_price).unrealized_pnl

    def standing(self) -> Standing:
        """The figures that do not move with the price, in one pass over the slots."""
        totals = Totals()
        net_cost = ZERO
        for slot in self.slots.values():
            if slot.direction is Direction.LONG:
                totals.position += slot.holding
                net_cost += slot.entry_cost
            else:
                totals.position -= slot.holding
                net_cost -= slot.entry_cost
            totals.realized_pnl += slot.realized_pnl
            totals.fees += slot.fees
            totals.by_state[slot.state] = totals.by_state.get(slot.state, 0) + 1
            if slot.state in (SlotState.ENTRY_OPEN, SlotState.EXIT_OPEN):
                totals.open_orders += 1
        totals.open_orders += len(self.strays)
        return Standing(totals, net_cost)

    def totals(self, mark_price: Decimal) -> Totals:
        return self.standing().at(mark_price)

    def blocked(self) -> set[SlotKey]:
        """Slots waiting for the fills of an ended order: no new orders for them yet."""
        keys: set[SlotKey] = set()
        for cid in self.awaiting_fills:
            parsed = parse_client_order_id(self.prefix, cid)
            if parsed is not None:
                keys.add(parsed[:2])
        return keys

    # -- helpers -----------------------------------------------------------------------

    def _slot(self, key: SlotKey) -> Slot:
        slot = self.slots.get(key)
        if slot is None:
            slot = self.slots[key] = Slot(level=key[0], direction=key[1])
        return slot

    def _count_fill(self, fill: Fill) -> None:
        cid = fill.client_order_id
        self.filled_by_order[cid] = self.filled_by_order.get(cid, ZERO) + fill.quantity

    def _fee_in_quote(self, fill: Fill) -> Decimal:
        if fill.fee_asset in ("", self.spec.quote_asset):
            return fill.fee
        if fill.fee_asset == self.spec.base_asset:
            return fill.fee * fill.price
        return ZERO  # a third asset (a fee token) has no price here

    def _end_order(self, slot: Slot) -> None:
        self.closed.add(slot.order_id)
        slot.order_id = ""
        slot.order_price = slot.order_quantity = slot.order_filled = ZERO
        slot.state = _resting(slot)


def _resting(slot: Slot) -> SlotState:
    """The state of a slot with no order: it holds something or it is free."""
    return SlotState.HOLDING if slot.holding > 0 else SlotState.FREE


def rebuild(
    prefix: str, spec: GridSpec, fills: Iterable[Fill], open_orders: Iterable[Order]
) -> GridBook:
    """The whole book from exchange history alone (the `simple` engine's start).

    Fills go in time order; within one slot an older order's fills come first (they
    happened before the next order existed), which also settles equal timestamps.
    Open orders are adopted newest first, so an older one left behind is the stray.
    """
    book = GridBook(prefix, spec)

    def fill_order(fill: Fill) -> tuple[datetime, int, str]:
        parsed = parse_client_order_id(prefix, fill.client_order_id)
        return (fill.time, parsed[2] if parsed else 0, fill.trade_id)

    def newest_first(order: Order) -> int:
        parsed = parse_client_order_id(prefix, order.client_order_id)
        return -(parsed[2] if parsed else 0)

    for fill in sorted(fills, key=fill_order):
        book.apply_fill(fill)
    for order in sorted(open_orders, key=newest_first):
        if order.is_open:
            book.apply_order(order)
    return book


__all__ = ["GridBook", "check_invariants", "rebuild"]
