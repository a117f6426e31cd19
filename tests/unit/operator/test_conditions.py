"""Observed state -> status: phases, conditions, transition times, figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from gridops.operator.conditions import Blocked, Observation, Workload, build_status
from gridops.spec.status import StrategyStatus

T0 = datetime(2026, 12, 2, 10, 0, 0, tzinfo=UTC)
READY = Workload(exists=True, ready=True, running=True, reason="Available")
ENGINE: dict[str, Any] = {
    "synced": True,
    "paused": False,
    "phase": "running",
    "lastPrice": "50000.10",
    "position": "0.003",
    "pnl": {"realized": "-1.5", "unrealized": "0.25"},
    "openOrders": [{"clientOrderId": "a"}, {"clientOrderId": "b"}],
    "risk": {"halted": False, "reason": None, "since": None},
}


def observation(**changes: Any) -> Observation:
    values: dict[str, Any] = {
        "name": "btc-grid",
        "generation": 3,
        "paused": False,
        "live_enabled": True,
        "connector_name": "gridops-connector-sim-default",
        "connector": READY,
        "market_maker": READY,
        "live_server": READY,
        "engine": ENGINE,
    }
    values.update(changes)
    return Observation(**values)


def conditions(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in status["conditions"]}


def test_all_ready_and_synced_is_running_and_ready() -> None:
    status = build_status(None, observation(), T0)
    assert status["phase"] == "Running"
    found = conditions(status)
    assert set(found) == {
        "ConnectorReady",
        "MarketMakerReady",
        "LiveServerReady",
        "Synced",
        "RiskHalted",
        "Paused",
        "Fenced",
        "Ready",
    }
    assert found["Ready"]["status"] == "True"
    assert found["RiskHalted"]["status"] == "False"
    assert (found["Fenced"]["status"], found["Fenced"]["reason"]) == ("False", "SoleWriter")
    assert all(c["observedGeneration"] == 3 for c in found.values())
    assert status["observedGeneration"] == 3
    assert status["price"] == "50000.1"
    assert status["position"] == "0.003"
    assert status["realizedPnl"] == "-1.5"
    assert status["unrealizedPnl"] == "0.25"
    assert status["openOrders"] == 2
    assert status["message"] == ""
    StrategyStatus.model_validate(status)  # what the CRD's status schema accepts


def test_transition_times_move_only_when_the_status_does() -> None:
    first = build_status(None, observation(), T0)
    later = T0 + timedelta(minutes=5)
    same = build_status(first, observation(), later)
    assert same == first
    lost = build_status(first, observation(connector=Workload(exists=True)), later)
    found = conditions(lost)
    stamp = later.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert found["ConnectorReady"]["lastTransitionTime"] == stamp
    assert found["Ready"]["lastTransitionTime"] == stamp
    assert (
        found["MarketMakerReady"]["lastTransitionTime"]
        == conditions(first)["MarketMakerReady"]["lastTransitionTime"]
    )


def test_losing_a_component_after_running_is_degraded_and_says_why() -> None:
    running = build_status(None, observation(), T0)
    crash = Workload(exists=True, reason="CrashLoopBackOff", message="exit code 2: bad dataDir")
    status = build_status(running, observation(market_maker=crash, engine=None), T0)
    assert status["phase"] == "Degraded"
    found = conditions(status)
    assert found["MarketMakerReady"]["reason"] == "CrashLoopBackOff"
    assert "bad dataDir" in found["MarketMakerReady"]["message"]
    assert found["Ready"]["reason"] == "MarketMakerReadyFalse"
    assert "bad dataDir" in status["message"]
    # the last figures stay while the engine does not answer
    assert status["price"] == "50000.1"


def test_a_new_strategy_is_pending_then_syncing() -> None:
    nothing = Workload()
    status = build_status(
        None, observation(connector=nothing, market_maker=nothing, engine=None), T0
    )
    assert status["phase"] == "Pending"
    reconciling = Workload(exists=True, running=True, reason="NotReady")
    syncing = {**ENGINE, "synced": False, "phase": "syncing"}
    status = build_status(status, observation(market_maker=reconciling, engine=syncing), T0)
    assert status["phase"] == "Syncing"
    assert conditions(status)["Synced"]["reason"] == "Syncing"


def test_paused_and_halted() -> None:
    paused = build_status(None, observation(paused=True, engine={**ENGINE, "paused": True}), T0)
    assert paused["phase"] == "Paused"
    assert conditions(paused)["Paused"]["reason"] == "Paused"
    pausing = build_status(None, observation(paused=True), T0)
    assert conditions(pausing)["Paused"]["reason"] == "Pausing"
    risk = {"halted": True, "reason": "price moved 7% in 1s", "since": "2026-12-02T10:00:00Z"}
    halted = build_status(None, observation(engine={**ENGINE, "risk": risk}), T0)
    assert halted["phase"] == "Halted"
    condition = conditions(halted)["RiskHalted"]
    assert condition["status"] == "True"
    assert "price moved 7%" in condition["message"]
    assert "gridops.io/clear-halt" in condition["message"]


def test_a_conflict_blocks_the_market_maker() -> None:
    block = Blocked("ConnectorReady", "ConflictingExchangeSettings", "differs from a-grid's")
    status = build_status(None, observation(blocked=block, engine=None), T0)
    assert status["phase"] == "Degraded"
    found = conditions(status)
    assert found["ConnectorReady"]["reason"] == "ConflictingExchangeSettings"
    assert found["ConnectorReady"]["status"] == "False"
    assert found["MarketMakerReady"]["reason"] == "NotStarted"
    StrategyStatus.model_validate(status)


def test_a_disabled_live_server_is_not_a_failure() -> None:
    status = build_status(None, observation(live_enabled=False, live_server=Workload()), T0)
    assert conditions(status)["LiveServerReady"]["reason"] == "Disabled"
    assert status["phase"] == "Running"


def test_deleting() -> None:
    status = build_status(None, observation(deleting=True), T0)
    assert status["phase"] == "Deleting"


WRITER = {"lease": "kubernetes", "holder": "btc-grid-mm-7d9f-x2", "token": 17, "standby": False}
NOT_READY = Workload(exists=True, running=True, reason="NotReady", message="running, not ready")


def test_a_fenced_engine_is_degraded_and_names_the_writers() -> None:
    running = build_status(None, observation(), T0)
    fenced = {
        **ENGINE,
        "synced": False,
        "phase": "fenced",
        "fenced": True,
        "fencedReason": "strategy 'btc-grid' is held by btc-grid-spare with fencing token 18",
        "writer": {**WRITER, "standby": True, "heldBy": "btc-grid-spare (token 18)"},
    }
    status = build_status(running, observation(market_maker=NOT_READY, engine=fenced), T0)
    found = conditions(status)
    condition = found["Fenced"]
    assert (condition["status"], condition["reason"]) == ("True", "Fenced")
    assert "btc-grid-spare (token 18)" in condition["message"]
    assert "btc-grid-mm-7d9f-x2, fencing token 17" in condition["message"]
    assert "held by btc-grid-spare with fencing token 18" in condition["message"]
    # the cause, not the symptom (MarketMakerReady=False: readyz answers 503)
    assert (found["Ready"]["status"], found["Ready"]["reason"]) == ("False", "Fenced")
    assert status["message"] == condition["message"]
    assert found["Synced"]["reason"] == "Fenced"
    assert status["phase"] == "Degraded"
    StrategyStatus.model_validate(status)


def test_a_standby_engine_is_syncing_and_not_fenced() -> None:
    standby = {
        **ENGINE,
        "synced": False,
        "phase": "standby",
        "fenced": False,
        "writer": {**WRITER, "token": None, "standby": True, "heldBy": "btc-grid-old (token 3)"},
    }
    status = build_status(None, observation(market_maker=NOT_READY, engine=standby), T0)
    found = conditions(status)
    assert (found["Fenced"]["status"], found["Fenced"]["reason"]) == ("False", "Standby")
    assert "btc-grid-old (token 3)" in found["Fenced"]["message"]
    assert found["Synced"]["reason"] == "Standby"
    assert "writer lease" in found["Synced"]["message"]
    assert found["Ready"]["reason"] == "MarketMakerReadyFalse"
    assert status["phase"] == "Syncing"


def test_fenced_is_unknown_without_an_engine_status_and_clears_when_it_writes_again() -> None:
    fenced = {**ENGINE, "synced": False, "phase": "fenced", "fenced": True}
    first = build_status(None, observation(market_maker=NOT_READY, engine=fenced), T0)
    assert conditions(first)["Fenced"]["status"] == "True"
    assert "fencing token" not in conditions(first)["Fenced"]["message"]  # no writer given
    silent = build_status(first, observation(market_maker=NOT_READY, engine=None), T0)
    assert conditions(silent)["Fenced"]["status"] == "Unknown"
    later = T0 + timedelta(seconds=30)
    back = build_status(silent, observation(engine={**ENGINE, "fenced": False}), later)
    found = conditions(back)
    assert (found["Fenced"]["status"], found["Fenced"]["reason"]) == ("False", "SoleWriter")
    assert found["Fenced"]["lastTransitionTime"] == later.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert back["phase"] == "Running"


def test_an_engine_that_lost_its_connector_or_exchange_is_degraded() -> None:
    # The venue (or the connector) died under a trading engine: its pod still runs.
    running = build_status(None, observation(), T0)
    lost = {**ENGINE, "synced": False, "phase": "disconnected"}
    status = build_status(running, observation(engine=lost), T0 + timedelta(seconds=2))
    assert status["phase"] == "Degraded"
    synced = conditions(status)["Synced"]
    assert (synced["status"], synced["reason"]) == ("False", "Disconnected")
    assert "lost its connector" in synced["message"]
    back = build_status(status, observation(), T0 + timedelta(seconds=9))
    assert back["phase"] == "Running"
