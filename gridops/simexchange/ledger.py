"""Balances of the simulated account: a free and a locked amount per asset.

Every mutation keeps both amounts non-negative; a mutation that would not is refused
before anything changes, so a failed call never leaves the ledger half-updated.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from gridops.decimals import ZERO, fmt
from gridops.errors import FailedPrecondition, InvalidArgument
from gridops.models import Balance, Side


class Ledger:
    def __init__(self, free: Mapping[str, Decimal] | None = None) -> None:
        self._free: dict[str, Decimal] = {}
        self._locked: dict[str, Decimal] = {}
        for asset, amount in (free or {}).items():
            self.set_free(asset, amount)

    def free(self, asset: str) -> Decimal:
        return self._free.get(asset, ZERO)

    def locked(self, asset: str) -> Decimal:
        return self._locked.get(asset, ZERO)

    def total(self, asset: str) -> Decimal:
        return self.free(asset) + self.locked(asset)

    def assets(self) -> list[str]:
        return sorted(self._free.keys() | self._locked.keys())

    def balances(self) -> tuple[Balance, ...]:
        return tuple(Balance(a, self.free(a), self.locked(a)) for a in self.assets())

    def value_in(self, quote: str, prices: Mapping[str, Decimal]) -> Decimal:
        """Every balance valued in `quote` at `prices` (keyed BASE/QUOTE); unpriced: 0."""
        value = ZERO
        for asset in self.assets():
            if asset == quote:
                value += self.total(asset)
            elif (price := prices.get(f"{asset}/{quote}")) is not None:
                value += self.total(asset) * price
        return value

    def set_free(self, asset: str, amount: Decimal) -> None:
        if not asset:
            raise InvalidArgument("asset: required")
        if not amount.is_finite() or amount < 0:
            raise InvalidArgument(f"{asset}: balance must not be negative, got {amount}")
        self._free[asset] = amount
        self._locked.setdefault(asset, ZERO)

    def lock(self, asset: str, amount: Decimal) -> None:
        """Move `amount` from free to locked, or refuse when free is short."""
        free = self.free(asset)
        if amount > free:
            raise FailedPrecondition(
                f"insufficient {asset} balance: need {fmt(amount)}, free {fmt(free)}"
            )
        self._free[asset] = free - amount
        self._locked[asset] = self.locked(asset) + amount

    def unlock(self, asset: str, amount: Decimal) -> None:
        self._take_locked(asset, amount)
        self._free[asset] = self.free(asset) + amount

    def spend_locked(self, asset: str, amount: Decimal) -> None:
        """Remove `amount` from the locked part: it left the account in a trade."""
        self._take_locked(asset, amount)

    def credit(self, asset: str, amount: Decimal) -> None:
        if amount < 0:
            raise ValueError(f"credit of a negative amount {amount} {asset}")
        self._free[asset] = self.free(asset) + amount
        self._locked.setdefault(asset, ZERO)

    def settle(
        self,
        side: Side,
        base: str,
        quote: str,
        share: Decimal,
        quantity: Decimal,
        value: Decimal,
        fee: Decimal,
    ) -> None:
        """Book one fill: `share` of the order's lock pays `value` + `fee` (BUY) or
        `quantity` (SELL); whatever the share holds beyond that returns to free."""
        if side is Side.BUY:
            self.spend_locked(quote, share)
            self.credit(quote, share - value - fee)
            self.credit(base, quantity)
        else:
            self.spend_locked(base, share)
            self.credit(base, share - quantity)
            self.credit(quote, value - fee)

    def _take_locked(self, asset: str, amount: Decimal) -> None:
        locked = self.locked(asset)
        if amount < 0 or amount > locked:
            # Only a bug in the matching engine gets here: fail loudly, change nothing.
            raise ValueError(f"cannot take {amount} {asset} from locked {locked}")
        self._locked[asset] = locked - amount

    def copy(self) -> Ledger:
        ledger = Ledger()
        ledger._free = dict(self._free)
        ledger._locked = dict(self._locked)
        return ledger

    def to_dict(self) -> dict[str, Any]:
        return {
            a: {"free": str(self.free(a)), "locked": str(self.locked(a))} for a in self.assets()
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ledger:
        ledger = cls()
        for asset, amounts in data.items():
            ledger._free[asset] = Decimal(amounts["free"])
            ledger._locked[asset] = Decimal(amounts["locked"])
        return ledger
