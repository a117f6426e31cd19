"""The strategy model: one model for the engine's config file and the GridStrategy spec.

Field names are camelCase on the outside (YAML, env, the CRD) and snake_case in Python.
Every field has a default except `name`, `symbol`, `grid.priceInterval` and
`grid.orderQuantity`; unknown fields are errors, so a typo is never a silent default.

Rules that span several fields are written twice, once as a Python validator and once as
the CEL rule the CRD carries (`CEL` in each model's json_schema_extra), so the API server
refuses what the engine would: tests/unit/spec keep the pairs in step.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from .sim import SYMBOL_PATTERN, SimSettings
from .types import (
    DNS_LABEL,
    NonNegativeDecimal,
    ObjectName,
    PositiveDecimal,
    SecretKeyRef,
    SpecModel,
)

#: the CEL rules of a model class, written into the CRD by tools/gencrd.py
CEL = "x-kubernetes-validations"

# One message per cross-field rule: the API server (CEL) and Python say the same thing.
NEED_BUYS = "a long grid needs buyWindow > 0 (a neutral one buyWindow or sellWindow > 0)"
ONE_DATABASE = "set databaseUrl or databaseUrlSecret, not both"
SIMPLE_NO_DATABASE = "a database is for type durable; the simple engine keeps no database"
SIM_ONLY = "sim settings are for exchange name 'sim'"
CCXT_ONLY = "exchange name 'sim' takes no apiUrl, wsUrl or credentialsSecret (ccxt exchanges do)"
CREDENTIALS = "a ccxt exchange needs credentialsSecret: a Secret with the keys apiKey and secret"


def _rule(rule: str, message: str, field_path: str) -> JsonDict:
    return {"rule": rule, "message": message, "fieldPath": field_path}


def _cel(*rules: JsonDict) -> ConfigDict:
    """A model config that carries CEL rules into the generated schema."""
    return ConfigDict(json_schema_extra={CEL: list(rules)})


class GridSettings(SpecModel):
    """The grid: levels every `priceInterval` on a lattice through `anchorPrice`."""

    model_config = _cel(
        _rule(
            "self.buyWindow > 0 || (self.mode == 'neutral' && self.sellWindow > 0)",
            NEED_BUYS,
            ".buyWindow",
        )
    )

    mode: Literal["long", "neutral"] = Field(
        "long", description="long: buy below, sell back one level up; neutral: also sell above"
    )
    price_interval: PositiveDecimal = Field(
        description="distance between levels, in the quote asset (a decimal string)"
    )
    order_quantity: PositiveDecimal = Field(
        description="base quantity of each entry order (a decimal string)"
    )
    buy_window: int = Field(5, ge=0, le=200, description="levels with a buy below the price")
    sell_window: int = Field(
        5, ge=0, le=200, description="levels with a sell above the price (neutral mode)"
    )
    anchor_price: NonNegativeDecimal = Field(
        Decimal(0), description="levels are anchorPrice + k * priceInterval"
    )
    post_only: bool = Field(True, description="entries are post-only (maker) orders")

    @model_validator(mode="after")
    def _window(self) -> GridSettings:
        if self.buy_window == 0 and (self.mode == "long" or self.sell_window == 0):
            raise ValueError(NEED_BUYS)
        return self


class RiskSettings(SpecModel):
    """Risk rules; a tripped rule stops new entries until it clears."""

    max_move_percent: PositiveDecimal = Field(
        Decimal(5),
        description="circuit breaker: no new entries after the price moves this many percent "
        "within moveWindowSeconds",
    )
    move_window_seconds: float = Field(
        1.0, gt=0, le=86400, description="the circuit breaker's window, in seconds"
    )
    max_position: NonNegativeDecimal | None = Field(
        None, description="no new entries while |position| reaches this (base); unset: no limit"
    )
    max_drawdown: NonNegativeDecimal | None = Field(
        None, description="halt when realized + unrealized PnL falls this far (quote)"
    )
    stale_data_seconds: float = Field(
        30.0, gt=0, le=86400, description="halt when no price arrived for this long"
    )
    cooldown_seconds: float = Field(
        300.0, ge=0, le=604800, description="a tripped breaker clears itself after this long"
    )
    cancel_on_halt: bool = Field(False, description="when tripped, cancel every open order")


class EngineSettings(SpecModel):
    """Which engine runs the grid and where it keeps its state."""

    model_config = _cel(
        _rule(
            "!(has(self.databaseUrl) && has(self.databaseUrlSecret))",
            ONE_DATABASE,
            ".databaseUrlSecret",
        ),
        _rule(
            "self.type == 'durable' || !(has(self.databaseUrl) || has(self.databaseUrlSecret))",
            SIMPLE_NO_DATABASE,
            ".type",
        ),
    )

    type: Literal["simple", "durable"] = Field(
        "durable",
        description="simple: state rebuilt from the connector; durable: state in a database",
    )
    database_url: str | None = Field(
        None,
        min_length=1,
        max_length=2048,
        description="SQLAlchemy URL (sqlite:///path or postgresql://...); "
        "default: sqlite:///<dataDir>/<name>.db. A URL with a password belongs in "
        "databaseUrlSecret",
    )
    database_url_secret: SecretKeyRef | None = Field(
        None, description="the database URL from a Secret key (Kubernetes only)"
    )
    data_dir: Path = Field(
        Path("data"),
        description="where the default SQLite file and the risk journal live; under the "
        "operator, the strategy's state volume",
    )
    cancel_on_shutdown: bool = Field(
        False,
        description="on a clean stop (SIGTERM, SIGINT; also each restart a spec change "
        "causes) cancel the strategy's open orders; false: they keep resting on the "
        "exchange and the next start adopts them",
    )
    lease_seconds: int = Field(
        10,
        ge=2,
        le=300,
        description="the writer lease: one engine per strategy trades; a second one stands "
        "by and takes over this long after the first stopped renewing (at once when it "
        "stopped cleanly)",
    )

    @model_validator(mode="after")
    def _database(self) -> EngineSettings:
        if self.database_url is not None and self.database_url_secret is not None:
            raise ValueError(ONE_DATABASE)
        if self.type == "simple" and (self.database_url or self.database_url_secret):
            raise ValueError(SIMPLE_NO_DATABASE)
        return self


class ExchangeSettings(SpecModel):
    """Which exchange account the strategy trades (read by the operator)."""

    model_config = _cel(
        _rule(
            "self.name == 'sim' || !has(self.sim)",
            SIM_ONLY,
            ".sim",
        ),
        _rule(
            "self.name != 'sim' || "
            "!(has(self.apiUrl) || has(self.wsUrl) || has(self.credentialsSecret))",
            CCXT_ONLY,
            ".name",
        ),
        # `!has(self.name)`: the API server also checks the CRD's default for exchange, {},
        # against this rule, and a missing key is an error unless another term is true
        _rule(
            "!has(self.name) || self.name == 'sim' || has(self.credentialsSecret)",
            CREDENTIALS,
            ".credentialsSecret",
        ),
    )

    name: str = Field(
        "sim",
        pattern=r"^[a-z][a-z0-9]*$",
        max_length=20,
        description="'sim' (the simulated exchange) or a ccxt exchange id, e.g. binance",
    )
    account: str = Field(
        "default",
        pattern=DNS_LABEL,
        max_length=24,
        description="account label; strategies on one exchange account share its connector",
    )
    credentials_secret: ObjectName | None = Field(
        None, description="Secret with the keys apiKey and secret (ccxt exchanges)"
    )
    api_url: str | None = Field(
        None,
        pattern=r"^https?://[^\s]+$",
        max_length=512,
        description="REST endpoint override (a testnet, the simulated venue)",
    )
    ws_url: str | None = Field(
        None,
        pattern=r"^wss?://[^\s]+$",
        max_length=512,
        description="WebSocket endpoint override (a testnet, the simulated venue)",
    )
    sim: SimSettings | None = Field(
        None, description="settings of the simulated exchange (name 'sim' only)"
    )

    @model_validator(mode="after")
    def _venue(self) -> ExchangeSettings:
        if self.name != "sim" and self.sim is not None:
            raise ValueError(SIM_ONLY)
        if self.name == "sim" and (self.api_url or self.ws_url or self.credentials_secret):
            raise ValueError(CCXT_ONLY)
        if self.name != "sim" and not self.credentials_secret:
            raise ValueError(CREDENTIALS)
        return self

    @property
    def key(self) -> str:
        """`<exchange>-<account>`: the connector shared by the account's strategies."""
        return f"{self.name}-{self.account}"


