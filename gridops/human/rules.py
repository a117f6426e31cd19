"""A grid against its exchange's rules: tick, step, minimums and fees (pure).

The same rules the engine applies when it builds its grid (a price interval or anchor off
the tick is refused, a quantity is floored to the step, a level whose order is worth less
than the min notional gets no order), checked before the engine runs, all at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, localcontext
from typing import Literal

from gridops.decimals import floor_to_step, fmt, is_multiple
from gridops.models import SymbolInfo
from gridops.spec import GridSettings
from gridops.spec.economics import fee_warning

Severity = Literal["error", "warning"]
_EXACT = 160


@dataclass(frozen=True, slots=True)
class Finding:
    severity: Severity
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def error(field: str, message: str) -> Finding:
    return Finding("error", field, message)


def warning(field: str, message: str) -> Finding:
    return Finding("warning", field, message)


def _neighbours(value: Decimal, step: Decimal) -> str:
    low = floor_to_step(value, step)
    return f"{fmt(low)} or {fmt(low + step)}" if low > 0 else fmt(step)


def _ceil_to_step(value: Decimal, step: Decimal) -> Decimal:
    with localcontext(prec=_EXACT):
        return (value / step).to_integral_value(rounding=ROUND_CEILING) * step


def buy_levels(grid: GridSettings, price: Decimal) -> list[Decimal]:
    """The prices of the buy levels below `price` the engine would fill, nearest first.

    Levels are anchorPrice + k x priceInterval strictly below the price, buyWindow of
    them, positive ones only (as the engine's grid has them).
    """
    with localcontext(prec=_EXACT):
        offset = (price - grid.anchor_price) / grid.price_interval
        top = int(offset.to_integral_value(rounding=ROUND_CEILING)) - 1
        levels = [
            grid.anchor_price + (top - i) * grid.price_interval for i in range(grid.buy_window)
        ]
    return [level for level in levels if level > 0]


def exchange_findings(grid: GridSettings, info: SymbolInfo, price: Decimal) -> list[Finding]:
    """Every way `grid` breaks `info`'s rules at `price` (errors), and what it costs (warnings)."""
    found: list[Finding] = []
    symbol, quote = info.symbol, info.quote_asset
    interval, quantity = grid.price_interval, grid.order_quantity
    tick, step = info.tick_size, info.step_size
    if not is_multiple(interval, tick):
        found.append(
            error(
                "grid.priceInterval",
                f"{fmt(interval)} is not a multiple of the tick size {fmt(tick)} of {symbol} "
                f"(nearest: {_neighbours(interval, tick)})",
            )
        )
    if grid.anchor_price and not is_multiple(grid.anchor_price, tick):
        found.append(
            error(
                "grid.anchorPrice",
                f"{fmt(grid.anchor_price)} is not a multiple of the tick size {fmt(tick)} of "
                f"{symbol} (nearest: {_neighbours(grid.anchor_price, tick)})",
            )
        )
    traded = floor_to_step(quantity, step)
    if not is_multiple(quantity, step):
        found.append(
            error(
                "grid.orderQuantity",
                f"{fmt(quantity)} is not a multiple of the step size {fmt(step)} of {symbol} "
                f"(the engine would trade {fmt(traded)})",
            )
        )
    if traded <= 0 or traded < info.min_quantity:
        found.append(
            error(
                "grid.orderQuantity",
                f"{fmt(quantity)} is below the minimum quantity {fmt(info.min_quantity)} of "
                f"{symbol}"
                + (f" (rounded to the step: {fmt(traded)})" if traded != quantity else ""),
            )
        )
        return found  # no order could be placed: values and fees say nothing more
    if info.min_notional > 0 and price > 0:
        value = price * traded
        if value < info.min_notional:
            least = _ceil_to_step(info.min_notional / price, step)
            found.append(
                error(
                    "grid.orderQuantity",
                    f"an order of {fmt(traded)} at the price {fmt(price)} is worth "
                    f"{fmt(value)} {quote}, below the min notional {fmt(info.min_notional)} "
                    f"{quote} of {symbol}; use at least {fmt(least)}",
                )
            )
        else:
            found += _low_levels(grid, traded, price, info)
    found += _window(grid, price)
    warned = fee_warning(interval, traded, price, info)
    if warned is not None:
        found.append(warning("grid.priceInterval", warned.removeprefix("grid.priceInterval ")))
    return found


def _low_levels(
    grid: GridSettings, quantity: Decimal, price: Decimal, info: SymbolInfo
) -> list[Finding]:
    """Buy levels whose order would be worth less than the min notional: the engine skips
    them. A warning when some are, an error when all are (no buy would ever be placed)."""
    levels = buy_levels(grid, price)
    skipped = [level for level in levels if level * quantity < info.min_notional]
    if not skipped:
        return []
    quote = info.quote_asset
    if len(skipped) == len(levels):
        least = _ceil_to_step(info.min_notional / levels[0], info.step_size)
        return [
            error(
                "grid.orderQuantity",
                f"no buy level is worth the min notional {fmt(info.min_notional)} {quote} at "
                f"{fmt(quantity)} each (the highest, {fmt(levels[0])}, is worth "
                f"{fmt(levels[0] * quantity)} {quote}): the grid would place no buy; use at "
                f"least {fmt(least)}",
            )
        ]
    return [
        warning(
            "grid.orderQuantity",
            f"{len(skipped)} of the {len(levels)} buy levels (at {fmt(skipped[0])} and below) "
            f"would be worth less than the min notional {fmt(info.min_notional)} {quote} at "
            f"{fmt(quantity)} each: the engine places no order there",
        )
    ]


def _window(grid: GridSettings, price: Decimal) -> list[Finding]:
    levels = buy_levels(grid, price)
    if grid.buy_window and len(levels) < grid.buy_window:
        return [
            warning(
                "grid.buyWindow",
                f"only {len(levels)} of the {grid.buy_window} buy levels below the price "
                f"{fmt(price)} are above zero at a priceInterval of {fmt(grid.price_interval)}",
            )
        ]
    return []
