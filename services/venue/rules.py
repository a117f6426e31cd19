"""Binance's request parameters read and checked, in Binance's words. Pure: no I/O."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from gridops.decimals import is_multiple
from gridops.models import OrderType, Side, SymbolInfo

from . import errors

CLIENT_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
CLIENT_ID_RULE = r"'^[\.A-Z\:/a-z0-9_-]{1,36}$'"


def new_client_id(raw: str | None) -> str:
    """The order's client id: as sent (checked like Binance), or one made up."""
    if not raw:
        return f"venue-{secrets.token_hex(8)}"
    if not CLIENT_ID.match(raw):
        raise errors.BinanceError(
            400,
            -1100,
            "Illegal characters found in parameter 'newClientOrderId'; legal range is "
            f"{CLIENT_ID_RULE}.",
        )
    return raw


def check_filters(info: SymbolInfo, price: Decimal, quantity: Decimal) -> None:
    if price <= 0 or not is_multiple(price, info.tick_size):
        raise errors.filter_failure("PRICE_FILTER")
    if quantity < max(info.min_quantity, info.step_size) or not is_multiple(
        quantity, info.step_size
    ):
        raise errors.filter_failure("LOT_SIZE")
    if price * quantity < info.min_notional:
        raise errors.filter_failure("NOTIONAL")


def side(raw: str | None) -> Side:
    if not raw:
        raise errors.missing("side")
    try:
        return Side(raw.upper())
    except ValueError:
        raise errors.bad_side() from None


def order_type(raw: str | None) -> OrderType:
    if not raw:
        raise errors.missing("type")
    try:
        return OrderType(raw.upper())
    except ValueError:
        raise errors.bad_order_type() from None


def decimal(params: Mapping[str, str], name: str) -> Decimal:
    raw = params.get(name)
    if not raw:
        raise errors.missing(name)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise errors.bad_value(name) from None
    if not value.is_finite():
        raise errors.bad_value(name)
    return value


def int_param(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise errors.bad_value(name) from None


def limit(params: Mapping[str, str], default: int, most: int) -> int:
    limit = int_param(params, "limit")
    return default if limit is None else max(1, min(limit, most))