class LiveServerSettings(SpecModel):
    """The strategy's dashboard and API."""

    enabled: bool = Field(True, description="run a live server (dashboard) for this strategy")


class StrategySpec(SpecModel):
    """The GridStrategy spec: everything a user writes."""

    symbol: str = Field(pattern=SYMBOL_PATTERN, description="BASE/QUOTE, e.g. BTC/USDT")
    grid: GridSettings = Field(description="the grid of orders")
    risk: RiskSettings = Field(default_factory=lambda: RiskSettings(), description="risk rules")
    engine: EngineSettings = Field(
        default_factory=lambda: EngineSettings(), description="engine type and state"
    )
    exchange: ExchangeSettings = Field(
        default_factory=lambda: ExchangeSettings(), description="the exchange account traded"
    )
    live_server: LiveServerSettings = Field(
        default_factory=lambda: LiveServerSettings(), description="the dashboard"
    )
    paused: bool = Field(False, description="cancel open orders and place none; state is kept")


class StrategyConfig(StrategySpec):
    """The engine's config file: the spec plus what the operator fills in."""

    name: str = Field(
        pattern=DNS_LABEL,
        max_length=63,
        description="strategy name (a DNS label); client order ids derive from it",
    )
    connector: str = Field("127.0.0.1:50051", description="connector address HOST:PORT")

    @property
    def database_url(self) -> str:
        if self.engine.database_url:
            return self.engine.database_url
        return f"sqlite:///{self.engine.data_dir / (self.name + '.db')}"
