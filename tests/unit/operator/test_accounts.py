"""Strategies sharing an exchange account: the oldest one's settings rule."""

from __future__ import annotations

from gridops.operator.accounts import Peer, blocked_by, conflict, reference


def peer(name: str, created: str, digest: str = "h1", *, deleting: bool = False) -> Peer:
    return Peer(name, created, "sim-default", digest, deleting)


def test_the_oldest_live_strategy_is_the_reference() -> None:
    a = peer("a", "2026-12-01T10:00:00Z")
    b = peer("b", "2026-12-01T09:00:00Z")
    gone = peer("c", "2026-12-01T08:00:00Z", deleting=True)
    other = Peer("d", "2026-12-01T07:00:00Z", "binance-main", "h9")
    assert reference("sim-default", [a, b, gone, other]) == b


def test_agreeing_strategies_do_not_conflict() -> None:
    assert conflict(peer("b", "2026-12-02T00:00:00Z"), [peer("a", "2026-12-01T00:00:00Z")]) is None


def test_a_newer_strategy_with_other_settings_conflicts_and_is_told_whom_to_match() -> None:
    message = conflict(peer("b", "2026-12-02T00:00:00Z", "h2"), [peer("a", "2026-12-01T00:00:00Z")])
    assert message is not None
    assert "a's" in message
    assert "sim-default" in message


def test_the_reference_itself_never_conflicts() -> None:
    assert (
        conflict(peer("a", "2026-12-01T00:00:00Z", "h2"), [peer("b", "2026-12-02T00:00:00Z")])
        is None
    )


def test_an_unsupported_exchange_is_blocked_before_any_conflict() -> None:
    found = blocked_by(peer("a", "t"), [], "binanse", frozenset({"sim", "binance"}))
    assert found is not None
    assert found[0] == "UnsupportedExchange"
    assert "spec.exchange.name: 'binanse' is neither" in found[1]
    assert blocked_by(peer("a", "t"), [], "sim", frozenset({"sim"})) is None
