"""GridBook: the slot state machine one transition at a time, and plan()."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from gridops.market_maker.domain.book import GridBook, check_invariants, rebuild
from gridops.market_maker.domain.slots import (
    CancelAction,
    Direction,
    PlaceAction,
    RiskVerdict,
    Slot,
    SlotState,
)
from gridops.models import OrderStatus, Side

from .test_mm_fixtures import PREFIX, cid, fill, make_book, order

L, S = Direction.LONG, Direction.SHORT
OK = RiskVerdict()
BUY, SELL = Side.BUY, Side.SELL


def state(slot: Slot) -> SlotState:
    """The slot's state, read through a call so mypy does not keep an earlier narrowing."""
    return slot.state


def places(actions: list[PlaceAction | CancelAction]) -> list[PlaceAction]:
    return [a for a in actions if isinstance(a, PlaceAction)]


def cancels(actions: list[PlaceAction | CancelAction]) -> list[str]:
    return [a.client_order_id for a in actions if isinstance(a, CancelAction)]


def open_entry(book: GridBook, level: int, direction: Direction = L) -> str:
    """Place and acknowledge an entry for (level, direction) through the book."""
    slot = book.slots.get((level, direction))
    n = (slot.sequence if slot else 0) + 1
    client_id = cid(level, direction, n)
    price = book.spec.level_price(level)
    side = direction.entry_side
    book.mark_pending(PlaceAction((level, direction), client_id, side, price, D(1), False))
    book.apply_order(order(client_id, side, price))
    return client_id


def hold(book: GridBook, level: int, direction: Direction = L) -> str:
    client_id = open_entry(book, level, direction)
    book.apply_fill(fill(client_id, direction.entry_side, book.spec.level_price(level)))
    return client_id


# -- state machine ---------------------------------------------------------------------


def test_entry_pending_open_filled_exit_free() -> None:
    book = make_book()
    actions = book.plan(D(95), OK, paused=False)
    first = places(actions)[0]
    assert (first.slot, first.side, first.price, first.is_exit) == ((9, L), BUY, D(90), False)
    assert first.client_order_id == cid(9, L, 1)
    slot = book.mark_pending(first)
    assert state(slot) is SlotState.ENTRY_PENDING
    assert book.plan(D(95), OK, False)[0].slot != (9, L)  # a pending slot waits
    book.apply_order(order(first.client_order_id, BUY, 90))
    assert state(slot) is SlotState.ENTRY_OPEN
    book.apply_fill(fill(first.client_order_id, BUY, 90, fee="0.09"))
    assert state(slot) is SlotState.HOLDING
    assert (slot.holding, slot.entry_cost, slot.order_id) == (D(1), D(90), "")

    exit_ = next(a for a in places(book.plan(D(95), OK, False)) if a.is_exit)
    assert (exit_.slot, exit_.side, exit_.price, exit_.quantity) == ((9, L), SELL, D(100), D(1))
    assert exit_.client_order_id == cid(9, L, 2)
    book.mark_pending(exit_)
    book.apply_order(order(exit_.client_order_id, SELL, 100))
    assert state(slot) is SlotState.EXIT_OPEN
    book.apply_fill(fill(exit_.client_order_id, SELL, 100, fee="0.1"))
    assert state(slot) is SlotState.FREE
    assert slot.holding == 0
    assert slot.entry_cost == 0
    assert slot.realized_pnl == D("9.81")
    assert slot.fees == D("0.19")
    assert check_invariants(book) == []


def test_neutral_short_mirrors_long() -> None:
    book = make_book(mode="neutral", buy_window=1, sell_window=1)
    entry = next(a for a in places(book.plan(D(95), OK, False)) if a.slot == (10, S))
    assert (entry.side, entry.price) == (SELL, D(100))
    book.mark_pending(entry)
    book.apply_fill(fill(entry.client_order_id, SELL, 100))
    slot = book.slots[(10, S)]
    assert state(slot) is SlotState.HOLDING
    exit_ = next(a for a in places(book.plan(D(105), OK, False)) if a.is_exit)
    assert (exit_.slot, exit_.side, exit_.price) == ((10, S), BUY, D(90))
    book.mark_pending(exit_)
    book.apply_fill(fill(exit_.client_order_id, BUY, 90))
    assert state(slot) is SlotState.FREE
    assert slot.realized_pnl == D(10)
    assert book.totals(D(95)).position == 0


