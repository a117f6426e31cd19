"""A Deployment and its pods, read back into a Workload (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .conditions import Workload

#: waiting reasons that mean the pod will not come up without a change
_STUCK = {
    "CrashLoopBackOff",
    "ErrImagePull",
    "ImagePullBackOff",
    "CreateContainerConfigError",
    "CreateContainerError",
    "InvalidImageName",
}


def _container_problem(pod: Mapping[str, Any]) -> tuple[str, str] | None:
    for status in pod.get("status", {}).get("containerStatuses") or ():
        waiting = (status.get("state") or {}).get("waiting")
        last = (status.get("lastState") or {}).get("terminated") or {}
        if waiting and waiting.get("reason") in _STUCK:
            detail = (last.get("message") or waiting.get("message") or "").strip()
            code = last.get("exitCode")
            prefix = f"exit code {code}: " if code is not None else ""
            return waiting["reason"], f"{prefix}{detail}"[-1000:]
    for condition in pod.get("status", {}).get("conditions") or ():
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
            return condition.get("reason") or "Unschedulable", condition.get("message") or ""
    return None


def workload(deployment: Mapping[str, Any] | None, pods: Iterable[Mapping[str, Any]]) -> Workload:
    if deployment is None:
        return Workload(exists=False, reason="NotCreated", message="not created yet")
    pods = [p for p in pods if not p.get("metadata", {}).get("deletionTimestamp")]
    status = deployment.get("status") or {}
    generation = deployment.get("metadata", {}).get("generation", 0)
    current = status.get("observedGeneration", 0) >= generation
    ready = current and (status.get("readyReplicas") or 0) >= 1
    running = any(
        "running" in (c.get("state") or {})
        for p in pods
        for c in p.get("status", {}).get("containerStatuses") or ()
    )
    if ready:
        return Workload(exists=True, ready=True, running=True, reason="Available")
    for pod in pods:
        problem = _container_problem(pod)
        if problem is not None:
            return Workload(exists=True, running=running, reason=problem[0], message=problem[1])
    if running:
        return Workload(exists=True, running=True, reason="NotReady", message="running, not ready")
    reason = "PodStarting" if pods else "NoPod"
    return Workload(exists=True, reason=reason, message="waiting for its pod to start")
