"""The strategy config: one model for the engine's config file and the GridStrategy spec.

Field names are camelCase on the outside (YAML, env, the CRD) and snake_case in Python.
Every field has a default except `name`, `symbol`, `grid.priceInterval` and
`grid.orderQuantity`; unknown fields are errors, so a typo is never a silent default.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

PositiveDecimal = Annotated[Decimal, Field(gt=0)]
NonNegativeDecimal = Annotated[Decimal, Field(ge=0)]


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )


class GridSettings(_Model):
    """The grid: levels every `priceInterval` on a lattice through `anchorPrice`."""

    mode: Literal["long", "neutral"] = Field(
        "long", description="long: buy below, sell back one level up; neutral: also sell above"
    )
    price_interval: PositiveDecimal = Field(description="distance between levels (quote)")
    order_quantity: PositiveDecimal = Field(description="base quantity of each entry order")
    buy_window: int = Field(5, ge=0, le=200, description="levels with a buy below the price")
    sell_window: int = Field(
        5, ge=0, le=200, description="levels with a sell above the price (neutral mode)"
    )
    anchor_price: NonNegativeDecimal = Field(
        Decimal(0), description="levels are anchorPrice + k * priceInterval"
    )
    post_only: bool = Field(True, description="entries are post-only (maker) orders")


class RiskSettings(_Model):
    """Risk rules; a tripped rule stops new entries until it clears."""

    max_move_percent: PositiveDecimal = Field(
        Decimal(5), description="circuit breaker: a move of this many percent ..."
    )
    move_window_seconds: float = Field(1.0, gt=0, description="... within this many seconds")
    max_position: NonNegativeDecimal | None = Field(
        None, description="no new entries while |position| reaches this (base); unset: no limit"
    )
    max_drawdown: NonNegativeDecimal | None = Field(
        None, description="halt when realized + unrealized PnL falls this far (quote)"
    )
    stale_data_seconds: float = Field(
        30.0, gt=0, description="halt when no price arrived for this long"
    )
    cooldown_seconds: float = Field(
        300.0, ge=0, description="a tripped breaker clears itself after this long"
    )
    cancel_on_halt: bool = Field(False, description="when tripped, cancel every open order")


class EngineSettings(_Model):
    type: Literal["simple", "durable"] = Field(
        "durable",
        description="simple: state rebuilt from the connector; durable: state in a database",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL (sqlite:///path or postgresql://...); "
        "default: sqlite:///<dataDir>/<name>.db",
    )
    data_dir: Path = Field(
        Path("data"), description="where the default SQLite file and the risk journal live"
    )


class ExchangeSettings(_Model):
    """Which exchange account the strategy trades (read by the operator)."""

    name: str = Field("sim", description="'sim' or a ccxt exchange id")
    account: str = Field(
        "default", description="account label; strategies on one share a connector"
    )
    credentials_secret: str | None = Field(None, description="Secret with the API key/secret")
    sim: dict[str, Any] | None = Field(None, description="simulated-exchange settings")


class LiveServerSettings(_Model):
    enabled: bool = Field(True, description="run a live server (dashboard) for this strategy")


class StrategySpec(_Model):
    """The GridStrategy spec: everything a user writes."""

    symbol: str = Field(pattern=r"^[A-Z0-9]+/[A-Z0-9]+$", description="BASE/QUOTE, e.g. BTC/USDT")
    grid: GridSettings
    risk: RiskSettings = Field(default_factory=lambda: RiskSettings())
    engine: EngineSettings = Field(default_factory=lambda: EngineSettings())
    exchange: ExchangeSettings = Field(default_factory=lambda: ExchangeSettings())
    live_server: LiveServerSettings = Field(default_factory=lambda: LiveServerSettings())
    paused: bool = Field(False, description="cancel open orders and place none; state is kept")


class StrategyConfig(StrategySpec):
    """The engine's config file: the spec plus what the operator fills in."""

    name: str = Field(
        pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
        description="strategy name (a DNS label); client order ids derive from it",
    )
    connector: str = Field("127.0.0.1:50051", description="connector address HOST:PORT")

    @model_validator(mode="after")
    def _window(self) -> StrategyConfig:
        if self.grid.buy_window == 0 and (self.grid.mode == "long" or self.grid.sell_window == 0):
            raise ValueError("grid: buyWindow (and sellWindow in neutral mode) cannot all be 0")
        return self

    @property
    def database_url(self) -> str:
        if self.engine.database_url:
            return self.engine.database_url
        return f"sqlite:///{self.engine.data_dir / (self.name + '.db')}"


class ConfigError(ValueError):
    """A config that cannot be used; the message names every bad field."""


def describe(error: ValidationError, source: str) -> ConfigError:
    lines = [f"invalid config {source}:"]
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"  {where}: {item['msg']}")
    return ConfigError("\n".join(lines))


def _camelize(value: Any) -> Any:
    if isinstance(value, dict):
        return {to_camel(key): _camelize(item) for key, item in value.items()}
    return value


class _CamelCaseSource(PydanticBaseSettingsSource):
    """The environment, keyed like the file (camelCase), so the two merge key by key.

    GRIDOPS_GRID__BUY_WINDOW comes out of the env source as grid.buy_window; left so, it
    would sit beside the file's grid.buyWindow instead of replacing it.
    """

    def __init__(self, settings_cls: type[BaseSettings], inner: PydanticBaseSettingsSource):
        super().__init__(settings_cls)
        self.inner = inner

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.inner.get_field_value(field, field_name)

    def __call__(self) -> dict[str, Any]:
        return {key: _camelize(value) for key, value in self.inner().items()}


def load_config(path: Path | None, overrides: dict[str, Any] | None = None) -> StrategyConfig:
    """Build the config: `overrides` > GRIDOPS_* environment > the YAML file at `path`.

    Environment variables use snake_case paths with `__` between levels, e.g.
    GRIDOPS_SYMBOL, GRIDOPS_GRID__PRICE_INTERVAL, GRIDOPS_ENGINE__TYPE.
    """
    if path is not None:
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as error:
            raise ConfigError(f"cannot read config {path}: {error}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"config {path}: expected a mapping, got {type(data).__name__}")
    else:
        data = {}

    class FileConfig(StrategyConfig, BaseSettings):
        model_config = SettingsConfigDict(
            env_prefix="GRIDOPS_", env_nested_delimiter="__", extra="forbid"
        )

        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (
                init_settings,
                _CamelCaseSource(settings_cls, env_settings),
                InitSettingsSource(settings_cls, data),
            )

    try:
        return FileConfig(**(overrides or {}))
    except ValidationError as error:
        raise describe(error, str(path) if path else "(environment)") from None