def test_partial_fills_then_complete() -> None:
    book = make_book()
    client_id = open_entry(book, 5)
    book.apply_fill(fill(client_id, BUY, 50, "0.4"))
    slot = book.slots[(5, L)]
    assert (slot.state, slot.order_filled, slot.holding) == (
        SlotState.ENTRY_OPEN,
        D("0.4"),
        D("0.4"),
    )
    book.apply_order(order(client_id, BUY, 50, status=OrderStatus.PARTIALLY_FILLED, filled="0.4"))
    assert state(slot) is SlotState.ENTRY_OPEN
    book.apply_fill(fill(client_id, BUY, 50, "0.6"))
    assert state(slot) is SlotState.HOLDING
    book.apply_order(order(client_id, BUY, 50, status=OrderStatus.FILLED, filled=1))
    assert state(slot) is SlotState.HOLDING
    assert slot.holding == 1


def test_fill_acknowledges_a_pending_order() -> None:
    book = make_book()
    slot = book.mark_pending(PlaceAction((5, L), cid(5), BUY, D(50), D(1), False))
    book.apply_fill(fill(cid(5), BUY, 50, "0.5"))
    assert state(slot) is SlotState.ENTRY_OPEN


def test_cancel_with_partial_fill_holds_and_exits_the_held_part() -> None:
    book = make_book(buy_window=1)
    client_id = open_entry(book, 9)
    book.apply_fill(fill(client_id, BUY, 90, "0.3"))
    book.apply_order(order(client_id, BUY, 90, status=OrderStatus.CANCELED, filled="0.3"))
    slot = book.slots[(9, L)]
    assert (slot.state, slot.holding, slot.order_id) == (SlotState.HOLDING, D("0.3"), "")
    exit_ = places(book.plan(D(95), OK, False))[0]
    assert (exit_.is_exit, exit_.price, exit_.quantity) == (True, D(100), D("0.3"))


def test_cancel_without_fill_frees_and_exit_cancel_goes_back_to_holding() -> None:
    book = make_book()
    client_id = open_entry(book, 5)
    book.apply_order(order(client_id, BUY, 50, status=OrderStatus.CANCELED))
    assert book.slots[(5, L)].state is SlotState.FREE
    hold(book, 4)
    exit_ = next(a for a in places(book.plan(D(45), OK, False)) if a.is_exit)
    book.mark_pending(exit_)
    book.apply_order(order(exit_.client_order_id, SELL, 50, status=OrderStatus.CANCELED))
    assert book.slots[(4, L)].state is SlotState.HOLDING


def test_late_fill_after_cancel_moves_holdings_only() -> None:
    book = make_book()
    client_id = open_entry(book, 5)
    book.apply_order(order(client_id, BUY, 50, status=OrderStatus.CANCELED))
    slot = book.slots[(5, L)]
    assert state(slot) is SlotState.FREE
    book.apply_fill(fill(client_id, BUY, 50, "0.2"))
    assert (slot.state, slot.holding, slot.order_id) == (SlotState.HOLDING, D("0.2"), "")


def test_cancel_reporting_unseen_fills_holds_the_slot_until_they_arrive() -> None:
    book = make_book(buy_window=1)
    hold(book, 9)
    exit_ = next(a for a in places(book.plan(D(95), OK, False)) if a.is_exit)
    book.mark_pending(exit_)
    book.apply_order(
        order(exit_.client_order_id, SELL, 100, status=OrderStatus.CANCELED, filled="0.4")
    )
    slot = book.slots[(9, L)]
    assert state(slot) is SlotState.HOLDING
    # Selling the full holding again now would oversell once the late fill lands.
    assert not [a for a in places(book.plan(D(95), OK, False)) if a.slot == (9, L)]
    book.apply_fill(fill(exit_.client_order_id, SELL, 100, "0.4"))
    again = next(a for a in places(book.plan(D(95), OK, False)) if a.slot == (9, L))
    assert again.quantity == D("0.6")
    assert slot.realized_pnl == D(4)


