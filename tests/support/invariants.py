"""What must hold whatever was killed: checked Jepsen-style over the venue's own record.

The venue's audit log (`Simulator.GetAuditLog`) is every order it accepted, every cancel
and every fill, in one order over all accounts. Replaying it gives the ground truth the
chaos tests judge gridops by, with no trust in what the engines say about themselves:

- `history`: each client order id accepted at most once; never two live orders of one
  strategy on one side and price; nothing filled or cancelled that was not open; never
  more filled than ordered;
- `positions`: each strategy's position (its engine's `/status`) is the sum of its fills;
- `open_orders`: an engine that says it is synced knows exactly the orders the venue has
  open for it;
- `quiet`: no order while a strategy was paused, no entry while it was halted;
- `deleted`: no order of a deleted strategy left open.

A violation names the invariant, what broke, and the audit lines involved, so a failure
can be read without a debugger. Pure: rows in, violations out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from gridops import order_ids

KINDS = {1: "order", 2: "cancel", 3: "fill"}
SIDES = {1: "BUY", 2: "SELL"}


@dataclass(frozen=True, slots=True)
class AuditRow:
    sequence: int
    account: str
    kind: str  #: order, cancel or fill
    time: datetime
    symbol: str
    order_id: str
    client_order_id: str
    side: str  #: BUY or SELL
    price: Decimal
    quantity: Decimal
    trade_id: str = ""

    @classmethod
    def from_pb(cls, entry: Any) -> AuditRow:
        return cls(
            sequence=entry.sequence,
            account=entry.account,
            kind=KINDS.get(entry.kind, str(entry.kind)),
            time=entry.time.ToDatetime(tzinfo=UTC),
            symbol=entry.symbol,
            order_id=entry.order_id,
            client_order_id=entry.client_order_id,
            side=SIDES.get(entry.side, str(entry.side)),
            price=Decimal(entry.price or "0"),
            quantity=Decimal(entry.quantity or "0"),
            trade_id=entry.trade_id,
        )

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> AuditRow:
        """A row as a probe printed it (the AuditEntry's fields, time in ISO 8601)."""
        when = datetime.fromisoformat(row["time"])
        return cls(
            sequence=int(row["sequence"]),
            account=row["account"],
            kind=KINDS.get(row["kind"], str(row["kind"])),
            time=when if when.tzinfo else when.replace(tzinfo=UTC),
            symbol=row["symbol"],
            order_id=row["order_id"],
            client_order_id=row["client_order_id"],
            side=SIDES.get(row["side"], str(row["side"])),
            price=Decimal(row["price"] or "0"),
            quantity=Decimal(row["quantity"] or "0"),
            trade_id=row.get("trade_id", ""),
        )

    @property
    def strategy(self) -> str | None:
        return order_ids.strategy_of(self.client_order_id)

    @property
    def is_entry(self) -> bool:
        """An order that opens a position: a long slot's buy, a short slot's sell."""
        split = order_ids.split_id(self.client_order_id)
        letter = split[1].letter if split is not None else "B"
        return (letter == "B") == (self.side == "BUY")

    def line(self) -> str:
        return (
            f"#{self.sequence} {self.time.isoformat(timespec='milliseconds')} {self.account} "
            f"{self.kind} {self.client_order_id} ({self.order_id}) {self.side} "
            f"{self.quantity} {self.symbol} @ {self.price}"
            + (f" trade {self.trade_id}" if self.trade_id else "")
        )


@dataclass(frozen=True, slots=True)
class Violation:
    invariant: str
    detail: str
    rows: tuple[AuditRow, ...] = ()

    def __str__(self) -> str:
        lines = [f"[{self.invariant}] {self.detail}"]
        lines.extend(f"    {row.line()}" for row in self.rows)
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Window:
    """A time a strategy must place nothing (paused) or no entry (halted)."""

    strategy: str
    what: str  #: paused or halted
    start: datetime
    end: datetime | None = None  #: None: until the end of the log


@dataclass(slots=True)
class _Order:
    accepted: AuditRow
    filled: Decimal = Decimal(0)
    rows: list[AuditRow] = field(default_factory=list)


@dataclass(slots=True)
class Replay:
    """The venue's orders after the log, and what the replay found on the way."""

    open: dict[tuple[str, str], _Order] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)

    def open_ids(self, strategy: str) -> set[str]:
        return {
            o.accepted.client_order_id
            for o in self.open.values()
            if o.accepted.strategy == strategy
        }


