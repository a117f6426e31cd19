"""Configuration of the simulated exchange.

Field names are accepted in snake_case or camelCase (the GridStrategy spec may carry sim
settings, and Kubernetes specs are camelCase). Amounts are Decimals: write them as
strings in YAML ("0.01"), since a YAML float is parsed through binary floating point.
"""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from gridops.decimals import is_multiple
from gridops.models import split_symbol

from .market import Clock, SimMarket, utc_now
from .specs import MarketConfig, SymbolSpec

PositiveDecimal = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
NonNegativeDecimal = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
FeeRate = Annotated[Decimal, Field(ge=0, lt=1, allow_inf_nan=False)]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True
    )


class SymbolSettings(_Model):
    """One simulated symbol and its trading rules."""

    symbol: str = Field(description="BASE/QUOTE, e.g. BTC/USDT")
    price: PositiveDecimal = Field(description="starting price; a multiple of tick_size")
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

    def spec(self) -> SymbolSpec:
        return SymbolSpec(
            symbol=self.symbol,
            price=self.price,
            tick_size=self.tick_size,
            step_size=self.step_size,
            min_quantity=self.min_quantity,
            min_notional=self.min_notional,
        )


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


class SimSettings(_Model):
    """Everything the simulated exchange can be told; every field has a default."""

    symbols: list[SymbolSettings] = Field(
        default_factory=_default_symbols,
        description="tradable symbols (default BTC/USDT at 50000 and ETH/USDT at 3000)",
    )
    balances: dict[str, NonNegativeDecimal] = Field(
        default_factory=_default_balances,
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
        default="USDT", min_length=1, description="asset the account equity is valued in"
    )

    @model_validator(mode="after")
    def _check_symbols(self) -> SimSettings:
        names = [s.symbol for s in self.symbols]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"symbols: listed more than once: {', '.join(duplicates)}")
        return self

    def market_config(self) -> MarketConfig:
        return MarketConfig(
            maker_fee=self.maker_fee,
            taker_fee=self.taker_fee,
            partial_fill_probability=self.partial_fill_probability,
            drift=self.drift,
            volatility=self.volatility,
            quote_asset=self.quote_asset,
        )

    def create_market(self, clock: Clock = utc_now) -> SimMarket:
        """A fresh market in the configured starting state, seeded with `seed`."""
        return SimMarket(
            [s.spec() for s in self.symbols],
            self.balances,
            config=self.market_config(),
            clock=clock,
            rng=random.Random(self.seed),
        )


class SimSettingsError(ValueError):
    """A sim settings file that cannot be used; the message names every bad field."""


def load_sim_settings(path: str | Path) -> SimSettings:
    """Read SimSettings from a YAML file (an empty file means all defaults)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SimSettingsError(f"{path}: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SimSettingsError(f"{path}: expected a mapping of settings, got {type(data).__name__}")
    try:
        return SimSettings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(top)'}: {error['msg']}"
            for error in exc.errors()
        )
        raise SimSettingsError(f"{path}: {problems}") from exc