def test_duplicate_fill_is_ignored() -> None:
    book = make_book()
    client_id = open_entry(book, 5)
    first = fill(client_id, BUY, 50, "0.5")
    assert book.apply_fill(first) is not None
    assert book.apply_fill(first) is None
    assert book.slots[(5, L)].holding == D("0.5")


def test_foreign_fills_and_orders_are_ignored() -> None:
    book = make_book()
    assert book.apply_fill(fill("t1-2-5-B-1", BUY, 50)) is None
    assert book.apply_order(order("manual", BUY, 50)) is None
    assert book.slots == {}


def test_reject_goes_back() -> None:
    book = make_book()
    action = PlaceAction((5, L), cid(5), BUY, D(50), D(1), False)
    book.mark_pending(action)
    slot = book.mark_rejected(action.client_order_id)
    assert slot is not None
    assert (slot.state, slot.sequence) == (SlotState.FREE, 1)
    assert book.mark_rejected(action.client_order_id) is None
    hold(book, 4)
    exit_ = next(a for a in places(book.plan(D(45), OK, False)) if a.is_exit)
    book.mark_pending(exit_)
    book.apply_order(order(exit_.client_order_id, SELL, 50, status=OrderStatus.REJECTED))
    assert book.slots[(4, L)].state is SlotState.HOLDING
    # The next attempt uses a fresh id.
    retry = next(a for a in places(book.plan(D(45), OK, False)) if a.is_exit)
    assert retry.client_order_id == cid(4, L, 3)


def test_mark_pending_refuses_a_busy_slot() -> None:
    book = make_book()
    open_entry(book, 5)
    with pytest.raises(ValueError, match="already has order"):
        book.mark_pending(PlaceAction((5, L), cid(5, L, 2), BUY, D(50), D(1), False))


def test_filled_status_without_fill_is_completed_by_the_late_fill() -> None:
    book = make_book()
    client_id = open_entry(book, 5)
    book.apply_order(order(client_id, BUY, 50, status=OrderStatus.FILLED, filled=1))
    slot = book.slots[(5, L)]
    assert slot.order_id == ""
    assert (5, L) in book.blocked()
    book.apply_fill(fill(client_id, BUY, 50))
    assert state(slot) is SlotState.HOLDING
    assert book.blocked() == set()


# -- plan ------------------------------------------------------------------------------


def test_plan_orders_cancels_exits_entries() -> None:
    book = make_book(buy_window=2)
    hold(book, 3)
    far = open_entry(book, 1)
    actions = book.plan(D(95), OK, False)
    kinds = [
        "cancel" if isinstance(a, CancelAction) else "exit" if a.is_exit else "entry"
        for a in actions
    ]
    assert kinds == ["cancel", "exit", "entry", "entry"]
    assert cancels(actions) == [far]
    assert [a.price for a in places(actions)] == [D(40), D(90), D(80)]


def test_tick_and_step_rounding_of_exit() -> None:
    book = make_book(buy_window=1)
    client_id = open_entry(book, 9)
    book.apply_fill(fill(client_id, BUY, 90, "0.4567"))
    book.apply_order(order(client_id, BUY, 90, status=OrderStatus.CANCELED, filled="0.4567"))
    exit_ = places(book.plan(D(95), OK, False))[0]
    assert exit_.quantity == D("0.456")


def test_min_notional_skips_entries_and_dust_exits() -> None:
    book = make_book(order_quantity=D("0.1"), buy_window=5)
    # 0.1 * price >= 5 needs price >= 50: levels 5..9 below 95 → 90..50 pass, none below.
    assert [a.price for a in places(book.plan(D(95), OK, False))] == [
        D(90),
        D(80),
        D(70),
        D(60),
        D(50),
    ]
    assert [a.price for a in places(book.plan(D(65), OK, False))] == [D(60), D(50)]
    # A held amount too small to sell is dust: no exit, but the slot may enter again.
    client_id = open_entry(book, 9)
    book.apply_fill(fill(client_id, BUY, 90, "0.01"))
    book.apply_order(order(client_id, BUY, 90, status=OrderStatus.CANCELED, filled="0.01"))
    actions = places(book.plan(D(95), OK, False))
    assert not [a for a in actions if a.is_exit]
    assert (9, L) in [a.slot for a in actions]


