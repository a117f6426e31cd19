"""Connector settings: command-line flags over GRIDOPS_CONNECTOR_* environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConnectorSettings(BaseSettings):
    """How a connector process runs. Every field can be set as GRIDOPS_CONNECTOR_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="GRIDOPS_CONNECTOR_", extra="forbid")

    exchange: str = Field("sim", description="'sim' or a ccxt exchange id")
    account: str = Field("default", description="account label, for metrics and logs")
    host: str = Field("0.0.0.0", description="address the gRPC server binds")
    port: int = Field(50051, ge=0, le=65535, description="gRPC port (0: pick a free one)")
    metrics_host: str = Field("0.0.0.0", description="address the metrics HTTP server binds")
    metrics_port: int | None = Field(
        9090, ge=0, le=65535, description="Prometheus /metrics port; unset: no metrics server"
    )
    token: str | None = Field(
        None, description="shared bearer token; when set every call but health needs it"
    )
    tls_cert: Path | None = Field(None, description="PEM certificate: serve TLS")
    tls_key: Path | None = Field(None, description="PEM private key for tls_cert")
    grace_seconds: float = Field(
        5.0, gt=0, description="on SIGTERM, how long in-flight calls may finish"
    )
    max_pending: int = Field(
        10_000,
        gt=0,
        description="order events a subscriber may fall behind before it is ended",
    )
    upstream_wait_seconds: float = Field(
        5.0,
        gt=0,
        description="how long a new subscription waits for a lost upstream before UNAVAILABLE",
    )
    api_url: str | None = Field(
        None,
        description="ccxt venues: REST base URL (e.g. http://venue:8090) replacing the "
        "exchange's own (https://api.binance.com); a testnet or the simulated venue",
    )
    ws_url: str | None = Field(
        None,
        description="ccxt venues: WebSocket base URL (e.g. ws://venue:8090): market streams "
        "at <ws-url>/ws, the WebSocket API at <ws-url>/ws-api/v3",
    )
    sandbox: bool = Field(False, description="ccxt venues: ccxt's own testnet URLs")
    credentials_file: Path | None = Field(
        None, description="ccxt venues: YAML file with apiKey and secret (a mounted Secret)"
    )
    api_key: SecretStr | None = Field(
        None, description="ccxt venues: the API key, when not in credentials_file (env only)"
    )
    api_secret: SecretStr | None = Field(
        None, description="ccxt venues: the API secret, with api_key (env only)"
    )
    symbols: str | None = Field(
        None,
        description="ccxt venues: comma-separated symbols to serve (BTC/USDT,ETH/USDT); "
        "default every active spot market, if there are at most 200",
    )
    start_timeout_seconds: float = Field(
        30.0, gt=0, description="ccxt venues: how long start-up waits for an unreachable venue"
    )
    sim_config: Path | None = Field(None, description="YAML file of simulated-exchange settings")
    sim_state: Path | None = Field(
        None,
        description="SQLite file the sim exchange is kept in, so it outlives a connector "
        "restart (a FILE.json snapshot of an older gridops beside a new FILE is imported once)",
    )
    sim_seed: int | None = Field(None, description="overrides the sim config's seed")
    sim_tick_seconds: float | None = Field(
        None,
        ge=0,
        description="overrides the sim price-process interval (0: price moves only by SetPrice)",
    )

    @model_validator(mode="after")
    def _tls_pair(self) -> ConnectorSettings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key must be given together")
        return self
