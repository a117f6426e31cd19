"""The simulated exchange from its settings (the model is shared: gridops.spec.sim).

Field names are accepted in snake_case or camelCase (the GridStrategy spec may carry sim
settings, and Kubernetes specs are camelCase). Amounts are decimal strings ("0.01").
"""

from __future__ import annotations

import random
from pathlib import Path

import yaml
from pydantic import ValidationError

from gridops.spec.sim import SimSettings, SymbolSettings

from .market import Clock, SimMarket, utc_now
from .specs import MarketConfig, SymbolSpec

__all__ = ["SimSettings", "SimSettingsError", "create_market", "load_sim_settings"]


def symbol_spec(settings: SymbolSettings) -> SymbolSpec:
    return SymbolSpec(
        symbol=settings.symbol,
        price=settings.price,
        tick_size=settings.tick_size,
        step_size=settings.step_size,
        min_quantity=settings.min_quantity,
        min_notional=settings.min_notional,
    )


def market_config(settings: SimSettings) -> MarketConfig:
    return MarketConfig(
        maker_fee=settings.maker_fee,
        taker_fee=settings.taker_fee,
        partial_fill_probability=settings.partial_fill_probability,
        drift=settings.drift,
        volatility=settings.volatility,
        quote_asset=settings.quote_asset,
    )


def create_market(settings: SimSettings, clock: Clock = utc_now) -> SimMarket:
    """A fresh market in the configured starting state, seeded with `seed`."""
    return SimMarket(
        [symbol_spec(s) for s in settings.symbols],
        settings.balances,
        config=market_config(settings),
        clock=clock,
        rng=random.Random(settings.seed),
    )


class SimSettingsError(ValueError):
    """A sim settings file that cannot be used; the message names every bad field."""


def load_sim_settings(path: str | Path) -> SimSettings:
    """Read SimSettings from a YAML file (an empty file means all defaults)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SimSettingsError(f"{path}: cannot read it: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise SimSettingsError(f"{path}: not valid YAML: {exc}") from exc
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
