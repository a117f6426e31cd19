"""A ccxt market as a SymbolInfo, and the order checks the connector makes before ccxt.

Binance's exchangeInfo filters are decimal strings ("0.01000000"); they are read as
they are, so a tick of 0.01 is exactly Decimal("0.01"). ccxt's own `precision` and
`limits` are floats: used only when a venue sends no filters, through `str()` (the
shortest repr, which is the venue's decimal for any sane value). Checking tick and step
here matters: ccxt rounds prices and amounts to precision on its own, which would turn
a price off the tick into a different order instead of a refusal. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from gridops.decimals import ZERO, fmt, is_multiple
from gridops.errors import InvalidArgument
from gridops.models import OrderRequest, SymbolInfo


def to_decimal(value: Any) -> Decimal | None:
    """A venue number as a Decimal: strings as they are, ints exactly, floats by repr."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def plain(value: Decimal) -> Decimal:
    """Trailing zeros dropped without turning 10 into 1E+1."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _filters(market: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    info = market.get("info") or {}
    raw = info.get("filters") if isinstance(info, Mapping) else None
    out: dict[str, Mapping[str, Any]] = {}
    for item in raw or []:
        if isinstance(item, Mapping) and isinstance(item.get("filterType"), str):
            out[item["filterType"]] = item
    return out


def _first(*values: Decimal | None) -> Decimal | None:
    return next((v for v in values if v is not None), None)


def symbol_info(market: Mapping[str, Any]) -> SymbolInfo:
    """The trading rules of one ccxt market (ValueError if it has no tick or step)."""
    symbol = str(market["symbol"])
    filters = _filters(market)
    price_filter = filters.get("PRICE_FILTER", {})
    lot = filters.get("LOT_SIZE", {})
    notional = filters.get("NOTIONAL") or filters.get("MIN_NOTIONAL") or {}
    precision = market.get("precision") or {}
    limits = market.get("limits") or {}
    amount_limits = limits.get("amount") or {}
    cost_limits = limits.get("cost") or {}
    tick = _first(to_decimal(price_filter.get("tickSize")), to_decimal(precision.get("price")))
    step = _first(to_decimal(lot.get("stepSize")), to_decimal(precision.get("amount")))
    if tick is None or tick <= 0 or step is None or step <= 0:
        raise ValueError(f"{symbol}: the venue gives no usable tick or step size")
    min_qty = _first(to_decimal(lot.get("minQty")), to_decimal(amount_limits.get("min")))
    min_notional = _first(
        to_decimal(notional.get("minNotional")), to_decimal(cost_limits.get("min"))
    )
    return SymbolInfo(
        symbol=symbol,
        base_asset=str(market["base"]),
        quote_asset=str(market["quote"]),
        tick_size=plain(tick),
        step_size=plain(step),
        min_quantity=plain(min_qty or ZERO),
        min_notional=plain(min_notional or ZERO),
        maker_fee=plain(to_decimal(market.get("maker")) or ZERO),
        taker_fee=plain(to_decimal(market.get("taker")) or ZERO),
    )


def spot_markets(markets: Mapping[str, Mapping[str, Any]]) -> dict[str, SymbolInfo]:
    """Active spot markets whose rules can be read, by symbol."""
    out: dict[str, SymbolInfo] = {}
    for symbol, market in markets.items():
        if not market.get("spot") or market.get("active") is False:
            continue
        try:
            out[symbol] = symbol_info(market)
        except (KeyError, ValueError):
            continue
    return out


def check_order(info: SymbolInfo, request: OrderRequest) -> None:
    """InvalidArgument naming the field and the rule, before ccxt could round it away."""
    price, quantity = request.price, request.quantity
    if not is_multiple(price, info.tick_size):
        raise InvalidArgument(
            f"price: {fmt(price)} is not a multiple of the tick size {fmt(info.tick_size)}"
        )
    if not is_multiple(quantity, info.step_size):
        raise InvalidArgument(
            f"quantity: {fmt(quantity)} is not a multiple of the step size {fmt(info.step_size)}"
        )
    if quantity < info.min_quantity:
        raise InvalidArgument(
            f"quantity: {fmt(quantity)} is below the minimum quantity {fmt(info.min_quantity)}"
        )
    if price * quantity < info.min_notional:
        raise InvalidArgument(
            f"quantity: notional price*quantity {fmt(price * quantity)} is below the minimum "
            f"notional {fmt(info.min_notional)}"
        )
