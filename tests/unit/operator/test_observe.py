"""A Deployment and its pods, read back into a Workload."""

from __future__ import annotations

from typing import Any

from gridops.operator.observe import workload


def deployment(ready: int = 0, generation: int = 2, observed: int = 2) -> dict[str, Any]:
    return {
        "metadata": {"generation": generation},
        "status": {"observedGeneration": observed, "readyReplicas": ready},
    }


def pod(state: dict[str, Any], last: dict[str, Any] | None = None) -> dict[str, Any]:
    status = {"state": state, "lastState": last or {}}
    return {"metadata": {}, "status": {"containerStatuses": [status]}}


def test_absent() -> None:
    found = workload(None, [])
    assert not found.exists
    assert not found.ready


def test_ready_once_the_rollout_is_observed() -> None:
    assert workload(deployment(ready=1), [pod({"running": {}})]).ready
    assert not workload(deployment(ready=1, observed=1), [pod({"running": {}})]).ready


def test_a_crash_loop_carries_the_exit_code_and_the_last_log_lines() -> None:
    crashed = pod(
        {"waiting": {"reason": "CrashLoopBackOff"}},
        {"terminated": {"exitCode": 2, "message": "gridops: engine.dataDir /x: read-only"}},
    )
    found = workload(deployment(), [crashed])
    assert found.reason == "CrashLoopBackOff"
    assert found.message == "exit code 2: gridops: engine.dataDir /x: read-only"


def test_running_but_not_ready() -> None:
    found = workload(deployment(), [pod({"running": {}})])
    assert found.running
    assert not found.ready
    assert found.reason == "NotReady"


def test_an_unschedulable_pod_says_so() -> None:
    pending = {
        "metadata": {},
        "status": {
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": "0/1 nodes: insufficient memory",
                }
            ]
        },
    }
    found = workload(deployment(), [pending])
    assert found.reason == "Unschedulable"
    assert "insufficient memory" in found.message


def test_a_terminating_pod_is_ignored() -> None:
    leaving = pod({"running": {}})
    leaving["metadata"]["deletionTimestamp"] = "2026-12-02T10:00:00Z"
    assert workload(deployment(), [leaving]).reason == "NoPod"
