"""RiskMonitor: circuit breaker, cooldown, stale data, drawdown, max position."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from typing import Any

from gridops.market_maker.domain.risk import RiskMonitor
from gridops.market_maker.domain.risk_state import RiskState
from gridops.market_maker.domain.slots import Direction
from gridops.spec import RiskSettings

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def monitor(**fields: Any) -> RiskMonitor:
    return RiskMonitor(RiskSettings(**fields), RiskState())


def test_fast_move_trips_and_names_it() -> None:
    risk = monitor()
    assert risk.on_price(D(50000), at(0)) is None
    state = risk.on_price(D(52600), at(0.8))
    assert state is not None
    assert state.halted
    assert state.reason == "price moved 5.2% in 0.8s (50000 -> 52600)"
    assert state.since == at(0.8)
    assert state.until == at(300.8)
    assert risk.state is state
    verdict = risk.verdict(D(0))
    assert not verdict.allow_entries
    assert not verdict.cancel_all
    assert verdict.reason == state.reason


def test_five_percent_within_one_second_trips_down_too() -> None:
    risk = monitor()
    risk.on_price(D(100), at(0))
    risk.on_price(D(99), at(0.5))
    state = risk.on_price(D(95), at(1.0))
    assert state is not None
    assert "100 -> 95" in state.reason


def test_same_move_spread_over_two_seconds_does_not_trip() -> None:
    risk = monitor(move_window_seconds=1)
    for i, price in enumerate(["100", "101.25", "102.5", "103.75", "105"]):
        assert risk.on_price(D(price), at(i * 0.5)) is None
    assert not risk.state.halted


def test_move_uses_the_extremes_within_the_window() -> None:
    risk = monitor(max_move_percent=D(3))
    risk.on_price(D(100), at(0))
    risk.on_price(D(102), at(0.2))
    risk.on_price(D(101), at(0.4))
    state = risk.on_price(D("98.9"), at(0.6))
    assert state is not None
    assert "(102 -> 98.9)" in state.reason


def test_cooldown_clears_by_itself() -> None:
    risk = monitor(cooldown_seconds=10)
    risk.on_price(D(100), at(0))
    risk.on_price(D(110), at(0.5))
    assert risk.check(at(5), D(0), D(0), at(5)) is None
    cleared = risk.check(at(10.5), D(0), D(0), at(10.5))
    assert cleared == RiskState()
    assert risk.verdict(D(0)).allow_entries
    # The tripping move is forgotten: the next price does not trip again at once.
    assert risk.on_price(D(110), at(10.6)) is None


def test_cooldown_zero_only_the_user_clears() -> None:
    risk = monitor(cooldown_seconds=0, cancel_on_halt=True)
    risk.on_price(D(100), at(0))
    state = risk.on_price(D(90), at(0.1))
    assert state is not None
    assert state.until is None
    assert risk.verdict(D(0)).cancel_all
    assert risk.check(at(10**6), D(0), D(0), at(10**6)) is None
    assert risk.clear(at(10**6)) == RiskState()
    assert not risk.state.halted


def test_halted_does_not_trip_again() -> None:
    risk = monitor()
    risk.on_price(D(100), at(0))
    assert risk.on_price(D(90), at(0.1)) is not None
    assert risk.on_price(D(80), at(0.2)) is None


def test_stale_data_trips() -> None:
    risk = monitor(stale_data_seconds=30)
    assert risk.check(at(30), D(0), D(0), at(0)) is None
    state = risk.check(at(31), D(0), D(0), at(0))
    assert state is not None
    assert state.reason == "no price for 31s (staleDataSeconds 30)"
    assert risk.check(at(31), D(0), D(0), None) is None  # already halted


def test_drawdown_trips() -> None:
    risk = monitor(max_drawdown=D(100))
    assert risk.check(at(1), D(0), D("-99.99"), at(1)) is None
    state = risk.check(at(2), D(0), D(-100), at(2))
    assert state is not None
    assert state.reason == "PnL -100 reached the max drawdown 100"


def test_max_position_holds_the_growing_side_without_halting() -> None:
    risk = monitor(max_position=D("0.1"))
    assert risk.verdict(D("0.099")).allows(Direction.LONG)
    for position, held, free in (
        (D("0.1"), Direction.LONG, Direction.SHORT),
        (D("-0.2"), Direction.SHORT, Direction.LONG),
    ):
        verdict = risk.verdict(position)
        assert not verdict.allows(held)
        assert verdict.allows(free)  # entries that shrink |position| still go out
        assert not verdict.cancel_all
        assert "maxPosition 0.1" in verdict.reason
        assert f"no {held.name.lower()} entries" in verdict.reason
    assert not risk.state.halted


def test_a_halt_holds_both_sides() -> None:
    risk = monitor(max_position=D("0.1"))
    risk.on_price(D(100), at(0))
    risk.on_price(D(110), at(0.1))
    verdict = risk.verdict(D("0.5"))
    assert not verdict.allows(Direction.LONG)
    assert not verdict.allows(Direction.SHORT)


def test_restored_state_is_kept() -> None:
    tripped = RiskState(halted=True, reason="x", since=at(0), until=at(300))
    risk = RiskMonitor(RiskSettings(), tripped)
    assert risk.state is tripped
    assert not risk.verdict(D(0)).allow_entries


def test_a_price_held_for_a_while_then_a_jump_trips() -> None:
    # Quiet market: one price, then nothing for ten seconds, then a gap. Within the last
    # second the price went from 50000 (still in effect) to 52600: that is a 5.2% move.
    risk = monitor()
    assert risk.on_price(D("50000"), at(0)) is None
    tripped = risk.on_price(D("52600"), at(10))
    assert tripped is not None
    assert tripped.halted
    assert "5.2%" in tripped.reason
    assert "in 1s" in tripped.reason


def test_a_slow_drift_between_sparse_prices_still_does_not_trip() -> None:
    risk = monitor()
    for second, price in enumerate(("50000", "51000", "52000", "53000", "54000")):
        assert risk.on_price(D(price), at(second * 2)) is None


def test_just_under_the_limit_does_not_trip_either_way() -> None:
    for moved in ("104.99", "95.01"):
        risk = monitor(max_move_percent=D(5))
        risk.on_price(D(100), at(0))
        assert risk.on_price(D(moved), at(0.2)) is None
        assert not risk.state.halted


def test_a_price_exactly_one_window_old_still_counts() -> None:
    risk = monitor(move_window_seconds=1)
    risk.on_price(D(100), at(0))
    state = risk.on_price(D(105), at(1))
    assert state is not None
    assert "100 -> 105" in state.reason
