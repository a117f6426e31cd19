"""Every Kubernetes call the operator makes, as RBAC rules (pure data).

operator/kube.py refuses a call that is not listed here, and tests/unit/operator compare
this table with the chart's ClusterRole, so the chart grants exactly what the code uses.
"""

from __future__ import annotations

#: (API group, resource) -> verbs. "" is the core group.
RULES: dict[tuple[str, str], frozenset[str]] = {
    # kopf: watch the strategies, keep its finalizer and progress annotations, write status
    ("gridops.io", "gridstrategies"): frozenset({"get", "list", "watch", "patch"}),
    ("gridops.io", "gridstrategies/status"): frozenset({"get", "patch"}),
    # ownerReferences with blockOwnerDeletion need this where the admission plugin runs
    ("gridops.io", "gridstrategies/finalizers"): frozenset({"update"}),
    # the children (server-side apply = create or patch); deployments and pods are
    # watched into in-memory indexes rather than polled
    ("apps", "deployments"): frozenset({"get", "list", "watch", "create", "patch", "delete"}),
    ("", "services"): frozenset({"get", "create", "patch", "delete"}),
    ("", "configmaps"): frozenset({"get", "create", "patch"}),
    ("", "persistentvolumeclaims"): frozenset({"get", "create", "patch"}),
    # the control token: created once, read back to call the market maker
    ("", "secrets"): frozenset({"get", "create"}),
    ("", "pods"): frozenset({"list", "watch"}),
    # the market maker's access (operator/access.py), applied in each strategy's namespace
    ("", "serviceaccounts"): frozenset({"create", "patch"}),
    ("rbac.authorization.k8s.io", "roles"): frozenset({"create", "patch"}),
    ("rbac.authorization.k8s.io", "rolebindings"): frozenset({"create", "patch"}),
    # the API server lets the operator grant only verbs it holds itself (RBAC escalation
    # prevention): the engine's verbs on its writer Lease; delete is the finalizer's own
    ("coordination.k8s.io", "leases"): frozenset({"get", "create", "update", "patch", "delete"}),
    # whether the cluster has a default StorageClass
    ("storage.k8s.io", "storageclasses"): frozenset({"list"}),
    # kopf's scanning: it notices the CRD (re)appear and the namespaces come and go
    ("apiextensions.k8s.io", "customresourcedefinitions"): frozenset({"list", "watch"}),
    ("", "namespaces"): frozenset({"list", "watch"}),
    # Events: kopf posts them through the core API
    ("", "events"): frozenset({"create", "patch"}),
}


def allowed(group: str, resource: str, verb: str) -> bool:
    return verb in RULES.get((group, resource), frozenset())
