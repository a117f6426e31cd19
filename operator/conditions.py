"""Observed state -> GridStrategy status: phase, conditions, figures (pure).

Conditions follow metav1.Condition (KEP-1623): a condition's lastTransitionTime moves
only when its status does, and each carries the generation it was computed from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from gridops.decimals import fmt

Status = dict[str, Any]

HEALTHY_PHASES = frozenset({"Running", "Paused", "Halted", "Degraded"})
REQUIRED = ("ConnectorReady", "MarketMakerReady", "LiveServerReady", "Synced")


@dataclass(frozen=True)
class Workload:
    """A child Deployment and its pod, as observed."""

    exists: bool = False
    ready: bool = False
    running: bool = False  #: a container runs (it may not be ready yet)
    reason: str = "NotCreated"
    message: str = ""


@dataclass(frozen=True)
class Blocked:
    """Why the market maker is not run at all (a conflict, an unsupported exchange...)."""

    condition: str  #: the condition that says so, e.g. ConnectorReady
    reason: str
    message: str


@dataclass(frozen=True)
class Observation:
    name: str
    generation: int
    paused: bool
    live_enabled: bool
    connector_name: str
    deleting: bool = False
    blocked: Blocked | None = None
    connector: Workload = field(default_factory=Workload)
    market_maker: Workload = field(default_factory=Workload)
    live_server: Workload = field(default_factory=Workload)
    #: the market maker's /status document, when it answered
    engine: Mapping[str, Any] | None = None
    engine_error: str = ""


#: engine phases that are not a reconcile in progress (docs/market-maker.md, "One writer
#: per strategy")
_ENGINE_PHASES = {
    "standby": "the engine stands by: another market maker holds the writer lease, or its "
    "lease has not expired yet",
    "fenced": "the engine is fenced: another market maker holds the strategy",
    "disconnected": "the engine lost its connector, or the connector lost the exchange; it "
    "resyncs and trades on once they are back",
}


def _condition(kind: str, ok: bool | None, reason: str, message: str) -> Status:
    status = "Unknown" if ok is None else ("True" if ok else "False")
    return {"type": kind, "status": status, "reason": reason, "message": message}


def _workload(kind: str, workload: Workload, what: str) -> Status:
    if workload.ready:
        return _condition(kind, True, "Available", f"{what} is ready")
    message = workload.message or f"{what} is not ready"
    return _condition(kind, False, workload.reason or "Unavailable", message)


def _synced(obs: Observation) -> Status:
    doc = obs.engine
    if doc is None:
        message = obs.engine_error or "the market maker has not answered /status yet"
        return _condition("Synced", False, "StatusUnavailable", message)
    if doc.get("synced"):
        return _condition(
            "Synced", True, "Reconciled", "the engine has reconciled with the connector"
        )
    phase = str(doc.get("phase") or "syncing")
    message = _ENGINE_PHASES.get(phase, f"the engine is {phase}, not reconciled yet")
    return _condition("Synced", False, phase.capitalize(), message)


def _halted(obs: Observation, previous: Mapping[str, Status]) -> Status:
    doc = obs.engine
    if doc is None:
        before = previous.get("RiskHalted")
        if before is not None:
            return {k: before[k] for k in ("type", "status", "reason", "message")}
        return _condition("RiskHalted", None, "StatusUnavailable", "no engine status yet")
    risk = doc.get("risk") or {}
    if risk.get("halted"):
        return _condition(
            "RiskHalted",
            True,
            "BreakerTripped",
            f"{risk.get('reason') or 'risk rule tripped'} (since {risk.get('since')}); "
            f"no new entries. Clear it with: kubectl annotate gridstrategy {obs.name} "
            "gridops.io/clear-halt=now",
        )
    return _condition("RiskHalted", False, "WithinLimits", "no risk rule is tripped")


def _writers(doc: Mapping[str, Any]) -> tuple[str, str]:
    """(this engine, the writer holding the lease) from /status.writer, "" when unsaid."""
    writer = doc.get("writer")
    if not isinstance(writer, Mapping):
        return "", ""
    me = str(writer.get("holder") or "")
    if me and writer.get("token") is not None:
        me += f", fencing token {writer['token']}"
    return me, str(writer.get("heldBy") or "")


def _fenced(obs: Observation) -> Status:
    """True while another market maker holds the strategy and the connector refuses this
    one (it was frozen or cut off past its lease): it trades nothing until it is back."""
    doc = obs.engine
    if doc is None:
        return _condition("Fenced", None, "StatusUnavailable", "no engine status")
    me, other = _writers(doc)
    if doc.get("fenced"):
        message = "another market maker holds the strategy" + (f": {other}" if other else "")
        message += "; the connector refuses this one's orders and cancels"
        message += f" ({me})" if me else ""
        reason = doc.get("fencedReason")
        return _condition("Fenced", True, "Fenced", message + (f": {reason}" if reason else ""))
    writer = doc.get("writer")
    if isinstance(writer, Mapping) and writer.get("standby"):
        held = f", held by {other}" if other else ""
        return _condition(
            "Fenced", False, "Standby", f"waiting for the writer lease{held} before trading"
        )
    return _condition("Fenced", False, "SoleWriter", "no other market maker holds the strategy")


def _paused(obs: Observation) -> Status:
    confirmed = obs.engine is not None and bool(obs.engine.get("paused"))
    if obs.paused:
        if confirmed:
            return _condition(
                "Paused", True, "Paused", "spec.paused: open orders cancelled, none placed"
            )
        return _condition(
            "Paused", True, "Pausing", "spec.paused: waiting for the engine to confirm"
        )
    if confirmed:
        return _condition("Paused", False, "Resuming", "waiting for the engine to resume")
    return _condition("Paused", False, "Trading", "spec.paused is false")


def _conditions(obs: Observation, previous: Mapping[str, Status]) -> list[Status]:
    blocked = obs.blocked
    connector = _workload("ConnectorReady", obs.connector, f"connector {obs.connector_name}")
    market_maker = _workload("MarketMakerReady", obs.market_maker, "the market maker")
    if blocked is not None:
        blocking = _condition(blocked.condition, False, blocked.reason, blocked.message)
        if blocked.condition == "ConnectorReady":
            connector = blocking
            market_maker = _condition(
                "MarketMakerReady", False, "NotStarted", f"not started: {blocked.message}"
            )
        else:
            market_maker = blocking
    if obs.live_enabled:
        live = _workload("LiveServerReady", obs.live_server, "the live server")
    else:
        live = _condition("LiveServerReady", True, "Disabled", "spec.liveServer.enabled is false")
    fenced = _fenced(obs)
    found = [
        connector,
        market_maker,
        live,
        _synced(obs),
        _halted(obs, previous),
        _paused(obs),
        fenced,
    ]
    failing = [c for c in found if c["type"] in REQUIRED and c["status"] != "True"]
    if fenced["status"] == "True":
        # the cause, where MarketMakerReady=False would only show the symptom
        ready = _condition("Ready", False, "Fenced", fenced["message"])
    elif failing:
        first = failing[0]
        ready = _condition("Ready", False, f"{first['type']}False", first["message"])
    else:
        ready = _condition("Ready", True, "Ready", "connector, market maker and live server ready")
    return [*found, ready]


def _phase(obs: Observation, conditions: Mapping[str, Status], previous_phase: str) -> str:
    if obs.deleting:
        return "Deleting"
    if obs.blocked is not None:
        return "Degraded"
    if conditions["Ready"]["status"] == "True":
        if obs.paused:
            return "Paused"
        if conditions["RiskHalted"]["status"] == "True":
            return "Halted"
        return "Running"
    if conditions["Fenced"]["status"] == "True":
        return "Degraded"  # it runs, but another market maker trades the strategy
    if obs.engine is not None and obs.engine.get("phase") == "disconnected":
        return "Degraded"  # it traded, then lost the connector or the exchange behind it
    if obs.connector.ready and obs.market_maker.running:
        return "Syncing"  # the engine runs and is reconciling (or stands by for its lease)
    return "Degraded" if previous_phase in HEALTHY_PHASES else "Pending"


def _amount(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return fmt(Decimal(str(value)))
    except InvalidOperation:
        return None


def _figures(doc: Mapping[str, Any]) -> Status:
    pnl = doc.get("pnl") or {}
    figures = {
        "price": _amount(doc.get("lastPrice")),
        "position": _amount(doc.get("position")),
        "realizedPnl": _amount(pnl.get("realized")),
        "unrealizedPnl": _amount(pnl.get("unrealized")),
        "openOrders": len(doc.get("openOrders") or ()),
        "warnings": [str(w)[:1000] for w in doc.get("warnings") or ()][:20],
    }
    return {key: value for key, value in figures.items() if value is not None}


def build_status(previous: Mapping[str, Any] | None, obs: Observation, now: datetime) -> Status:
    """The status to write, given the one in place (for transition times and figures)."""
    previous = previous or {}
    before: dict[str, Status] = {
        str(c.get("type")): c for c in previous.get("conditions") or () if isinstance(c, dict)
    }
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    conditions = []
    for condition in _conditions(obs, before):
        old = before.get(condition["type"])
        kept = (
            old.get("lastTransitionTime")
            if old and old.get("status") == condition["status"]
            else None
        )
        condition["lastTransitionTime"] = kept or stamp
        condition["observedGeneration"] = obs.generation
        conditions.append(condition)
    by_type = {c["type"]: c for c in conditions}
    status: Status = {
        key: previous[key]
        for key in ("price", "position", "realizedPnl", "unrealizedPnl", "openOrders", "warnings")
        if key in previous
    }
    if obs.engine is not None:
        status.update(_figures(obs.engine))
    status.update(
        {
            "phase": _phase(obs, by_type, str(previous.get("phase") or "")),
            "observedGeneration": obs.generation,
            "conditions": conditions,
            "connector": obs.connector_name,
        }
    )
    ready = by_type["Ready"]
    status["message"] = "" if ready["status"] == "True" else ready["message"]
    if by_type["RiskHalted"]["status"] == "True":
        status["message"] = by_type["RiskHalted"]["message"]
    return status
