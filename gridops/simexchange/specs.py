"""Static rules of the simulated exchange: per-symbol trading rules and market-wide knobs.

Pure data and checks; no I/O (see the import-linter contract on sim.market).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gridops.decimals import ZERO, fmt, is_multiple
from gridops.errors import InvalidArgument
from gridops.models import OrderRequest, SymbolInfo, split_symbol

#: Seconds in a (365-day) year: drift and volatility are annualised over this.
SECONDS_PER_YEAR = 365 * 24 * 3600


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    """One tradable symbol and the rules every order on it must meet."""

    symbol: str
    price: Decimal
    tick_size: Decimal
    step_size: Decimal
    min_quantity: Decimal = ZERO
    min_notional: Decimal = ZERO

    def __post_init__(self) -> None:
        split_symbol(self.symbol)  # ValueError early beats a KeyError at the first order
        if self.tick_size <= 0 or self.step_size <= 0:
            raise ValueError(f"{self.symbol}: tick_size and step_size must be > 0")
        if self.price <= 0:
            raise ValueError(f"{self.symbol}: price must be > 0")

    @property
    def base_asset(self) -> str:
        return split_symbol(self.symbol)[0]

    @property
    def quote_asset(self) -> str:
        return split_symbol(self.symbol)[1]

    def info(self) -> SymbolInfo:
        return SymbolInfo(
            symbol=self.symbol,
            base_asset=self.base_asset,
            quote_asset=self.quote_asset,
            tick_size=self.tick_size,
            step_size=self.step_size,
            min_quantity=self.min_quantity,
            min_notional=self.min_notional,
        )

    def check_order(self, request: OrderRequest) -> None:
        """Raise InvalidArgument naming the field and the rule the request breaks."""
        price, quantity = request.price, request.quantity
        if not price.is_finite() or price <= 0:
            raise InvalidArgument(f"price: must be greater than 0, got {price}")
        if not quantity.is_finite() or quantity <= 0:
            raise InvalidArgument(f"quantity: must be greater than 0, got {quantity}")
        if not is_multiple(price, self.tick_size):
            raise InvalidArgument(
                f"price: {fmt(price)} is not a multiple of the tick size {fmt(self.tick_size)}"
            )
        if not is_multiple(quantity, self.step_size):
            raise InvalidArgument(
                f"quantity: {fmt(quantity)} is not a multiple of the step size "
                f"{fmt(self.step_size)}"
            )
        if quantity < self.min_quantity:
            raise InvalidArgument(
                f"quantity: {fmt(quantity)} is below the minimum quantity {fmt(self.min_quantity)}"
            )
        notional = price * quantity
        if notional < self.min_notional:
            raise InvalidArgument(
                f"quantity: notional price*quantity {fmt(notional)} is below the minimum "
                f"notional {fmt(self.min_notional)}"
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "price": str(self.price),
            "tick_size": str(self.tick_size),
            "step_size": str(self.step_size),
            "min_quantity": str(self.min_quantity),
            "min_notional": str(self.min_notional),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SymbolSpec:
        return cls(
            symbol=data["symbol"],
            price=Decimal(data["price"]),
            tick_size=Decimal(data["tick_size"]),
            step_size=Decimal(data["step_size"]),
            min_quantity=Decimal(data["min_quantity"]),
            min_notional=Decimal(data["min_notional"]),
        )


@dataclass(frozen=True, slots=True)
class MarketConfig:
    """Market-wide knobs of the simulator.

    drift and volatility are ANNUALISED (per 365-day year) parameters of a geometric
    random walk; `step()` scales them to its dt in seconds.
    """

    maker_fee: Decimal = Decimal("0.001")
    taker_fee: Decimal = Decimal("0.001")
    #: chance that a resting order crossed by a price move fills only partly
    partial_fill_probability: float = 0.0
    drift: float = 0.0
    volatility: float = 1.0
    #: the asset account equity is valued in
    quote_asset: str = "USDT"

    def __post_init__(self) -> None:
        for name, rate in (("maker_fee", self.maker_fee), ("taker_fee", self.taker_fee)):
            if not ZERO <= rate < 1:
                raise ValueError(f"{name}: must be in [0, 1), got {rate}")
        if not 0.0 <= self.partial_fill_probability <= 1.0:
            raise ValueError("partial_fill_probability: must be in [0, 1]")
        if self.volatility < 0:
            raise ValueError("volatility: must not be negative")

    @property
    def fee_reserve(self) -> Decimal:
        """Fee rate a BUY locks up front: the worst case, so a fill never overdraws."""
        return max(self.maker_fee, self.taker_fee)

    def to_dict(self) -> dict[str, Any]:
        return {
            "maker_fee": str(self.maker_fee),
            "taker_fee": str(self.taker_fee),
            "partial_fill_probability": self.partial_fill_probability,
            "drift": self.drift,
            "volatility": self.volatility,
            "quote_asset": self.quote_asset,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MarketConfig:
        return cls(
            maker_fee=Decimal(data["maker_fee"]),
            taker_fee=Decimal(data["taker_fee"]),
            partial_fill_probability=float(data["partial_fill_probability"]),
            drift=float(data["drift"]),
            volatility=float(data["volatility"]),
            quote_asset=str(data["quote_asset"]),
        )
