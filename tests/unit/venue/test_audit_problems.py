"""The audit-log invariant check that venue tests (and the connector's) rely on."""

from __future__ import annotations

from gridops.v1 import simulator_pb2 as spb
from tests.support.venue import audit_problems

ORDER, CANCEL, FILL = spb.AUDIT_ORDER, spb.AUDIT_CANCEL, spb.AUDIT_FILL


def _entry(
    n: int, kind: spb.AuditKind.ValueType, order: str, client: str, quantity: str
) -> spb.AuditEntry:
    return spb.AuditEntry(
        sequence=n, account="k", kind=kind, order_id=order, client_order_id=client,
        quantity=quantity,
    )  # fmt: skip


def test_a_clean_log_has_no_problems() -> None:
    log = [
        _entry(1, ORDER, "sim-1", "a", "2"),
        _entry(2, FILL, "sim-1", "a", "1"),
        _entry(3, CANCEL, "sim-1", "a", "1"),
        _entry(4, ORDER, "sim-2", "a", "1"),  # the id again, once the first is closed
        _entry(5, FILL, "sim-2", "a", "1"),
    ]
    assert audit_problems(log) == []


def test_each_broken_invariant_is_named() -> None:
    log = [
        _entry(1, ORDER, "sim-1", "a", "1"),
        _entry(2, ORDER, "sim-2", "a", "1"),  # while sim-1 is open
        _entry(3, FILL, "sim-1", "a", "2"),  # above the quantity
        _entry(4, CANCEL, "sim-1", "a", "0"),  # after it closed
        _entry(5, FILL, "sim-9", "b", "1"),  # never accepted
    ]
    problems = audit_problems(log)
    assert len(problems) == 4
    assert "while sim-1 is open" in problems[0]
    assert "filled 2 of 1" in problems[1]
    assert "after the order closed" in problems[2]
    assert "never accepted" in problems[3]
