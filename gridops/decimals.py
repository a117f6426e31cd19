"""Decimal parsing and formatting for money and quantities.

Amounts travel as strings and live as `Decimal`; a float never touches them. Parsing
errors name the field so a caller can tell which input was wrong.
"""

from __future__ import annotations

import re
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext

from gridops.errors import InvalidArgument

ZERO = Decimal(0)

# ASCII digits only: Decimal() alone would take "1_000", Arabic-Indic digits and "NaN".
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?", re.ASCII)
# Far beyond any price or quantity, far below what makes arithmetic on it expensive.
MAX_DIGITS = 40
MAX_MAGNITUDE = 30
# Enough precision that step arithmetic on any accepted number is exact.
_EXACT = 2 * (MAX_DIGITS + MAX_MAGNITUDE)


def parse_decimal(
    value: str,
    field: str,
    *,
    positive: bool = False,
    non_negative: bool = False,
    optional: bool = False,
) -> Decimal | None:
    """Parse a decimal string; raise InvalidArgument naming `field` when it is bad.

    Empty input returns None when `optional`, else it is an error.
    """
    text = value.strip()
    if not text:
        if optional:
            return None
        raise InvalidArgument(f"{field}: required, got an empty string")
    if not _NUMBER.fullmatch(text):
        lowered = text.lower().lstrip("+-")
        if lowered in ("nan", "snan", "inf", "infinity"):
            raise InvalidArgument(f"{field}: {value!r} is not a finite number")
        raise InvalidArgument(f"{field}: {value!r} is not a decimal number")
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        raise InvalidArgument(f"{field}: {value!r} is not a decimal number") from None
    digits = len(number.as_tuple().digits)
    if digits > MAX_DIGITS or (number != 0 and abs(number.adjusted()) > MAX_MAGNITUDE):
        raise InvalidArgument(
            f"{field}: {value!r} is out of range (at most {MAX_DIGITS} digits, "
            f"magnitude 1e-{MAX_MAGNITUDE} to 1e{MAX_MAGNITUDE})"
        )
    if positive and number <= 0:
        raise InvalidArgument(f"{field}: must be greater than 0, got {value}")
    if non_negative and number < 0:
        raise InvalidArgument(f"{field}: must not be negative, got {value}")
    return number


def require_decimal(value: str, field: str, *, positive: bool = False) -> Decimal:
    """Like parse_decimal, for a field that must be present."""
    number = parse_decimal(value, field, positive=positive)
    assert number is not None  # parse_decimal raises on empty unless optional
    return number


def fmt(value: Decimal) -> str:
    """Render a decimal as a plain string: no exponent, no trailing zeros."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def floor_to_step(value: Decimal, step: Decimal) -> Decimal:
    """The largest multiple of `step` not above `value` (quantities round down)."""
    if step <= 0:
        return value
    with localcontext(prec=_EXACT):
        return (value / step).to_integral_value(rounding=ROUND_FLOOR) * step


def round_to_step(value: Decimal, step: Decimal) -> Decimal:
    """The multiple of `step` nearest to `value` (prices round to the tick)."""
    if step <= 0:
        return value
    with localcontext(prec=_EXACT):
        return (value / step).to_integral_value(rounding=ROUND_HALF_EVEN) * step


def is_multiple(value: Decimal, step: Decimal) -> bool:
    """True when `value` is an exact multiple of `step` (a step of 0 allows anything)."""
    if step <= 0:
        return True
    with localcontext(prec=_EXACT):
        return value % step == 0