def test_at_most_one_order_per_price() -> None:
    book = make_book(mode="neutral", buy_window=1, sell_window=1)
    hold(book, 9)  # its exit sells at 100
    actions = places(book.plan(D(95), OK, False))
    assert [(a.slot, a.price) for a in actions] == [((9, L), D(100))]  # no short at 100


def test_exit_makes_room_by_cancelling_an_entry_at_its_price() -> None:
    book = make_book(mode="neutral", buy_window=1, sell_window=1)
    short = open_entry(book, 10, S)  # sells at 100
    hold(book, 9)
    actions = book.plan(D(95), OK, False)
    assert cancels(actions) == [short]
    assert not [a for a in places(actions) if a.price == D(100)]


def test_paused_cancels_every_open_order_and_places_nothing() -> None:
    book = make_book()
    entry = open_entry(book, 9)
    hold(book, 5)
    exit_ = next(a for a in places(book.plan(D(95), OK, False)) if a.is_exit)
    book.mark_pending(exit_)
    book.apply_order(order(exit_.client_order_id, SELL, 60))
    pending = PlaceAction((8, L), cid(8), BUY, D(80), D(1), False)
    book.mark_pending(pending)
    actions = book.plan(D(95), OK, paused=True)
    assert all(isinstance(a, CancelAction) for a in actions)
    assert sorted(cancels(actions)) == sorted([entry, exit_.client_order_id])
    assert book.slots[(5, L)].holding == 1  # state is kept


def test_halted_places_no_entries_but_still_exits() -> None:
    book = make_book()
    hold(book, 9)
    actions = book.plan(D(95), RiskVerdict(allow_entries=False, reason="halt"), False)
    assert [(a.slot, a.is_exit) for a in places(actions)] == [((9, L), True)]


def test_max_position_holds_only_the_side_that_grows_it() -> None:
    book = make_book(mode="neutral", buy_window=2, sell_window=2)
    hold(book, 9)  # long: maxPosition reached on the long side
    verdict = RiskVerdict(hold_direction=L, reason="maxPosition")
    placed = {(a.slot, a.is_exit) for a in places(book.plan(D(95), verdict, False))}
    assert ((9, L), True) in placed  # the long exit still goes out
    assert any(slot[1] is S and not is_exit for slot, is_exit in placed)  # short entry too
    assert not any(slot[1] is L and not is_exit for slot, is_exit in placed)


def test_cancel_all_verdict_cancels_everything() -> None:
    book = make_book()
    entry = open_entry(book, 9)
    actions = book.plan(D(95), RiskVerdict(allow_entries=False, cancel_all=True), False)
    assert actions == [CancelAction((9, L), entry, "risk: ")]


def test_hysteresis_cancels_only_beyond_window_plus_two() -> None:
    book = make_book(buy_window=3)
    entry = open_entry(book, 7)  # rank 3 at price 95: inside the window
    # At 120 level 7 is 5 levels down (window 3 + 2): kept; one tick higher it is 6.
    for price, cancelled in [(D(95), False), (D(105), False), (D(120), False), (D("120.01"), True)]:
        assert (entry in cancels(book.plan(price, OK, False))) is cancelled, price


def test_short_entries_cancelled_in_long_mode() -> None:
    book = make_book()
    book.apply_order(order(cid(12, S), SELL, 120))
    assert book.slots[(12, S)].state is SlotState.ENTRY_OPEN
    assert cid(12, S) in cancels(book.plan(D(95), OK, False))


def test_adopt_and_stray() -> None:
    book = make_book()
    hold(book, 5)
    book.apply_order(order(cid(5, L, 7), SELL, 60, quantity=1))
    slot = book.slots[(5, L)]
    assert (slot.state, slot.order_id, slot.sequence) == (SlotState.EXIT_OPEN, cid(5, L, 7), 7)
    book.apply_order(order(cid(5, L, 9), SELL, 60, quantity=1))
    assert cid(5, L, 9) in book.strays
    assert slot.sequence == 9  # the stray's id is never handed out again
    assert cancels(book.plan(D(55), OK, False))[0] == cid(5, L, 9)
    book.apply_order(order(cid(5, L, 9), SELL, 60, status=OrderStatus.CANCELED))
    assert book.strays == {}
    assert slot.order_id == cid(5, L, 7)


