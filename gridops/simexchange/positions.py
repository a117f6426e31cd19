"""Net position per symbol, built only from fills.

Starting balances are not a position: a position is what the account traded here. The
realized PnL is NET of fees (fees are charged in the quote asset), so for a position
that is flat again it equals the quote the round trips earned.

The state keeps the average cost exact (a division: 28 significant digits), so rounding
never accumulates from fill to fill; what leaves it (`view`) is quantized to the symbol's
tick, like every price and quote amount an exchange reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from gridops.decimals import ZERO, round_to_step
from gridops.models import Position, Side


@dataclass(slots=True)
class PositionState:
    quantity: Decimal = ZERO
    entry_price: Decimal = ZERO
    realized_pnl: Decimal = ZERO

    def apply_fill(self, side: Side, price: Decimal, quantity: Decimal, fee: Decimal) -> None:
        delta = quantity if side is Side.BUY else -quantity
        held = self.quantity
        self.realized_pnl -= fee
        if held == 0 or (held > 0) == (delta > 0):
            # Adding to the position (or opening it): the entry is the volume-weighted mean.
            size = abs(held) + quantity
            self.entry_price = (self.entry_price * abs(held) + price * quantity) / size
            self.quantity = held + delta
            return
        closed = min(quantity, abs(held))
        direction = 1 if held > 0 else -1
        self.realized_pnl += (price - self.entry_price) * closed * direction
        self.quantity = held + delta
        if self.quantity == 0:
            self.entry_price = ZERO
        elif (self.quantity > 0) != (held > 0):
            # Flipped through zero: what is left was opened at this fill's price.
            self.entry_price = price

    def copy(self) -> PositionState:
        return PositionState(self.quantity, self.entry_price, self.realized_pnl)

    def view(self, symbol: str, mark: Decimal, at: datetime, tick: Decimal) -> Position:
        """The position as the exchange reports it: prices and PnL rounded to `tick`.

        Unrealized PnL is computed from the exact average, then rounded, so it is the
        nearest tick to the truth rather than a product of two roundings.
        """
        return Position(
            symbol=symbol,
            quantity=self.quantity,
            entry_price=round_to_step(self.entry_price, tick),
            mark_price=round_to_step(mark, tick),
            unrealized_pnl=round_to_step((mark - self.entry_price) * self.quantity, tick),
            realized_pnl=round_to_step(self.realized_pnl, tick),
            updated_at=at,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "quantity": str(self.quantity),
            "entry_price": str(self.entry_price),
            "realized_pnl": str(self.realized_pnl),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PositionState:
        return cls(
            quantity=Decimal(data["quantity"]),
            entry_price=Decimal(data["entry_price"]),
            realized_pnl=Decimal(data["realized_pnl"]),
        )
