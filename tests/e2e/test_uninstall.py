"""Last in the tier (file order): `helm uninstall` leaves nothing of gridops behind.

As docs/operator.md says, the strategies go first (their finalizer cancels their orders
while the operator still runs); the tier's namespaces are deleted by their fixtures.
"""

from __future__ import annotations

import pytest

from .conftest import Kubectl, poll
from .operator_support import OPERATOR_NAMESPACE, RELEASE, helm

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


def test_helm_uninstall_leaves_nothing_behind(kubectl: Kubectl, operator_chart: str) -> None:
    def strategies_gone() -> bool:
        listed = kubectl.run("get", "gridstrategies", "-A", "-o", "name").stdout
        namespaces = kubectl.run(
            "get", "namespaces", "-l", "e2e.gridops.io/owned=true", "-o", "name"
        ).stdout
        return listed.strip() == "" and namespaces.strip() == ""

    poll("every GridStrategy and test namespace gone", strategies_gone, timeout=300, interval=2)
    helm(kubectl, "uninstall", RELEASE, "--namespace", OPERATOR_NAMESPACE, "--wait")

    def nothing_left() -> str:
        found = []
        for args in (
            ("get", "all,configmaps,secrets,pvc,serviceaccounts,roles,rolebindings", "-A"),
            ("get", "clusterroles,clusterrolebindings"),
        ):
            out = kubectl.run(*args, "-l", "app.kubernetes.io/name=gridops", "-o", "name").stdout
            found += out.split()
        crd = kubectl.run("get", "crd", "gridstrategies.gridops.io", "--ignore-not-found")
        found += crd.stdout.split()[:1]
        return " ".join(found)

    poll(
        "nothing of gridops left",
        lambda: nothing_left() == "",
        timeout=120,
        interval=2,
        on_timeout=nothing_left,
    )
