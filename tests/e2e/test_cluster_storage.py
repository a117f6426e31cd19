"""E2E: a PersistentVolumeClaim on the kind cluster, used as the market maker uses its
state volume: uid 10001, runAsNonRoot, read-only root filesystem, SQLite on the claim.

* a claim on the default StorageClass binds (kube-controller-manager's host-path
  provisioner makes the volume on the node: hack/kind-config.yaml);
* a pod running as uid 10001 creates an SQLite database (WAL journal: the directory
  itself must be writable) on it; host-path volumes ignore fsGroup, the node image makes
  new volumes writable (hack/node/hostpath-volumes.sh);
* after that pod is deleted a second pod finds the data and adds to it.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Kubectl, poll

APP_LABEL = "e2e.gridops.io/app"
CLAIM = "state"
UID = 10001

# Runs in the pods: append one row naming the pod, print every row.
SQLITE_WRITER = """
import os, sqlite3, sys
db = sqlite3.connect(os.path.join(sys.argv[1], "state.db"))
db.execute("pragma journal_mode=wal")
db.execute("create table if not exists marks (pod text, uid integer)")
db.execute("insert into marks values (?, ?)", (sys.argv[2], os.getuid()))
db.commit()
print("rows:", db.execute("select pod, uid from marks order by rowid").fetchall(), flush=True)
"""

RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def claim() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": CLAIM, "labels": {APP_LABEL: "storage"}},
        "spec": {  # no storageClassName: the cluster's default class
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "64Mi"}},
        },
    }


def sqlite_pod(name: str, image: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {APP_LABEL: "storage"}},
        "spec": {
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 5,
            "securityContext": {
                "runAsUser": UID,
                "runAsGroup": UID,
                "fsGroup": UID,
                "runAsNonRoot": True,
            },
            "containers": [
                {
                    "name": "sqlite",
                    "image": image,
                    "imagePullPolicy": "Never",
                    "command": ["python", "-c", SQLITE_WRITER, "/state", name],
                    "volumeMounts": [{"name": "state", "mountPath": "/state"}],
                    "resources": {"requests": {"cpu": "20m", "memory": "32Mi"}},
                    "securityContext": RESTRICTED,
                }
            ],
            "volumes": [{"name": "state", "persistentVolumeClaim": {"claimName": CLAIM}}],
        },
    }


def storage_diagnostics(kc: Kubectl) -> str:
    res = kc.run("get", "pvc,pv", "-o", "wide", check=False)
    return f"{kc.diagnostics()}\n$ kubectl get pvc,pv -o wide\n{res.stdout}{res.stderr}"


def run_sqlite_pod(kc: Kubectl, image: str, name: str) -> str:
    """Run one writer pod to completion; return its output, assert it succeeded."""
    kc.apply(sqlite_pod(name, image))

    def finished() -> str | None:
        phase = kc.json("get", "pod", name)["status"].get("phase")
        return phase if phase in ("Succeeded", "Failed") else None

    phase = poll(
        f"pod {name} to finish",
        finished,
        timeout=180,
        on_timeout=lambda: storage_diagnostics(kc),
    )
    logs = kc.run("logs", name).stdout
    assert phase == "Succeeded", f"pod {name} {phase}:\n{logs}\n{storage_diagnostics(kc)}"
    return logs


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_a_claim_is_writable_by_uid_10001_and_outlives_its_pod(
    namespace: Kubectl, gridops_image: str
) -> None:
    kc = namespace
    kc.apply(claim())

    def bound() -> bool:
        return bool(kc.json("get", "pvc", CLAIM)["status"].get("phase") == "Bound")

    poll(
        f"claim {CLAIM} to be Bound",
        bound,
        timeout=120,
        on_timeout=lambda: storage_diagnostics(kc),
    )

    first = run_sqlite_pod(kc, gridops_image, "writer-1")
    assert f"rows: [('writer-1', {UID})]" in first, first

    kc.run("delete", "pod", "writer-1", "--wait=true", timeout=120)
    second = run_sqlite_pod(kc, gridops_image, "writer-2")
    assert f"rows: [('writer-1', {UID}), ('writer-2', {UID})]" in second, second
