"""E2E smoke test on the kind cluster: the connector behind a Service, end to end.

* a `gridops connector --exchange sim` Deployment with a native gRPC readiness probe
  becomes Ready;
* a second pod (same image) reaches it through `<svc>.<ns>.svc.cluster.local:50051`
  (cluster DNS + kube-proxy Service routing) and gets SERVING from grpc.health.v1;
* deleting the connector pod brings a new one Ready, and the Service reaches it.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Kubectl, poll

PORT = 50051
APP_LABEL = "e2e.gridops.io/app"

# Runs inside the client pod: retry until the deadline, print the last status.
HEALTH_CLIENT = """
import sys, time, grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
target, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
while True:
    try:
        with grpc.insecure_channel(target) as ch:
            stub = health_pb2_grpc.HealthStub(ch)
            resp = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)
    except grpc.RpcError as exc:
        status = f"RPC error {exc.code().name}: {exc.details()}"
    print(f"{target}: {status}", flush=True)
    if status == "SERVING":
        sys.exit(0)
    if time.monotonic() > deadline:
        sys.exit(1)
    time.sleep(1)
"""

RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def connector_objects(image: str) -> list[dict[str, Any]]:
    labels = {APP_LABEL: "connector"}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "connector", "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "terminationGracePeriodSeconds": 5,
                    "containers": [
                        {
                            "name": "connector",
                            "image": image,
                            "imagePullPolicy": "Never",
                            "args": ["connector", "--exchange", "sim", "--port", str(PORT)],
                            "ports": [{"name": "grpc", "containerPort": PORT}],
                            "readinessProbe": {
                                "grpc": {"port": PORT},
                                "periodSeconds": 2,
                                "failureThreshold": 3,
                            },
                            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
                            "securityContext": RESTRICTED,
                        }
                    ],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "connector", "labels": labels},
        "spec": {
            "selector": labels,
            "ports": [{"name": "grpc", "port": PORT, "targetPort": "grpc"}],
        },
    }
    return [deployment, service]


def health_client_pod(name: str, image: str, target: str, budget_s: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {APP_LABEL: "health-client"}},
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "client",
                    "image": image,
                    "imagePullPolicy": "Never",
                    "command": ["python", "-c", HEALTH_CLIENT, target, str(budget_s)],
                    "resources": {"requests": {"cpu": "20m", "memory": "32Mi"}},
                    "securityContext": RESTRICTED,
                }
            ],
        },
    }


def ready_connector_pods(kc: Kubectl) -> list[str]:
    pods = kc.json("get", "pods", "-l", f"{APP_LABEL}=connector")["items"]
    ready = []
    for pod in pods:
        if pod["metadata"].get("deletionTimestamp"):
            continue
        conditions = {c["type"]: c["status"] for c in pod["status"].get("conditions", [])}
        if conditions.get("Ready") == "True":
            ready.append(pod["metadata"]["name"])
    return ready


def run_health_client(kc: Kubectl, image: str, name: str) -> str:
    """Run a client pod against the Service DNS name; return its output, assert SERVING."""
    target = f"connector.{kc.namespace}.svc.cluster.local:{PORT}"
    kc.apply(health_client_pod(name, image, target, budget_s=60))

    def finished() -> str | None:
        phase = kc.json("get", "pod", name)["status"].get("phase")
        return phase if phase in ("Succeeded", "Failed") else None

    phase = poll(
        f"health client {name} to finish", finished, timeout=120, on_timeout=kc.diagnostics
    )
    logs = kc.run("logs", name).stdout
    assert phase == "Succeeded", f"health client {name} {phase}:\n{logs}\n{kc.diagnostics()}"
    assert f"{target}: SERVING" in logs, logs
    return logs


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_connector_ready_reachable_and_replaced(namespace: Kubectl, gridops_image: str) -> None:
    kc = namespace
    kc.apply(*connector_objects(gridops_image))

    # 1. the native gRPC readiness probe passes
    first = poll(
        "the connector pod to become Ready (gRPC readiness probe)",
        lambda: ready_connector_pods(kc),
        timeout=180,
        on_timeout=kc.diagnostics,
    )
    assert len(first) == 1, first

    # 2. another pod reaches it by Service DNS name and gets SERVING
    run_health_client(kc, gridops_image, "health-client-1")

    # 3. deleting the pod brings a new one Ready, reachable through the same Service
    kc.run("delete", "pod", first[0], "--wait=false")
    replacement = poll(
        "a replacement connector pod to become Ready",
        lambda: [p for p in ready_connector_pods(kc) if p != first[0]],
        timeout=180,
        on_timeout=kc.diagnostics,
    )
    assert replacement
    assert first[0] not in replacement

    def old_pod_gone() -> bool:
        return (
            kc.run("get", "pod", first[0], "--ignore-not-found", "-o", "name").stdout.strip() == ""
        )

    poll(
        f"the deleted pod {first[0]} to go away",
        old_pod_gone,
        timeout=120,
        on_timeout=kc.diagnostics,
    )
    run_health_client(kc, gridops_image, "health-client-2")
