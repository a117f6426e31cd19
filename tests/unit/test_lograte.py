"""LogBudget: every line while events are rare, a count of the skipped ones in a flood."""

from __future__ import annotations

from gridops.lograte import LogBudget, skipped


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_lines_pass_while_rare_and_a_flood_is_counted() -> None:
    clock = Clock()
    budget = LogBudget(burst=3, period=30.0, clock=clock)
    assert [budget.take() for _ in range(3)] == [0, 0, 0]
    assert [budget.take() for _ in range(5)] == [None] * 5
    clock.now += 10.0  # one line's worth of refill (3 per 30 s)
    assert budget.take() == 5  # let through, saying how many were skipped
    assert budget.take() is None
    clock.now += 1000.0  # refills up to the burst, no more
    assert [budget.take() for _ in range(4)] == [1, 0, 0, None]


def test_the_suffix_says_nothing_when_nothing_was_skipped() -> None:
    assert skipped(0) == ""
    assert skipped(7) == " (7 similar lines skipped)"
