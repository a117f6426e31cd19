"""The chaos invariant checker (tests/support/invariants.py) on hand-made audit logs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

from tests.support import invariants
from tests.support.invariants import AuditRow, Window

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


class Log:
    def __init__(self) -> None:
        self.rows: list[AuditRow] = []
        self._sequence = count(1)
        self._order_ids = count(100)
        self.ids: dict[str, str] = {}

    def _row(self, kind: str, client_id: str, side: str, price: str, quantity: str,
             order_id: str, seconds: float = 0, trade: str = "") -> AuditRow:  # fmt: skip
        sequence = next(self._sequence)
        row = AuditRow(
            sequence, "acct", kind, T0 + timedelta(seconds=seconds or sequence), "BTC/USDT",
            order_id, client_id, side, Decimal(price), Decimal(quantity), trade,
        )  # fmt: skip
        self.rows.append(row)
        return row

    def order(self, client_id: str, side: str = "BUY", price: str = "100",
              quantity: str = "1", seconds: float = 0) -> AuditRow:  # fmt: skip
        order_id = str(next(self._order_ids))
        self.ids[client_id] = order_id
        return self._row("order", client_id, side, price, quantity, order_id, seconds)

    def fill(self, client_id: str, side: str = "BUY", quantity: str = "1") -> AuditRow:
        trade = f"t{len(self.rows)}"
        return self._row("fill", client_id, side, "100", quantity, self.ids[client_id],
                         trade=trade)  # fmt: skip

    def cancel(self, client_id: str) -> AuditRow:
        return self._row("cancel", client_id, "BUY", "100", "1", self.ids[client_id])


def test_a_clean_history_has_no_violation() -> None:
    log = Log()
    log.order("btc-1-B-1")
    log.fill("btc-1-B-1")
    log.order("btc-2-B-1", price="105")
    log.cancel("btc-2-B-1")
    log.order("btc-2-B-2", price="105")  # the same level again, once the first is gone
    replay = invariants.history(log.rows)
    assert replay.violations == []
    assert replay.open_ids("btc") == {"btc-2-B-2"}


def test_an_id_accepted_twice_is_named_with_both_lines() -> None:
    log = Log()
    first = log.order("btc-1-B-1")
    log.cancel("btc-1-B-1")
    second = log.order("btc-1-B-1")
    [violation] = invariants.history(log.rows).violations
    assert violation.invariant == "id accepted at most once"
    assert violation.rows == (first, second)
    assert first.line() in str(violation)


def test_two_live_orders_of_one_strategy_on_one_level() -> None:
    log = Log()
    log.order("btc-1-B-1")
    log.order("btc-1-B-2")  # same side and price while the first is open
    log.order("eth-1-B-1")  # another strategy may
    [violation] = invariants.history(log.rows).violations
    assert violation.invariant == "one live order per level"
    assert "strategy btc" in violation.detail


def test_overfills_and_acts_on_closed_orders() -> None:
    log = Log()
    log.order("btc-1-B-1")
    log.fill("btc-1-B-1")
    log.cancel("btc-1-B-1")
    found = {v.invariant for v in invariants.history(log.rows).violations}
    assert found == {"nothing happens to a closed order"}
    log = Log()
    log.order("btc-1-B-1", quantity="1")
    log.fill("btc-1-B-1", quantity="0.6")
    log.fill("btc-1-B-1", quantity="0.6")
    found = {v.invariant for v in invariants.history(log.rows).violations}
    assert "never more filled than ordered" in found


def test_ids_of_other_strategies_or_no_strategy_can_be_left_out() -> None:
    log = Log()
    log.order("by-hand")
    log.order("by-hand")
    log.order("eth-1-B-1")
    log.order("eth-1-B-2")
    assert invariants.history(log.rows, ["btc"]).violations == []


def test_position_is_the_signed_sum_of_fills() -> None:
    log = Log()
    log.order("btc-1-B-1")
    log.fill("btc-1-B-1", quantity="0.5")
    log.order("btc-1-B-2", side="SELL", price="110")
    log.fill("btc-1-B-2", side="SELL", quantity="0.2")
    assert invariants.fills_position(log.rows, "btc") == Decimal("0.3")
    assert invariants.positions(log.rows, {"btc": Decimal("0.3")}) == []
    [violation] = invariants.positions(log.rows, {"btc": Decimal("0.5")})
    assert "fills sum to 0.3" in violation.detail
    assert len(violation.rows) == 2


def test_engine_and_venue_open_orders_must_agree() -> None:
    log = Log()
    log.order("btc-1-B-1")
    log.order("btc-2-B-1", price="105")
    replay = invariants.history(log.rows)
    assert invariants.open_orders(replay, {"btc": ["btc-1-B-1", "btc-2-B-1"]}) == []
    [violation] = invariants.open_orders(replay, {"btc": ["btc-1-B-1", "btc-3-B-1"]})
    assert "only the venue has ['btc-2-B-1']" in violation.detail
    assert "only the engine has ['btc-3-B-1']" in violation.detail


def test_paused_means_no_order_halted_means_no_entry() -> None:
    log = Log()
    log.order("btc-1-B-1", seconds=5)  # before the pause
    log.order("btc-2-B-1", seconds=15)  # paused: refused
    log.order("btc-3-B-1", side="SELL", seconds=25)  # halted, an exit of a long slot: fine
    log.order("btc-4-B-1", seconds=26)  # halted, an entry: not fine
    log.order("btc-5-S-1", side="SELL", seconds=27)  # halted, a short slot's entry
    windows = [
        Window("btc", "paused", T0 + timedelta(seconds=10), T0 + timedelta(seconds=20)),
        Window("btc", "halted", T0 + timedelta(seconds=20)),
    ]
    found = [(v.invariant, v.rows[0].client_order_id) for v in invariants.quiet(log.rows, windows)]
    assert found == [
        ("no order while paused", "btc-2-B-1"),
        ("no order while halted", "btc-4-B-1"),
        ("no order while halted", "btc-5-S-1"),
    ]


def test_a_deleted_strategy_must_leave_nothing_open() -> None:
    log = Log()
    log.order("btc-1-B-1")
    log.order("eth-1-B-1")
    log.cancel("eth-1-B-1")
    replay = invariants.history(log.rows)
    assert invariants.deleted(replay, ["eth"]) == []
    [violation] = invariants.deleted(replay, ["btc", "eth"])
    assert violation.detail == "strategy btc: 1 orders still open"
    report = invariants.report([violation], seed=42)
    assert report.startswith("1 invariant violations (seed 42)")
    assert "btc-1-B-1" in report
