"""Settings of the simulated exchange: a connector's `--sim-config` file and the
GridStrategy's `exchange.sim`.

Shared so that the CRD validates `exchange.sim` with the same rules the connector applies;
turning them into a market is the connector's business (gridops.simexchange.settings).
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, model_validator

from gridops.decimals import is_multiple
from gridops.models import split_symbol

from .types import FeeRate, NonNegativeDecimal, PositiveDecimal, SpecModel

SYMBOL_PATTERN = r"^[A-Z0-9]{1,15}/[A-Z0-9]{1,15}$"


class SymbolSettings(SpecModel):
    """One simulated symbol and its trading rules."""

    symbol: str = Field(pattern=SYMBOL_PATTERN, description="BASE/QUOTE, e.g. BTC/USDT")
    price: PositiveDecimal = Field(description="starting price; a multiple of tickSize")
    tick_size: PositiveDecimal = Field(description="prices are multiples of this")
    step_size: PositiveDecimal = Field(description="quantities are multiples of this")
    min_quantity: NonNegativeDecimal = Field(
        default=Decimal(0), description="smallest order quantity"
    )
    min_notional: NonNegativeDecimal = Field(
        Decimal(0), description="smallest price*quantity of an order, in the quote asset"
    )

    @model_validator(mode="after")
    def _check(self) -> SymbolSettings:
        split_symbol(self.symbol)  # its ValueError becomes a validation error on `symbol`
        if not is_multiple(self.price, self.tick_size):
            raise ValueError(f"price {self.price} is not a multiple of tickSize {self.tick_size}")
        return self


def _default_symbols() -> list[SymbolSettings]:
    return [
        SymbolSettings(
            symbol="BTC/USDT",
            price=Decimal("50000"),
            tick_size=Decimal("0.01"),
            step_size=Decimal("0.00001"),
            min_quantity=Decimal("0.00001"),
            min_notional=Decimal("5"),
        ),
        SymbolSettings(
            symbol="ETH/USDT",
            price=Decimal("3000"),
            tick_size=Decimal("0.01"),
            step_size=Decimal("0.0001"),
            min_quantity=Decimal("0.0001"),
            min_notional=Decimal("5"),
        ),
    ]


def _default_balances() -> dict[str, Decimal]:
    return {"USDT": Decimal("100000"), "BTC": Decimal("1"), "ETH": Decimal("10")}


class SimSettings(SpecModel):
    """Everything the simulated exchange can be told; every field has a default."""

    symbols: list[SymbolSettings] = Field(
        default_factory=_default_symbols,
        min_length=1,
        max_length=100,
        # the API server refuses a symbol listed twice, as the validator below does
        json_schema_extra={
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["symbol"],
        },
        description="tradable symbols (default BTC/USDT at 50000 and ETH/USDT at 3000)",
    )
    balances: dict[str, NonNegativeDecimal] = Field(
        default_factory=_default_balances,
        max_length=100,
        description="starting free balance per asset (default USDT 100000, BTC 1, ETH 10)",
    )
    seed: int = Field(default=42, description="seed of the price walk and of partial fills")
    drift: float = Field(
        default=0.0,
        allow_inf_nan=False,
        description="annualised drift of the price walk (0.1 = 10%/y)",
    )
    volatility: float = Field(
        default=1.0,
        ge=0,
        allow_inf_nan=False,
        description="annualised volatility of the price walk (1.0 = 100%/y)",
    )
    tick_interval: float = Field(
        default=1.0,
        ge=0,
        allow_inf_nan=False,
        description="seconds between price-walk steps; 0 = prices move only by SetPrice",
    )
    maker_fee: FeeRate = Field(
        default=Decimal("0.001"),
        description="fee rate of fills on resting orders (paid in the quote asset)",
    )
    taker_fee: FeeRate = Field(
        default=Decimal("0.001"), description="fee rate of orders that cross at placement"
    )
    partial_fill_probability: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="chance that an order crossed by a price move fills only partly",
    )
    quote_asset: str = Field(
        default="USDT",
        pattern=r"^[A-Z0-9]{1,15}$",
        description="asset the account equity is valued in",
    )

    @model_validator(mode="after")
    def _check_symbols(self) -> SimSettings:
        names = [s.symbol for s in self.symbols]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"symbols: listed more than once: {', '.join(duplicates)}")
        return self
