"""The strategy and simulated-exchange models shared by the engine, the connector and the
operator (and the GridStrategy CRD, generated from them by tools/gencrd.py)."""

from .sim import SimSettings, SymbolSettings
from .strategy import (
    EngineSettings,
    ExchangeSettings,
    GridSettings,
    LiveServerSettings,
    RiskSettings,
    StrategyConfig,
    StrategySpec,
)
from .types import SecretKeyRef

__all__ = [
    "EngineSettings",
    "ExchangeSettings",
    "GridSettings",
    "LiveServerSettings",
    "RiskSettings",
    "SecretKeyRef",
    "SimSettings",
    "StrategyConfig",
    "StrategySpec",
    "SymbolSettings",
]