def test_stale_open_update_of_a_closed_order_is_ignored() -> None:
    book = make_book()
    client_id = open_entry(book, 5)
    book.apply_order(order(client_id, BUY, 50, status=OrderStatus.CANCELED))
    assert book.apply_order(order(client_id, BUY, 50)) is None
    assert book.slots[(5, L)].state is SlotState.FREE


def test_totals_and_unrealized() -> None:
    book = make_book(mode="neutral")
    hold(book, 9)
    hold(book, 12, S)
    book.apply_fill(fill(cid(12, S, 5), BUY, 110, "0.5"))  # a late exit fill
    totals = book.totals(D(100))
    assert totals.position == D("0.5")
    assert totals.realized_pnl == D(5)
    assert totals.open_orders == 0
    assert totals.by_state == {SlotState.HOLDING: 2}
    assert totals.unrealized_pnl == book.unrealized_pnl(D(100)) == D(10) + D(10)


def test_restore_recomputes_applied_and_order_fills() -> None:
    book = make_book()
    client_id = open_entry(book, 5)
    fills = [fill(client_id, BUY, 50, "0.4")]
    book.apply_fill(fills[0])
    restored = GridBook.restore(PREFIX, book.spec, book.slots.values(), fills)
    assert restored.slots == book.slots
    assert restored.slots[(5, L)] is not book.slots[(5, L)]
    assert restored.applied == book.applied
    assert restored.filled_by_order == book.filled_by_order


def test_rebuild_matches_incremental_book() -> None:
    book = make_book()
    history = []
    a = open_entry(book, 5)
    history.append(fill(a, BUY, 50))
    b = open_entry(book, 4)
    history.append(fill(b, BUY, 40, "0.4"))
    c = open_entry(book, 3)
    for item in history:
        book.apply_fill(item)
    exit_ = next(x for x in places(book.plan(D(55), OK, False)) if x.slot == (5, L))
    book.mark_pending(exit_)
    book.apply_order(order(exit_.client_order_id, SELL, 60))
    history.append(fill(exit_.client_order_id, SELL, 60, "0.25"))
    book.apply_fill(history[-1])
    open_orders = [
        order(b, BUY, 40, status=OrderStatus.PARTIALLY_FILLED, filled="0.4"),
        order(c, BUY, 30),
        order(exit_.client_order_id, SELL, 60, status=OrderStatus.PARTIALLY_FILLED),
    ]
    rebuilt = rebuild(PREFIX, book.spec, reversed(history), open_orders)
    for key, slot in book.slots.items():
        other = rebuilt.slots[key]
        other.sequence = slot.sequence
        assert other == slot
    assert rebuilt.slots[(4, L)].state is SlotState.ENTRY_OPEN
    assert rebuilt.slots[(4, L)].order_filled == D("0.4")


def test_rebuild_entry_filled_alone_is_holding_and_gets_its_exit() -> None:
    history = [fill(cid(9), BUY, 90)]
    book = rebuild(PREFIX, make_book().spec, history, [])
    assert book.slots[(9, L)].state is SlotState.HOLDING
    assert places(book.plan(D(95), OK, False))[0].is_exit


def test_rebuild_newest_open_order_is_current_older_is_stray() -> None:
    spec = make_book().spec
    older, newer = order(cid(9, L, 1), BUY, 90), order(cid(9, L, 2), BUY, 90)
    book = rebuild(PREFIX, spec, [], [older, newer])
    assert book.slots[(9, L)].order_id == newer.client_order_id
    assert set(book.strays) == {older.client_order_id}


def test_check_invariants_reports_problems() -> None:
    book = make_book()
    hold(book, 5)
    open_entry(book, 4)
    book.slots[(4, L)].order_price = D(50)
    book.slots[(5, L)].order_id = cid(5, L, 1)
    book.slots[(5, L)].holding = D(-1)
    problems = check_invariants(book)
    assert any("negative holding" in p for p in problems)
    assert any("state holding with order id" in p for p in problems)
