"""services/connector/fencing.py: one writer per strategy, on a fake clock."""

from __future__ import annotations

import pytest

from gridops import errors
from gridops.connector.fencing import Fencing


class Clock:
    """Monotonic seconds that move only when a test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fencing(clock: Clock) -> Fencing:
    return Fencing(clock)


def held(fencing: Fencing, prefix: str = "btc", token: int = 5, lease: int = 10) -> Fencing:
    fencing.claim(prefix, token, "mm-a", lease)
    return fencing


def token_of(fencing: Fencing, prefix: str) -> int | None:
    writer = dict(fencing.writers()).get(prefix)
    return None if writer is None else writer.token


# --- with a token ------------------------------------------------------------------------


def test_a_lower_token_is_refused_and_the_message_names_strategy_and_tokens(
    fencing: Fencing,
) -> None:
    held(fencing, token=5)
    with pytest.raises(errors.Fenced) as caught:
        fencing.check("btc", 4, "", "PlaceOrder")
    message = str(caught.value)
    assert message.startswith("fenced:")
    assert "'btc'" in message
    assert "mm-a" in message
    assert "fencing token 5" in message
    assert "older token 4" in message
    assert "PlaceOrder" in message
    assert fencing.refused == {("btc", "PlaceOrder"): 1}


def test_a_lower_token_is_refused_even_with_an_override(fencing: Fencing) -> None:
    # The override is for token-less cancels only: a stale writer never gets through.
    held(fencing, token=5)
    with pytest.raises(errors.Fenced):
        fencing.check("btc", 4, "gridops cancel --force by me@host", "CancelAllOrders")
    assert fencing.refused == {("btc", "CancelAllOrders"): 1}


def test_a_lower_token_is_refused_after_the_claim_expired(fencing: Fencing, clock: Clock) -> None:
    # Expiry only lets token-less calls through; the highest token is never forgotten.
    held(fencing, token=5, lease=10)
    clock.now += 60
    with pytest.raises(errors.Fenced):
        fencing.check("btc", 4, "", "PlaceOrder")


def test_the_same_token_passes(fencing: Fencing) -> None:
    held(fencing, token=5)
    fencing.check("btc", 5, "", "PlaceOrder")
    fencing.check("btc", 5, "", "CancelOrder")
    fencing.check("btc", 5, "", "CancelAllOrders")
    assert fencing.refused == {}
    assert token_of(fencing, "btc") == 5


def test_a_higher_token_passes_and_raises_the_highest(fencing: Fencing) -> None:
    held(fencing, token=5)
    fencing.check("btc", 7, "", "PlaceOrder")
    assert token_of(fencing, "btc") == 7
    with pytest.raises(errors.Fenced, match="fencing token 7"):
        fencing.check("btc", 5, "", "PlaceOrder")  # the claimant's own token is stale now


def test_a_token_for_an_unknown_strategy_passes_and_is_remembered(fencing: Fencing) -> None:
    fencing.check("eth", 3, "", "PlaceOrder")
    assert token_of(fencing, "eth") == 3
    with pytest.raises(errors.Fenced, match="'eth'"):
        fencing.check("eth", 2, "", "PlaceOrder")
    # Seen in a call is not a claim: token-less calls still pass.
    fencing.check("eth", 0, "", "CancelAllOrders")
    assert not fencing.any_live()


def test_tokens_are_per_strategy(fencing: Fencing) -> None:
    held(fencing, "btc", token=9)
    fencing.check("eth", 1, "", "PlaceOrder")
    assert token_of(fencing, "btc") == 9
    assert token_of(fencing, "eth") == 1


# --- without a token ---------------------------------------------------------------------


def test_no_token_is_refused_while_a_claim_is_live(fencing: Fencing, clock: Clock) -> None:
    held(fencing, token=5, lease=10)
    clock.now += 9.5
    with pytest.raises(errors.Fenced) as caught:
        fencing.check("btc", 0, "", "CancelAllOrders")
    message = str(caught.value)
    assert message.startswith("fenced:")
    assert "'btc'" in message
    assert "mm-a" in message
    assert "fencing token 5" in message
    assert "CancelAllOrders" in message
    assert "override" in message
    assert fencing.refused == {("btc", "CancelAllOrders"): 1}


def test_no_token_passes_with_an_override_while_a_claim_is_live(fencing: Fencing) -> None:
    held(fencing, token=5)
    fencing.check("btc", 0, "gridops cancel --force by me@host", "CancelAllOrders")
    fencing.check("btc", 0, "operator finalizer", "CancelOrder")
    assert fencing.refused == {}


def test_placing_has_no_override(fencing: Fencing) -> None:
    # The service passes "" for PlaceOrder; a token-less place is refused like any call.
    held(fencing, token=5)
    with pytest.raises(errors.Fenced, match="PlaceOrder"):
        fencing.check("btc", 0, "", "PlaceOrder")


def test_no_token_passes_without_any_claim(fencing: Fencing) -> None:
    fencing.check("btc", 0, "", "PlaceOrder")
    fencing.check_all("", "CancelAllOrders")
    assert fencing.refused == {}
    assert list(fencing.writers()) == []


def test_no_token_passes_once_the_claim_expired(fencing: Fencing, clock: Clock) -> None:
    held(fencing, token=5, lease=10)
    writer = dict(fencing.writers())["btc"]
    assert fencing.live(writer)
    clock.now += 10  # the lease's last instant: over
    assert not fencing.live(writer)
    assert not fencing.any_live()
    fencing.check("btc", 0, "", "CancelAllOrders")
    assert fencing.refused == {}


def test_no_token_passes_once_the_claim_is_released(fencing: Fencing) -> None:
    held(fencing, token=5, lease=10)
    released = fencing.claim("btc", 5, "mm-a", 0)
    assert released.token == 5
    assert not fencing.live(released)
    fencing.check("btc", 0, "", "CancelAllOrders")
    assert fencing.refused == {}
    # A release is not a step down: a stale writer stays fenced.
    with pytest.raises(errors.Fenced):
        fencing.check("btc", 4, "", "PlaceOrder")


def test_another_strategys_token_less_calls_are_unaffected(fencing: Fencing) -> None:
    held(fencing, "btc", token=5)
    fencing.check("eth", 0, "", "PlaceOrder")
    fencing.check("eth", 0, "", "CancelAllOrders")
    assert fencing.refused == {}


def test_every_strategy_without_a_token_is_refused_while_any_claim_is_live(
    fencing: Fencing, clock: Clock
) -> None:
    held(fencing, "btc", token=5, lease=100)
    held(fencing, "eth", token=2, lease=10)
    clock.now += 50  # eth's claim is over, btc's is not
    with pytest.raises(errors.Fenced, match="'btc'") as caught:
        fencing.check_all("", "CancelAllOrders")
    assert "'eth'" not in str(caught.value)
    assert fencing.refused == {("btc", "CancelAllOrders"): 1}
    fencing.check_all("operator finalizer", "CancelAllOrders")
    clock.now += 50
    fencing.check_all("", "CancelAllOrders")
    assert fencing.refused == {("btc", "CancelAllOrders"): 1}


def test_a_token_does_not_open_every_strategy(fencing: Fencing) -> None:
    # CancelAllOrders of every strategy: a token is one strategy's, so it is not asked.
    held(fencing, "btc", token=5)
    with pytest.raises(errors.Fenced, match="'btc'"):
        fencing.check_all("", "CancelAllOrders")


# --- claims ------------------------------------------------------------------------------


def test_a_claim_makes_the_strategy_live_for_its_lease(fencing: Fencing, clock: Clock) -> None:
    writer = fencing.claim("btc", 5, "mm-a", 30)
    assert (writer.token, writer.holder) == (5, "mm-a")
    assert writer.live_until == clock.now + 30
    assert fencing.any_live()


def test_renewing_with_the_same_token_extends_the_claim(fencing: Fencing, clock: Clock) -> None:
    held(fencing, token=5, lease=10)
    clock.now += 8
    fencing.claim("btc", 5, "mm-a", 10)
    clock.now += 8  # 16 s after the first claim, 8 after the renewal
    with pytest.raises(errors.Fenced):
        fencing.check("btc", 0, "", "CancelAllOrders")
    clock.now += 2
    fencing.check("btc", 0, "", "CancelAllOrders")


def test_a_higher_token_takes_over(fencing: Fencing) -> None:
    held(fencing, token=5)
    writer = fencing.claim("btc", 6, "mm-b", 10)
    assert (writer.token, writer.holder) == (6, "mm-b")
    assert fencing.live(writer)
    with pytest.raises(errors.Fenced, match="mm-b") as caught:
        fencing.check("btc", 5, "", "PlaceOrder")  # the old writer, back from a pause
    assert "fencing token 6" in str(caught.value)
    fencing.check("btc", 6, "", "PlaceOrder")


def test_a_claim_with_a_lower_token_is_refused(fencing: Fencing) -> None:
    held(fencing, token=5)
    with pytest.raises(errors.Fenced) as caught:
        fencing.claim("btc", 4, "mm-old", 10)
    message = str(caught.value)
    assert message.startswith("fenced:")
    assert "'btc'" in message
    assert "mm-a" in message
    assert "fencing token 5" in message
    assert "mm-old's token 4" in message
    assert fencing.refused == {("btc", "ClaimWriter"): 1}
    assert dict(fencing.writers())["btc"].holder == "mm-a"


def test_a_lower_claim_cannot_release_the_strategy(fencing: Fencing) -> None:
    held(fencing, token=5)
    with pytest.raises(errors.Fenced):
        fencing.claim("btc", 4, "mm-old", 0)
    assert fencing.any_live()


def test_a_claim_above_a_token_seen_in_calls(fencing: Fencing) -> None:
    fencing.check("btc", 5, "", "PlaceOrder")
    with pytest.raises(errors.Fenced):
        fencing.claim("btc", 4, "mm-a", 10)
    writer = fencing.claim("btc", 5, "mm-a", 10)
    assert fencing.live(writer)
    assert writer.holder == "mm-a"


def test_a_trailing_dash_names_the_same_strategy(fencing: Fencing) -> None:
    fencing.claim("btc-", 5, "mm-a", 10)
    assert [name for name, _ in fencing.writers()] == ["btc"]
    with pytest.raises(errors.Fenced):
        fencing.check("btc", 0, "", "PlaceOrder")


@pytest.mark.parametrize("token", [0, -1])
def test_a_claim_needs_a_token(fencing: Fencing, token: int) -> None:
    with pytest.raises(errors.InvalidArgument, match="fencing_token"):
        fencing.claim("btc", token, "mm-a", 10)
    assert list(fencing.writers()) == []


@pytest.mark.parametrize("prefix", ["", "-", "btc grid", "x" * 65])
def test_a_claim_needs_a_strategy_prefix(fencing: Fencing, prefix: str) -> None:
    with pytest.raises(errors.InvalidArgument, match="client_order_id_prefix"):
        fencing.claim(prefix, 5, "mm-a", 10)
    assert list(fencing.writers()) == []


def test_refusals_are_counted_per_strategy_and_call(fencing: Fencing) -> None:
    held(fencing, "btc", token=5)
    held(fencing, "eth", token=3)
    for _ in range(3):
        with pytest.raises(errors.Fenced):
            fencing.check("btc", 1, "", "PlaceOrder")
    with pytest.raises(errors.Fenced):
        fencing.check("btc", 0, "", "CancelOrder")
    with pytest.raises(errors.Fenced):
        fencing.check("eth", 0, "", "CancelAllOrders")
    with pytest.raises(errors.Fenced):
        fencing.claim("eth", 2, "mm-old", 10)
    assert fencing.refused == {
        ("btc", "PlaceOrder"): 3,
        ("btc", "CancelOrder"): 1,
        ("eth", "CancelAllOrders"): 1,
        ("eth", "ClaimWriter"): 1,
    }


def test_the_token_less_message_says_how_long_the_claim_lasts(
    fencing: Fencing, clock: Clock
) -> None:
    held(fencing, token=5, lease=30)
    clock.now += 10
    with pytest.raises(errors.Fenced, match=r"live for 20s more"):
        fencing.check("btc", 0, "", "CancelOrder")


def test_a_newer_token_in_a_call_keeps_the_strategy_held(fencing: Fencing) -> None:
    # A newer writer placing before its claim arrived: token-less calls stay refused.
    held(fencing, "btc", token=5, lease=10)
    fencing.check("btc", 6, "", "PlaceOrder")
    with pytest.raises(errors.Fenced):
        fencing.check("btc", 0, "", "CancelOrder")
    with pytest.raises(errors.Fenced):
        fencing.check("btc", 5, "", "PlaceOrder")
