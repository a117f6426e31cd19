"""gridops.decimals: parsing names the field, formatting is plain, steps are exact."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridops.decimals import (
    ZERO,
    floor_to_step,
    fmt,
    is_multiple,
    parse_decimal,
    require_decimal,
    round_to_step,
)
from gridops.errors import InvalidArgument

# ---- parse_decimal -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", Decimal(0)),
        ("1", Decimal(1)),
        ("-2.5", Decimal("-2.5")),
        ("  50000.01  ", Decimal("50000.01")),
        ("1E+2", Decimal(100)),
        ("0.00000001", Decimal("0.00000001")),
    ],
)
def test_parse_decimal_accepts_decimal_strings(text: str, expected: Decimal) -> None:
    value = parse_decimal(text, "price")
    assert isinstance(value, Decimal)
    assert value == expected


@pytest.mark.parametrize("text", ["abc", "1e", "1.2.3", "1,5", "0x10", "--1", "1 2"])
def test_parse_error_names_the_field_and_the_input(text: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        parse_decimal(text, "quantity")
    message = str(info.value)
    assert message.startswith("quantity:")
    assert repr(text) in message


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_empty_is_an_error_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^price: required"):
        parse_decimal(text, "price")


@pytest.mark.parametrize("text", ["", "  "])
def test_empty_optional_is_none(text: str) -> None:
    assert parse_decimal(text, "quantity", optional=True) is None


def test_optional_still_parses_and_checks_a_value() -> None:
    assert parse_decimal("1.5", "quantity", optional=True) == Decimal("1.5")
    with pytest.raises(InvalidArgument, match=r"^quantity:"):
        parse_decimal("x", "quantity", optional=True)
    with pytest.raises(InvalidArgument, match=r"^quantity: must be greater than 0"):
        parse_decimal("-1", "quantity", optional=True, positive=True)


@pytest.mark.parametrize("text", ["0", "-0", "0.000", "-1", "-0.00000001"])
def test_positive_rejects_zero_and_negative(text: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^price: must be greater than 0"):
        parse_decimal(text, "price", positive=True)


def test_positive_accepts_the_smallest_amounts() -> None:
    assert parse_decimal("0.00000001", "price", positive=True) == Decimal("1E-8")


@pytest.mark.parametrize("text", ["-1", "-0.00000001"])
def test_non_negative_rejects_negative(text: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^free: must not be negative"):
        parse_decimal(text, "free", non_negative=True)


@pytest.mark.parametrize("text", ["0", "0.0", "3"])
def test_non_negative_accepts_zero_and_positive(text: str) -> None:
    assert parse_decimal(text, "free", non_negative=True) == Decimal(text)


def test_without_flags_negative_and_zero_are_fine() -> None:
    assert parse_decimal("-3", "pnl") == Decimal(-3)
    assert parse_decimal("0", "pnl") == ZERO


@pytest.mark.parametrize(
    "text", ["NaN", "nan", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "-inf", "Inf"]
)
def test_nan_and_infinity_are_rejected(text: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        parse_decimal(text, "price")
    message = str(info.value)
    assert message.startswith("price:")
    assert "finite" in message


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-inf"])
def test_nan_and_infinity_rejected_under_every_flag(text: str) -> None:
    for flags in ({"positive": True}, {"non_negative": True}, {"optional": True}):
        with pytest.raises(InvalidArgument, match="finite"):
            parse_decimal(text, "price", **flags)


def test_require_decimal_never_returns_none() -> None:
    assert require_decimal("2", "quantity") == Decimal(2)
    with pytest.raises(InvalidArgument, match=r"^quantity: required"):
        require_decimal("", "quantity")
    with pytest.raises(InvalidArgument, match=r"^quantity: must be greater than 0"):
        require_decimal("0", "quantity", positive=True)


# ---- fmt ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1E+2"), "100"),
        (Decimal("1E+10"), "10000000000"),
        (Decimal("0.0010"), "0.001"),
        (Decimal("1E-8"), "0.00000001"),
        (Decimal(0), "0"),
        (Decimal("0E+5"), "0"),
        (Decimal("0.000"), "0"),
        (Decimal("-0"), "0"),
        (Decimal("-0.0"), "0"),
        (Decimal("-1.50"), "-1.5"),
        (Decimal("-1E+3"), "-1000"),
        (Decimal("50000.0100"), "50000.01"),
        (Decimal("100"), "100"),
        (Decimal("123.456"), "123.456"),
    ],
)
def test_fmt_is_plain(value: Decimal, expected: str) -> None:
    assert fmt(value) == expected


@given(
    st.decimals(
        min_value=Decimal("-1E+15"),
        max_value=Decimal("1E+15"),
        allow_nan=False,
        allow_infinity=False,
        places=12,
    )
)
def test_fmt_never_has_an_exponent_or_trailing_zeros(value: Decimal) -> None:
    text = fmt(value)
    assert "e" not in text.lower()
    assert Decimal(text) == value
    if "." in text:
        assert not text.endswith("0")
        assert not text.endswith(".")
    if value == 0:
        assert text == "0"


# ---- steps -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [
        ("1.2345", "0.01", "1.23"),
        ("1.239", "0.01", "1.23"),
        ("1.23", "0.01", "1.23"),
        ("0.009", "0.01", "0"),
        ("7", "5", "5"),
        ("10", "2.5", "10"),
        ("1.2345", "0", "1.2345"),
        ("1.2345", "-1", "1.2345"),
    ],
)
def test_floor_to_step_examples(value: str, step: str, expected: str) -> None:
    assert floor_to_step(Decimal(value), Decimal(step)) == Decimal(expected)


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [
        ("1.234", "0.01", "1.23"),
        ("1.236", "0.01", "1.24"),
        ("1.235", "0.01", "1.24"),  # half to even: 123.5 -> 124
        ("1.225", "0.01", "1.22"),  # half to even: 122.5 -> 122
        ("0.004", "0.01", "0"),
        ("7.4", "5", "5"),
        ("7.6", "5", "10"),
        ("1.2345", "0", "1.2345"),
    ],
)
def test_round_to_step_examples(value: str, step: str, expected: str) -> None:
    assert round_to_step(Decimal(value), Decimal(step)) == Decimal(expected)


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [
        ("1.23", "0.01", True),
        ("1.235", "0.01", False),
        ("0", "0.01", True),
        ("10", "2.5", True),
        ("11", "2.5", False),
        ("-1.5", "0.5", True),
        ("1.2345", "0", True),
        ("1.2345", "-1", True),
    ],
)
def test_is_multiple_examples(value: str, step: str, expected: bool) -> None:
    assert is_multiple(Decimal(value), Decimal(step)) is expected


# Realistic exchange magnitudes: amounts with up to 8 places below 1e12, steps from
# 1e-8 to 1000. The quotient value/step stays well inside the 28-digit context.
amounts = st.decimals(min_value=Decimal(0), max_value=Decimal("1E+12"), places=8, allow_nan=False)
steps = st.builds(
    lambda mantissa, exponent: Decimal(mantissa).scaleb(exponent),
    st.integers(min_value=1, max_value=999),
    st.integers(min_value=-8, max_value=0),
)


@given(amounts, steps)
def test_floor_to_step_is_the_largest_multiple_not_above(value: Decimal, step: Decimal) -> None:
    floored = floor_to_step(value, step)
    assert is_multiple(floored, step)
    assert floored <= value
    assert floored > value - step


@given(amounts, steps)
def test_round_to_step_is_a_nearest_multiple(value: Decimal, step: Decimal) -> None:
    rounded = round_to_step(value, step)
    assert is_multiple(rounded, step)
    assert abs(rounded - value) <= step / 2


@given(st.integers(min_value=-(10**12), max_value=10**12), steps)
def test_is_multiple_of_k_times_step(k: int, step: Decimal) -> None:
    assert is_multiple(k * step, step)
    assert not is_multiple(k * step + step / 2, step)


# ---- edge cases the hypothesis ranges above stay clear of ---------------------------


def test_floor_to_step_rounds_negative_values_down_not_toward_zero() -> None:
    # "The largest multiple of `step` not above `value`": for -0.5 and a step of 1 that
    # is -1. ROUND_DOWN truncates toward zero and gives 0, which is above the value.
    assert floor_to_step(Decimal("-0.5"), Decimal(1)) == Decimal(-1)
    assert floor_to_step(Decimal("-1.239"), Decimal("0.01")) == Decimal("-1.24")


def test_floor_to_step_never_returns_more_than_the_value_at_high_precision() -> None:
    # 29 significant digits of quotient: value/step rounds (28-digit context) up to
    # 1000, so the "floor" comes back as 1.000, above the requested quantity.
    value = Decimal("0.99999999999999999999999999999")
    floored = floor_to_step(value, Decimal("0.001"))
    assert floored <= value
    assert floored == Decimal("0.999")


def test_is_multiple_answers_for_a_huge_quotient_instead_of_raising() -> None:
    # A client can send price "1e30" (positive, finite: validate accepts it); the sim
    # then asks is_multiple(price, tick) and Decimal's % raises DivisionImpossible
    # (decimal.InvalidOperation, not a gridops error) because the quotient has more
    # than 28 digits.
    assert is_multiple(Decimal("1E+30"), Decimal("0.01")) is True
    # (built from a string: adding in the default 28-digit context would round it away)
    assert is_multiple(Decimal("1" + "0" * 30 + ".001"), Decimal("0.01")) is False
