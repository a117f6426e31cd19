"""plan(): what a GridBook should do at a price, as a list of actions. Pure: it reads the
book and changes nothing; the engine records each placement (mark_pending) before it
sends it."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from gridops.decimals import floor_to_step, fmt
from gridops.models import Side

from .ids import client_order_id, parse_client_order_id
from .slots import (
    Action,
    CancelAction,
    Direction,
    PlaceAction,
    RiskVerdict,
    Slot,
    SlotKey,
    SlotState,
)

if TYPE_CHECKING:
    from .book import GridBook

#: an open entry is cancelled only this many levels beyond its window, so a price
#: wobbling at the window's edge does not cancel and re-place the same order
HYSTERESIS = 2

_OPEN = (SlotState.ENTRY_OPEN, SlotState.EXIT_OPEN)


def plan(book: GridBook, price: Decimal, verdict: RiskVerdict, paused: bool) -> list[Action]:
    """Cancels first, then exits, then entries (nearest the price first)."""
    if paused or verdict.cancel_all:
        return _cancel_everything(book, "paused" if paused else f"risk: {verdict.reason}")
    spec = book.spec
    slots = sorted(book.slots.values(), key=lambda s: s.key)
    blocked = book.blocked()
    cancels: list[Action] = [
        CancelAction(_stray_key(book, cid), cid, "stray: its slot has another order")
        for cid in sorted(book.strays)
    ]
    # At most one order per price: a buy and a sell at one price would trade with each
    # other, and two orders there would be one slot's fill reported to another.
    occupied: dict[Decimal, Slot | None] = {o.price: None for o in book.strays.values()}
    occupied.update({s.order_price: s for s in slots if s.state.has_order})
    for slot in slots:
        if slot.state is SlotState.ENTRY_OPEN:
            reason = _entry_out_of_place(book, slot, price)
            if reason:
                cancels.append(CancelAction(slot.key, slot.order_id, reason))
    cancelling = {a.client_order_id for a in cancels}

    exits: list[Action] = []
    for slot in slots:
        if slot.state is not SlotState.HOLDING or slot.key in blocked:
            continue
        order = _exit_order(book, slot)
        if order is None:
            continue  # dust: too small to sell; a new entry may top it up
        exit_price, quantity = order
        if exit_price in occupied:
            other = occupied[exit_price]
            # Exits reduce risk, so an entry in their way makes room; they wait for
            # anything else (the other order fills or ends by itself).
            if (
                other is not None
                and other.state is SlotState.ENTRY_OPEN
                and other.order_id not in cancelling
            ):
                cancels.append(
                    CancelAction(other.key, other.order_id, f"make room for the exit of {slot.key}")
                )
                cancelling.add(other.order_id)
            continue
        exits.append(_place(book, slot.key, slot.direction.exit_side, exit_price, quantity, True))
        occupied[exit_price] = slot

    entries: list[Action] = []
    if verdict.allow_entries:
        for key in spec.entry_levels(price):
            existing = book.slots.get(key)
            if not verdict.allows(key[1]) or key in blocked:
                continue
            if existing is not None and not _can_enter(book, existing):
                continue
            level_price = spec.level_price(key[0])
            if level_price in occupied or spec.quantity * level_price < spec.min_notional:
                continue
            entries.append(_place(book, key, key[1].entry_side, level_price, spec.quantity, False))
            occupied[level_price] = existing
    return cancels + exits + entries


def _cancel_everything(book: GridBook, reason: str) -> list[Action]:
    # PENDING orders are not confirmed yet; once they are, the next plan cancels them.
    actions: list[Action] = [
        CancelAction(s.key, s.order_id, reason)
        for s in sorted(book.slots.values(), key=lambda s: s.key)
        if s.state in _OPEN
    ]
    actions += [CancelAction(_stray_key(book, cid), cid, reason) for cid in sorted(book.strays)]
    return actions


def _entry_out_of_place(book: GridBook, slot: Slot, price: Decimal) -> str:
    spec = book.spec
    if slot.direction is Direction.SHORT and not spec.neutral:
        return "short entries are off in long mode"
    rank = spec.rank(slot.key, price)
    window = spec.window(slot.direction)
    if rank > window + HYSTERESIS:
        return f"entry {rank} levels from the price {fmt(price)}, window {window}"
    return ""


def _exit_order(book: GridBook, slot: Slot) -> tuple[Decimal, Decimal] | None:
    """(price, quantity) of the slot's exit, or None when it holds only dust."""
    spec = book.spec
    exit_price = spec.level_price(slot.level + slot.direction.exit_offset)
    quantity = floor_to_step(slot.holding, spec.step_size)
    if exit_price <= 0 or quantity <= 0 or quantity < spec.min_quantity:
        return None
    if quantity * exit_price < spec.min_notional:
        return None
    return exit_price, quantity


def _can_enter(book: GridBook, slot: Slot) -> bool:
    if slot.state is SlotState.FREE:
        return True
    # A slot holding only dust could never exit; a new entry lets it sell it all.
    return slot.state is SlotState.HOLDING and _exit_order(book, slot) is None


def _place(
    book: GridBook,
    key: SlotKey,
    side: Side,
    price: Decimal,
    quantity: Decimal,
    is_exit: bool,
) -> PlaceAction:
    slot = book.slots.get(key)
    n = (slot.sequence if slot else 0) + 1
    cid = client_order_id(book.prefix, key[0], key[1], n)
    return PlaceAction(key, cid, side, price, quantity, is_exit)


def _stray_key(book: GridBook, cid: str) -> SlotKey:
    parsed = parse_client_order_id(book.prefix, cid)
    assert parsed is not None  # only our ids become strays
    return parsed[0], parsed[1]