def history(rows: Iterable[AuditRow], strategies: Iterable[str] = ()) -> Replay:
    """Replay the log; `strategies` (empty: every grid id's) narrows the per-id checks."""
    wanted = set(strategies)
    replay = Replay()
    accepted: dict[tuple[str, str], AuditRow] = {}
    live_level: dict[tuple[str, str, str, Decimal], AuditRow] = {}
    for row in rows:
        key = (row.account, row.order_id)
        strategy = row.strategy
        mine = strategy is not None and (not wanted or strategy in wanted)
        if row.kind == "order":
            seen = accepted.get((row.account, row.client_order_id))
            if mine and seen is not None:
                replay.violations.append(Violation(
                    "id accepted at most once",
                    f"client order id {row.client_order_id} accepted twice",
                    (seen, row),
                ))  # fmt: skip
            accepted[(row.account, row.client_order_id)] = row
            if mine and strategy is not None:
                level = (row.account, strategy, row.side, row.price)
                other = live_level.get(level)
                if other is not None:
                    replay.violations.append(Violation(
                        "one live order per level",
                        f"strategy {strategy}: two live {row.side} orders at {row.price}",
                        (other, row),
                    ))  # fmt: skip
                live_level[level] = row
            replay.open[key] = _Order(row, rows=[row])
            continue
        order = replay.open.get(key)
        if order is None:
            if mine:
                replay.violations.append(Violation(
                    "nothing happens to a closed order",
                    f"{row.kind} of {row.client_order_id}, which is not open",
                    (row,),
                ))  # fmt: skip
            continue
        order.rows.append(row)
        if row.kind == "fill":
            order.filled += row.quantity
            if order.filled > order.accepted.quantity and mine:
                replay.violations.append(Violation(
                    "never more filled than ordered",
                    f"{row.client_order_id}: {order.filled} filled of {order.accepted.quantity}",
                    tuple(order.rows),
                ))  # fmt: skip
            if order.filled < order.accepted.quantity:
                continue
        del replay.open[key]
        accepted_row = order.accepted
        if accepted_row.strategy is not None:
            level = (row.account, accepted_row.strategy, accepted_row.side, accepted_row.price)
            if live_level.get(level) is accepted_row:
                del live_level[level]
    return replay


def fills_position(rows: Iterable[AuditRow], strategy: str) -> Decimal:
    return sum(
        (
            row.quantity if row.side == "BUY" else -row.quantity
            for row in rows
            if row.kind == "fill" and row.strategy == strategy
        ),
        Decimal(0),
    )


def positions(rows: Sequence[AuditRow], reported: Mapping[str, Decimal]) -> list[Violation]:
    """Each strategy's reported position against the sum of its fills on the venue."""
    violations = []
    for strategy, position in sorted(reported.items()):
        filled = fills_position(rows, strategy)
        if filled != position:
            fills = tuple(r for r in rows if r.kind == "fill" and r.strategy == strategy)
            violations.append(Violation(
                "position is the sum of fills",
                f"strategy {strategy}: engine says {position}, its fills sum to {filled}",
                fills[-10:],
            ))  # fmt: skip
    return violations


def open_orders(replay: Replay, reported: Mapping[str, Iterable[str]]) -> list[Violation]:
    """A synced engine's open orders (client ids) against the venue's, per strategy."""
    violations = []
    for strategy, ids in sorted(reported.items()):
        engine, venue = set(ids), replay.open_ids(strategy)
        if engine != venue:
            involved = tuple(
                o.accepted for o in replay.open.values()
                if o.accepted.client_order_id in venue - engine
            )  # fmt: skip
            violations.append(Violation(
                "engine and venue agree once synced",
                f"strategy {strategy}: only the venue has {sorted(venue - engine)}, "
                f"only the engine has {sorted(engine - venue)}",
                involved,
            ))  # fmt: skip
    return violations


def quiet(rows: Iterable[AuditRow], windows: Sequence[Window]) -> list[Violation]:
    """No order of a paused strategy, no entry of a halted one, inside their windows."""
    violations = []
    by_strategy: defaultdict[str, list[Window]] = defaultdict(list)
    for window in windows:
        by_strategy[window.strategy].append(window)
    for row in rows:
        strategy = row.strategy
        if row.kind != "order" or strategy is None or strategy not in by_strategy:
            continue
        for window in by_strategy[strategy]:
            inside = window.start <= row.time and (window.end is None or row.time < window.end)
            if inside and (window.what == "paused" or row.is_entry):
                violations.append(Violation(
                    f"no order while {window.what}",
                    f"strategy {row.strategy} placed {row.client_order_id} while {window.what} "
                    f"(since {window.start.isoformat()})",
                    (row,),
                ))  # fmt: skip
    return violations


def deleted(replay: Replay, strategies: Iterable[str]) -> list[Violation]:
    """Every order of a deleted strategy is closed on the venue."""
    violations = []
    for strategy in sorted(set(strategies)):
        left = tuple(o.accepted for o in replay.open.values() if o.accepted.strategy == strategy)
        if left:
            violations.append(Violation(
                "a deleted strategy leaves nothing open",
                f"strategy {strategy}: {len(left)} orders still open",
                left,
            ))  # fmt: skip
    return violations


def report(violations: Sequence[Violation], seed: int | None = None) -> str:
    head = f"{len(violations)} invariant violations" + (f" (seed {seed})" if seed else "")
    return "\n".join([head, *(str(v) for v in violations)])
