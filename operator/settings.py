"""The operator's own settings: GRIDOPS_OPERATOR_* environment variables (the chart sets them)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Resources(BaseModel):
    """Requests and limits of one kind of child container, shaped as in a pod spec."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    requests: dict[str, str] = Field(
        default_factory=lambda: {"cpu": "50m", "memory": "96Mi"}, description="requests"
    )
    limits: dict[str, str] = Field(
        default_factory=lambda: {"cpu": "1", "memory": "256Mi"}, description="limits"
    )

    def manifest(self) -> dict[str, dict[str, str]]:
        return {"requests": dict(self.requests), "limits": dict(self.limits)}


class OperatorSettings(BaseSettings):
    """How the operator runs and what it gives the pods it creates."""

    model_config = SettingsConfigDict(
        env_prefix="GRIDOPS_OPERATOR_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    image: str = Field("gridops:dev", description="image of every child pod (one image, all roles)")
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = Field(
        "IfNotPresent", description="pull policy of the child pods"
    )
    namespaces: list[str] = Field(
        default_factory=list, description="namespaces to watch; empty: every namespace"
    )
    status_interval: float = Field(
        2.0, gt=0, description="seconds between reads of each market maker's /status"
    )
    figures_interval: float = Field(
        10.0,
        ge=0,
        description="seconds between status writes that only move price, position or PnL "
        "(phase and conditions are written as soon as they change)",
    )
    storage_size: str = Field("1Gi", description="size of each strategy's state volume")
    storage_class: str | None = Field(
        None, description="StorageClass of state volumes; unset: the cluster's default"
    )
    connector_resources: Resources = Field(default_factory=lambda: Resources())
    market_maker_resources: Resources = Field(default_factory=lambda: Resources())
    live_server_resources: Resources = Field(default_factory=lambda: Resources())
    log_level: str = Field("INFO", description="log level of the child pods")
    liveness_port: int = Field(8080, ge=1, le=65535, description="the operator's /healthz port")
