"""The market maker's access to the API: its ServiceAccount, and a Role over Leases.

The engine holds its strategy's writer Lease (gridops.order_ids.writer_lease_name) in
its own namespace, so its pod, alone of the children, mounts a token. One set per
namespace serves every strategy there: each strategy co-owns it (no controller, as the
connector) and applies it under its own field manager, so garbage collection removes it
with the namespace's last strategy and no strategy's apply drops another's owner.
"""

from __future__ import annotations

from . import names, pods
from .pods import Manifest
from .strategy import Strategy

RBAC_API = "rbac.authorization.k8s.io"
#: what the engine does to its Lease: read it, create it, renew or take it over
LEASE_VERBS = ("get", "create", "update", "patch")


def _metadata(strategy: Strategy) -> Manifest:
    labels = {**names.BASE_LABELS, names.COMPONENT: names.MARKET_MAKER}
    return pods.metadata(
        names.MARKET_MAKER_ACCESS, strategy.namespace, labels, [strategy.owner(controller=False)]
    )


def service_account(strategy: Strategy) -> Manifest:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _metadata(strategy)}


def role(strategy: Strategy) -> Manifest:
    return {
        "apiVersion": f"{RBAC_API}/v1",
        "kind": "Role",
        "metadata": _metadata(strategy),
        "rules": [
            {
                "apiGroups": ["coordination.k8s.io"],
                "resources": ["leases"],
                "verbs": list(LEASE_VERBS),
            }
        ],
    }


def role_binding(strategy: Strategy) -> Manifest:
    return {
        "apiVersion": f"{RBAC_API}/v1",
        "kind": "RoleBinding",
        "metadata": _metadata(strategy),
        "roleRef": {"apiGroup": RBAC_API, "kind": "Role", "name": names.MARKET_MAKER_ACCESS},
        "subjects": [
            {
                "kind": "ServiceAccount",
                "name": names.MARKET_MAKER_ACCESS,
                "namespace": strategy.namespace,
            }
        ],
    }


def manifests(strategy: Strategy) -> list[Manifest]:
    return [service_account(strategy), role(strategy), role_binding(strategy)]
