"""The rules a GridBook must always satisfy; tests and the engine's self-check run them."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from gridops.decimals import ZERO

from .ids import parse_client_order_id
from .slots import Direction

if TYPE_CHECKING:
    from .book import GridBook


def check_invariants(book: GridBook) -> list[str]:
    """Every broken rule, as a sentence; an empty list means the book is consistent."""
    problems: list[str] = []
    prices: dict[Decimal, str] = {}
    owners: dict[str, object] = {}
    long_total = short_total = ZERO
    for key, slot in sorted(book.slots.items()):
        name = f"slot {key[0]}/{key[1].value}"
        if key != slot.key:
            problems.append(f"{name} is stored under the wrong key")
        if slot.state.has_order != bool(slot.order_id):
            problems.append(f"{name}: state {slot.state} with order id {slot.order_id!r}")
        if slot.holding < 0:
            problems.append(f"{name}: negative holding {slot.holding}")
        if slot.entry_cost < 0:
            problems.append(f"{name}: negative entry cost {slot.entry_cost}")
        if slot.direction is Direction.SHORT and not book.spec.neutral and slot.holding:
            problems.append(f"{name}: holds a short position in long mode")
        if slot.order_id:
            parsed = parse_client_order_id(book.prefix, slot.order_id)
            if parsed is None or parsed[:2] != key or parsed[2] > slot.sequence:
                problems.append(f"{name}: order id {slot.order_id} does not belong to it")
            if slot.order_id in owners:
                problems.append(f"{name}: order id {slot.order_id} also used by another slot")
            owners[slot.order_id] = key
            if slot.order_price in prices:
                problems.append(
                    f"{name}: a second order at price {slot.order_price} "
                    f"({prices[slot.order_price]})"
                )
            prices[slot.order_price] = slot.order_id
            applied = book.filled_by_order.get(slot.order_id, ZERO)
            if slot.order_filled != applied:
                problems.append(
                    f"{name}: order_filled {slot.order_filled} != applied fills {applied}"
                )
            if slot.order_filled > slot.order_quantity:
                problems.append(f"{name}: filled more than the order's quantity")
        if slot.direction is Direction.LONG:
            long_total += slot.holding
        else:
            short_total += slot.holding
    if book.totals(ZERO).position != long_total - short_total:
        problems.append("position differs from the sum of the slots' holdings")
    for cid in book.filled_by_order:
        if parse_client_order_id(book.prefix, cid) is None:
            problems.append(f"fills of {cid}, which is not ours")
    return problems
