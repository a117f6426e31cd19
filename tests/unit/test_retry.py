"""gridops.retry.Backoff: capped exponential delays with jitter in [cap/2, cap]."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridops.retry import Backoff


def caps(backoff: Backoff, n: int) -> list[float]:
    """The caps of the first n attempts of a fresh `backoff`."""
    return [
        min(backoff.maximum, backoff.initial * backoff.multiplier**attempt) for attempt in range(n)
    ]


def test_defaults() -> None:
    backoff = Backoff()
    assert backoff.initial == 0.1
    assert backoff.maximum == 5.0
    assert backoff.multiplier == 2.0
    assert backoff.attempt == 0


def test_delays_stay_within_half_cap_and_cap() -> None:
    backoff = Backoff(initial=0.1, maximum=5.0, multiplier=2.0, rng=random.Random(7))
    expected_caps = [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0, 5.0]
    assert caps(backoff, 10) == pytest.approx(expected_caps)
    for cap in expected_caps:
        delay = backoff.next_delay()
        assert cap / 2 <= delay <= cap


def test_delays_grow_geometrically_to_the_maximum() -> None:
    # An rng that always draws the top of the range exposes the caps themselves.
    class Top(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b

    backoff = Backoff(initial=1.0, maximum=10.0, multiplier=3.0, rng=Top())
    assert [backoff.next_delay() for _ in range(5)] == [1.0, 3.0, 9.0, 10.0, 10.0]


def test_delays_never_exceed_the_maximum_even_after_many_attempts() -> None:
    backoff = Backoff(initial=0.5, maximum=2.0, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(1000)]
    assert max(delays) <= 2.0
    assert min(delays[10:]) >= 1.0  # capped: always in [max/2, max]
    assert backoff.attempt == 1000


def test_reset_restarts_from_the_initial_delay() -> None:
    backoff = Backoff(initial=0.1, maximum=5.0, rng=random.Random(3))
    for _ in range(8):
        backoff.next_delay()
    assert backoff.next_delay() >= 2.5
    backoff.reset()
    assert backoff.attempt == 0
    first = backoff.next_delay()
    assert 0.05 <= first <= 0.1
    assert backoff.attempt == 1


def test_seeded_rng_is_deterministic() -> None:
    a = Backoff(rng=random.Random(42))
    b = Backoff(rng=random.Random(42))
    c = Backoff(rng=random.Random(43))
    seq_a = [a.next_delay() for _ in range(20)]
    seq_b = [b.next_delay() for _ in range(20)]
    seq_c = [c.next_delay() for _ in range(20)]
    assert seq_a == seq_b
    assert seq_a != seq_c


def test_seeded_rng_is_deterministic_across_reset() -> None:
    rng_seed = 5
    backoff = Backoff(rng=random.Random(rng_seed))
    first_run = [backoff.next_delay() for _ in range(3)]
    backoff.reset()
    second_run = [backoff.next_delay() for _ in range(3)]
    # Same caps, but the rng moved on: the jitter differs and each stays in range.
    assert first_run != second_run
    reference = Backoff(rng=random.Random(rng_seed))
    assert [reference.next_delay() for _ in range(3)] == first_run


def test_instances_do_not_share_state() -> None:
    a = Backoff()
    b = Backoff()
    assert a.rng is not b.rng
    a.next_delay()
    assert b.attempt == 0


@given(
    initial=st.floats(min_value=0.001, max_value=10.0),
    maximum=st.floats(min_value=0.001, max_value=100.0),
    multiplier=st.floats(min_value=1.0, max_value=4.0),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_every_delay_is_within_its_cap(
    initial: float, maximum: float, multiplier: float, seed: int
) -> None:
    backoff = Backoff(initial=initial, maximum=maximum, multiplier=multiplier)
    backoff.rng = random.Random(seed)
    for cap in caps(backoff, 40):
        delay = backoff.next_delay()
        assert cap / 2 <= delay <= cap
        assert delay <= maximum
