"""The GridStrategy status the operator writes (BRIEF §6): a model, so the CRD's status
schema is generated like the spec's and the operator's output is type-checked."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .types import NonNegativeDecimal, SpecModel

Phase = Literal["Pending", "Syncing", "Running", "Paused", "Halted", "Degraded", "Deleting"]
ConditionType = Literal[
    "ConnectorReady",
    "MarketMakerReady",
    "LiveServerReady",
    "Synced",
    "RiskHalted",
    "Paused",
    "Fenced",
    "Ready",
]
#: a signed decimal in plain notation (PnL can be negative)
SIGNED = r"^-?[0-9]+(\.[0-9]+)?$"


class Condition(SpecModel):
    """metav1.Condition: one aspect of the strategy's state."""

    type: ConditionType = Field(description="what this condition is about")
    status: Literal["True", "False", "Unknown"] = Field(description="True, False or Unknown")
    reason: str = Field(
        pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
        max_length=1024,
        description="CamelCase reason for the last transition",
    )
    message: str = Field("", max_length=32768, description="human-readable details")
    last_transition_time: str = Field(
        json_schema_extra={"format": "date-time"},
        description="when the status last changed",
    )
    observed_generation: int = Field(
        0, ge=0, description="the .metadata.generation this condition was computed from"
    )


class StrategyStatus(SpecModel):
    """What the operator observed; amounts are decimal strings in the quote/base asset."""

    phase: Phase = Field("Pending", description="where the strategy is in its life")
    observed_generation: int = Field(
        0, ge=0, description="the .metadata.generation the operator last acted on"
    )
    conditions: list[Condition] = Field(
        default_factory=list,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
        description="ConnectorReady, MarketMakerReady, LiveServerReady, Synced, RiskHalted, "
        "Paused, Fenced, Ready",
    )
    price: NonNegativeDecimal | None = Field(None, description="last price (quote asset)")
    position: str | None = Field(None, pattern=SIGNED, description="position (base asset)")
    realized_pnl: str | None = Field(
        None, pattern=SIGNED, description="realized PnL net of fees (quote asset)"
    )
    unrealized_pnl: str | None = Field(
        None, pattern=SIGNED, description="unrealized PnL at the last price (quote asset)"
    )
    open_orders: int | None = Field(None, ge=0, description="open orders on the exchange")
    connector: str | None = Field(None, description="the connector Deployment this strategy uses")
    message: str | None = Field(None, max_length=4096, description="what needs attention, if any")
    warnings: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="what the engine warns about its config (e.g. a step below the fees)",
    )
