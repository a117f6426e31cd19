"""Pieces every child pod shares: security, probes, volumes (pure data)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .settings import OperatorSettings, Resources

Manifest = dict[str, Any]

UID = 10001
TMP_MOUNT = "/tmp"

POD_SECURITY: Manifest = {
    "runAsNonRoot": True,
    "runAsUser": UID,
    "runAsGroup": UID,
    "fsGroup": UID,
    "seccompProfile": {"type": "RuntimeDefault"},
}
CONTAINER_SECURITY: Manifest = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
}


# Readiness is probed every second: the status (and a Service's routing) follows it, and
# the probe is a cheap local call.
def http_probes(port: int, *, ready_period: int = 1) -> Manifest:
    return {
        "livenessProbe": {
            "httpGet": {"path": "/healthz", "port": port},
            "periodSeconds": 10,
            "timeoutSeconds": 3,
            "failureThreshold": 3,
        },
        "readinessProbe": {
            "httpGet": {"path": "/readyz", "port": port},
            "periodSeconds": ready_period,
            "timeoutSeconds": 2,
            "failureThreshold": 2,
        },
    }


def grpc_probes(port: int) -> Manifest:
    return {
        "livenessProbe": {
            "grpc": {"port": port},
            "periodSeconds": 10,
            "timeoutSeconds": 3,
            "failureThreshold": 3,
        },
        "readinessProbe": {
            "grpc": {"port": port},
            "periodSeconds": 1,
            "timeoutSeconds": 2,
            "failureThreshold": 2,
        },
    }


def container(
    name: str,
    args: list[str],
    settings: OperatorSettings,
    resources: Resources,
    *,
    ports: dict[str, int],
    probes: Manifest,
    mounts: Sequence[Manifest] = (),
    env: Sequence[Manifest] = (),
) -> Manifest:
    return {
        "name": name,
        "image": settings.image,
        "imagePullPolicy": settings.image_pull_policy,
        "args": args,
        "env": [{"name": "GRIDOPS_LOG_LEVEL", "value": settings.log_level}, *env],
        "ports": [{"name": key, "containerPort": port} for key, port in ports.items()],
        **probes,
        "resources": resources.manifest(),
        "securityContext": CONTAINER_SECURITY,
        # the last lines of the log become the reason the operator shows for a crash
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "volumeMounts": [{"name": "tmp", "mountPath": TMP_MOUNT}, *mounts],
    }


def pod_spec(
    main: Manifest,
    volumes: list[Manifest],
    *,
    grace: int = 15,
    service_account: str | None = None,
) -> Manifest:
    """`service_account`: the pod calls the API as it (a token is mounted); else no access."""
    spec: Manifest = {
        "containers": [main],
        "securityContext": POD_SECURITY,
        # no API access, and no *_SERVICE_HOST variables that could look like GRIDOPS_* settings
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": grace,
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}, *volumes],
    }
    if service_account is not None:
        spec["serviceAccountName"] = service_account
        spec["automountServiceAccountToken"] = True
    return spec


def metadata(name: str, namespace: str, labels: dict[str, str], owners: list[Manifest]) -> Manifest:
    return {"name": name, "namespace": namespace, "labels": labels, "ownerReferences": owners}


def deployment(
    name: str,
    namespace: str,
    labels: dict[str, str],
    pod: Manifest,
    *,
    annotations: dict[str, str] | None = None,
    owners: list[Manifest],
) -> Manifest:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(name, namespace, labels, owners),
        "spec": {
            "replicas": 1,
            # never two engines of one strategy, not even during a rollout
            "strategy": {"type": "Recreate"},
            "revisionHistoryLimit": 3,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels, "annotations": annotations or {}},
                "spec": pod,
            },
        },
    }


def service(
    name: str, namespace: str, labels: dict[str, str], ports: dict[str, int], owners: list[Manifest]
) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(name, namespace, labels, owners),
        "spec": {
            "selector": labels,
            "ports": [
                {"name": key, "port": port, "targetPort": port, "protocol": "TCP"}
                for key, port in ports.items()
            ],
        },
    }
