"""Random price paths and fills, executed against a tiny fake exchange, keep the book
consistent, and rebuilding from the exchange's history reaches the same book."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal as D

from hypothesis import event, given, settings
from hypothesis import strategies as st

from gridops.decimals import floor_to_step
from gridops.market_maker.domain.book import GridBook, check_invariants, rebuild
from gridops.market_maker.domain.grid import GridSpec
from gridops.market_maker.domain.slots import (
    Action,
    CancelAction,
    Direction,
    PlaceAction,
    RiskVerdict,
    Slot,
    SlotKey,
    SlotState,
)
from gridops.models import Fill, Order, OrderStatus, Side

from .test_mm_fixtures import PREFIX, T0, make_spec, order

STEP = D("0.001")


@dataclass
class FakeExchange:
    """Orders and fills, nothing more; it checks what a real account would refuse."""

    neutral: bool
    orders: dict[str, Order] = field(default_factory=dict)
    fills: list[Fill] = field(default_factory=list)
    base: D = D(0)  # net base position from fills
    events: list[Fill | Order] = field(default_factory=list)

    def open_orders(self) -> list[Order]:
        return [o for o in self.orders.values() if o.is_open]

    def place(self, action: PlaceAction) -> Order:
        assert action.client_order_id not in self.orders, "client order id reused"
        if action.side is Side.SELL and not self.neutral:
            selling = sum((o.remaining for o in self.open_orders() if o.side is Side.SELL), D(0))
            assert selling + action.quantity <= self.base, "long mode sells more than it holds"
        placed = order(action.client_order_id, action.side, action.price, action.quantity)
        self.orders[action.client_order_id] = placed
        self.events.append(placed)
        return placed

    def cancel(self, client_order_id: str) -> Order:
        current = self.orders[client_order_id]
        assert current.is_open
        return self._update(replace(current, status=OrderStatus.CANCELED))

    def fill(self, client_order_id: str, quantity: D) -> tuple[Fill, Order]:
        current = self.orders[client_order_id]
        filled = current.filled_quantity + quantity
        status = OrderStatus.FILLED if filled == current.quantity else OrderStatus.PARTIALLY_FILLED
        trade = Fill(
            trade_id=f"tr{len(self.fills) + 1}",
            order_id=current.order_id,
            client_order_id=client_order_id,
            symbol=current.symbol,
            side=current.side,
            price=current.price,
            quantity=quantity,
            fee=(current.price * quantity / 1000).quantize(D("0.00000001")),
            fee_asset="USDT",
            maker=True,
            time=T0 + timedelta(seconds=len(self.fills)),
        )
        self.fills.append(trade)
        self.events.append(trade)
        self.base += quantity if current.side is Side.BUY else -quantity
        if not self.neutral:
            assert self.base >= 0, "long mode sold more than it held"
        return trade, self._update(replace(current, filled_quantity=filled, status=status))

    def _update(self, updated: Order) -> Order:
        self.orders[updated.client_order_id] = updated
        self.events.append(updated)
        return updated


# An operation is (kind, a, b); the kind list repeats kinds to weight them, since
# most of what matters happens on fills.
KINDS = ["price", "price", "fill", "fill", "fill", "fill", "fill", "pause", "verdict"]
KINDS += ["reject", "external_cancel", "replay", "late_fill"]
Operation = st.tuples(st.sampled_from(KINDS), st.integers(0, 500), st.integers(0, 4))

VERDICTS = [
    RiskVerdict(),
    RiskVerdict(),
    RiskVerdict(),
    RiskVerdict(allow_entries=False, reason="halted"),
    RiskVerdict(allow_entries=False, cancel_all=True, reason="halted"),
]


def _execute(book: GridBook, exchange: FakeExchange, actions: list[Action], reject: int) -> None:
    for action in actions:
        if isinstance(action, CancelAction):
            book.apply_order(exchange.cancel(action.client_order_id))
            continue
        book.mark_pending(action)
        if reject == 1:
            # Refused before the exchange saw it (e.g. a post-only order would cross).
            book.mark_rejected(action.client_order_id)
            reject = 0
            continue
        book.apply_order(exchange.place(action))


def _significant(book: GridBook) -> dict[SlotKey, Slot]:
    """Slots with anything in them, sequence ignored (canceled-unfilled ids leave no
    trace in the exchange history)."""
    empty = Slot(0, Direction.LONG)
    result = {}
    for key, slot in book.slots.items():
        bare = replace(slot, sequence=0)
        if bare != replace(empty, level=slot.level, direction=slot.direction):
            result[key] = bare
    return result


def _shape(actions: list[Action]) -> list[tuple[object, ...]]:
    return [
        ("cancel", a.slot, a.client_order_id)
        if isinstance(a, CancelAction)
        else ("place", a.slot, a.side, a.price, a.quantity, a.is_exit)
        for a in actions
    ]


def _check(
    book: GridBook,
    exchange: FakeExchange,
    spec: GridSpec,
    price: D,
    plan_args: tuple[RiskVerdict, bool],
) -> None:
    assert check_invariants(book) == []
    totals = book.totals(price)
    held = sum(
        (s.holding if s.direction is Direction.LONG else -s.holding for s in book.slots.values()),
        D(0),
    )
    assert totals.position == held == exchange.base
    if not spec.neutral:
        assert all(s.direction is Direction.LONG for s in book.slots.values() if s.holding)
    assert totals.open_orders == len(exchange.open_orders())
    rebuilt = rebuild(PREFIX, spec, list(reversed(exchange.fills)), exchange.open_orders())
    assert _significant(rebuilt) == _significant(book)
    assert rebuilt.applied == book.applied
    assert _shape(rebuilt.plan(price, *plan_args)) == _shape(book.plan(price, *plan_args))


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    neutral=st.booleans(),
    buy_window=st.integers(1, 4),
    sell_window=st.integers(1, 4),
    operations=st.lists(Operation, min_size=20, max_size=100),
)
def test_random_sessions_keep_the_book_consistent(
    neutral: bool, buy_window: int, sell_window: int, operations: list[tuple[str, int, int]]
) -> None:
    spec = make_spec(
        mode="neutral" if neutral else "long",
        order_quantity=D("0.01"),
        buy_window=buy_window,
        sell_window=sell_window,
    )
    book = GridBook(PREFIX, spec)
    exchange = FakeExchange(neutral=neutral)
    price, verdict, paused, reject = D(1000), VERDICTS[0], False, 0
    held_back: list[Fill] = []
    for kind, a, b in operations:
        if kind == "price":
            price = D(1000) + D("2.5") * (a % 81 - 40)  # 900..1100, sometimes on a level
        elif kind == "fill":
            open_orders = sorted(exchange.open_orders(), key=lambda o: o.client_order_id)
            if open_orders:
                target = open_orders[a % len(open_orders)]
                # b: 0 fills all that is left, 1..3 a quarter to three quarters of it
                quantity = floor_to_step(target.remaining * (b % 4) / 4, STEP) or target.remaining
                trade, updated = exchange.fill(target.client_order_id, quantity)
                book.apply_fill(trade)
                book.apply_order(updated)
        elif kind == "pause":
            paused = b == 0  # paused one time in five
        elif kind == "verdict":
            verdict = VERDICTS[b]
        elif kind == "reject":
            reject = b  # 1: the next placement is refused
        elif kind == "external_cancel":
            open_orders = sorted(exchange.open_orders(), key=lambda o: o.client_order_id)
            if open_orders:
                target = open_orders[a % len(open_orders)]
                book.apply_order(exchange.cancel(target.client_order_id))
        elif kind == "late_fill":
            # The order's final status arrives before its last fill: the book must not
            # act on holdings that fill is about to change (sell what is already sold).
            open_orders = sorted(exchange.open_orders(), key=lambda o: o.client_order_id)
            if open_orders:
                target = open_orders[a % len(open_orders)]
                quantity = floor_to_step(target.remaining * (b % 4) / 4, STEP) or target.remaining
                trade, updated = exchange.fill(target.client_order_id, quantity)
                if updated.is_open:
                    updated = exchange.cancel(target.client_order_id)
                book.apply_order(updated)
                held_back.append(trade)
        elif kind == "replay" and exchange.events:
            # Streams repeat themselves after reconnects: old news must change nothing.
            old = exchange.events[a % len(exchange.events)]
            before = _significant(book)
            if isinstance(old, Fill):
                book.apply_fill(old)
            else:
                book.apply_order(old)
            assert _significant(book) == before
        _execute(book, exchange, book.plan(price, verdict, paused), reject)
        reject = 0
        for trade in held_back:
            book.apply_fill(trade)
        held_back.clear()
        assert not any(
            s.state in (SlotState.ENTRY_PENDING, SlotState.EXIT_PENDING)
            for s in book.slots.values()
        )
        _check(book, exchange, spec, price, (verdict, paused))
    event(f"fills: {min(len(exchange.fills) // 10 * 10, 30)}+")
    for seen in sorted(_notable(exchange)):
        event(seen)


def _notable(exchange: FakeExchange) -> set[str]:
    """What a session exercised, for --hypothesis-show-statistics."""
    seen = set()
    for item in exchange.events:
        if isinstance(item, Order):
            if item.status is OrderStatus.PARTIALLY_FILLED:
                seen.add("partial fill")
            if item.status is OrderStatus.CANCELED and item.filled_quantity:
                seen.add("cancel after a partial fill")
            if item.side is Side.SELL and item.client_order_id.split("-")[2] == "B":
                seen.add("long exit placed")
            if item.side is Side.BUY and item.client_order_id.split("-")[2] == "S":
                seen.add("short exit placed")
    return seen
