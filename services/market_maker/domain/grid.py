"""The grid's geometry: level prices on a lattice through the anchor, and which levels
get entry orders for a given price."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from typing import Protocol

from gridops.decimals import floor_to_step, fmt, is_multiple
from gridops.errors import InvalidArgument
from gridops.models import SymbolInfo

from .slots import Direction, SlotKey

_EXACT = 160


class GridSettingsLike(Protocol):
    """The fields of config.GridSettings this layer reads.

    A protocol rather than an import: the domain stays free of pydantic, and a
    GridSettings instance satisfies it as is.
    """

    @property
    def mode(self) -> str: ...
    @property
    def price_interval(self) -> Decimal: ...
    @property
    def order_quantity(self) -> Decimal: ...
    @property
    def buy_window(self) -> int: ...
    @property
    def sell_window(self) -> int: ...
    @property
    def anchor_price(self) -> Decimal: ...
    @property
    def post_only(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class PriceBand:
    """Prices that sit between the same two levels (or on the same level).

    Two Decimal comparisons tell whether a price is in it, where `first_below` and
    `first_above` each divide at wide precision: that matters when most prices of a
    feed land between the same two levels as the one before.
    """

    low: Decimal
    high: Decimal

    def holds(self, price: Decimal) -> bool:
        if self.low == self.high:
            return price == self.low
        return self.low < price < self.high


@dataclass(frozen=True, slots=True)
class GridSpec:
    """Everything plan() needs about the grid, checked against the symbol's rules."""

    interval: Decimal
    quantity: Decimal
    anchor: Decimal
    buy_window: int
    sell_window: int
    neutral: bool
    post_only: bool
    tick_size: Decimal
    step_size: Decimal
    min_quantity: Decimal
    min_notional: Decimal
    base_asset: str = ""
    quote_asset: str = ""

    @staticmethod
    def create(settings: GridSettingsLike, info: SymbolInfo) -> GridSpec:
        interval, anchor = settings.price_interval, settings.anchor_price
        if interval <= 0 or not is_multiple(interval, info.tick_size):
            raise InvalidArgument(
                f"grid.priceInterval: {fmt(interval)} is not a positive multiple of the "
                f"tick size {fmt(info.tick_size)} of {info.symbol}"
            )
        if not is_multiple(anchor, info.tick_size):
            raise InvalidArgument(
                f"grid.anchorPrice: {fmt(anchor)} is not a multiple of the tick size "
                f"{fmt(info.tick_size)} of {info.symbol}"
            )
        quantity = floor_to_step(settings.order_quantity, info.step_size)
        if quantity <= 0 or quantity < info.min_quantity:
            raise InvalidArgument(
                f"grid.orderQuantity: {fmt(settings.order_quantity)} rounds down to "
                f"{fmt(quantity)} (step {fmt(info.step_size)}), below the minimum quantity "
                f"{fmt(info.min_quantity)} of {info.symbol}"
            )
        return GridSpec(
            interval=interval,
            quantity=quantity,
            anchor=anchor,
            buy_window=settings.buy_window,
            sell_window=settings.sell_window,
            neutral=settings.mode == "neutral",
            post_only=settings.post_only,
            tick_size=info.tick_size,
            step_size=info.step_size,
            min_quantity=info.min_quantity,
            min_notional=info.min_notional,
            base_asset=info.base_asset,
            quote_asset=info.quote_asset,
        )

    def level_price(self, level: int) -> Decimal:
        with localcontext(prec=_EXACT):
            return self.anchor + level * self.interval

    def _offset(self, price: Decimal) -> Decimal:
        # Wide precision: the division must be exact for any price a tick can express.
        with localcontext(prec=_EXACT):
            return (price - self.anchor) / self.interval

    def level_of(self, price: Decimal) -> int | None:
        """The level whose price is exactly `price`, else None."""
        offset = self._offset(price)
        return int(offset) if offset == offset.to_integral_value() else None

    def first_below(self, price: Decimal) -> int:
        """The highest level priced strictly below `price`."""
        offset = self._offset(price)
        return int(offset.to_integral_value(rounding=ROUND_CEILING)) - 1

    def first_above(self, price: Decimal) -> int:
        """The lowest level priced strictly above `price`."""
        offset = self._offset(price)
        return int(offset.to_integral_value(rounding=ROUND_FLOOR)) + 1

    def band(self, price: Decimal) -> PriceBand:
        """The prices with the same `first_below` and `first_above` as `price`."""
        below = self.first_below(price)
        above = self.first_above(price)
        if above == below + 1:  # strictly between two levels
            return PriceBand(self.level_price(below), self.level_price(above))
        level = self.level_price(below + 1)  # exactly on a level: only that price
        return PriceBand(level, level)

    def rank(self, key: SlotKey, price: Decimal) -> int:
        """How far a slot's entry is from `price`: 1 for the nearest entry level, 0 or
        less for a level on the wrong side of the price (its order would have filled)."""
        level, direction = key
        if direction is Direction.LONG:
            return self.first_below(price) - level + 1
        return level - self.first_above(price) + 1

    def window(self, direction: Direction) -> int:
        if direction is Direction.LONG:
            return self.buy_window
        return self.sell_window if self.neutral else 0

    def entry_levels(self, price: Decimal) -> list[SlotKey]:
        """The slots that should have an entry order at `price`, nearest first.

        LONG: the buy_window levels strictly below the price, at positive prices only.
        SHORT (neutral mode): the sell_window levels strictly above it, skipping any
        whose exit one level down would not be a positive price.
        """
        keys: list[tuple[int, SlotKey]] = []
        top = self.first_below(price)
        for distance in range(self.buy_window):
            level = top - distance
            if self.level_price(level) <= 0:
                break
            keys.append((distance, (level, Direction.LONG)))
        if self.neutral:
            bottom = self.first_above(price)
            for distance in range(self.sell_window):
                level = bottom + distance
                if self.level_price(level - 1) > 0:
                    keys.append((distance, (level, Direction.SHORT)))
        # Stable sort: at equal distance the buy comes first.
        keys.sort(key=lambda item: item[0])
        return [key for _, key in keys]
