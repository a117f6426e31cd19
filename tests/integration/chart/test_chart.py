"""The Helm chart rendered by the real helm: lint, contents, RBAC, values schema."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gridops.operator.rbac import RULES

ROOT = Path(__file__).resolve().parents[3]
CHART = ROOT / "charts" / "gridops"
KUBE_VERSION = "1.34.4"
HINT = "helm is installed by `make prereqs` (hack/build-tools.sh host)"


def _helm() -> str:
    cached = (
        Path(os.environ.get("GRIDOPS_CACHE_DIR", Path.home() / ".cache" / "gridops"))
        / "bin"
        / "current"
        / "helm"
    )
    found = str(cached) if cached.exists() else shutil.which("helm")
    if not found:
        pytest.fail(f"no helm: {HINT}", pytrace=False)
    return found


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_helm(), *args], capture_output=True, text=True, timeout=120, check=check
    )


def render(*sets: str) -> list[dict[str, Any]]:
    args = ["template", "gridops", str(CHART), "-n", "gridops-system"]
    args += ["--kube-version", KUBE_VERSION]
    for value in sets:
        args += ["--set", value]
    return [d for d in yaml.safe_load_all(helm(*args).stdout) if d]


def find(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> Iterator[Any]:
    return (
        d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    )


def test_helm_lint_is_clean() -> None:
    result = helm("lint", str(CHART), "--strict", "--kube-version", KUBE_VERSION, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[WARNING]" not in result.stdout
    assert "[ERROR]" not in result.stdout


def test_the_chart_installs_the_crd_as_generated() -> None:
    (crd,) = find(render(), "CustomResourceDefinition")
    generated = yaml.safe_load((ROOT / "crds" / "gridstrategies.gridops.io.yaml").read_text())
    assert crd == generated
    assert not list(find(render("crds.install=false"), "CustomResourceDefinition"))


def test_the_operator_deployment() -> None:
    (deployment,) = find(render(), "Deployment")
    assert deployment["metadata"]["name"] == "gridops-operator"
    labels = deployment["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == "gridops"
    assert labels["app.kubernetes.io/managed-by"] == "gridops-operator"
    assert labels["app.kubernetes.io/component"] == "operator"
    spec = deployment["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"] == ["operator"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["GRIDOPS_OPERATOR_IMAGE"] == container["image"] == "gridops:dev"


def test_image_settings_reach_the_operator_and_its_children() -> None:
    (deployment,) = find(
        render("image.repository=registry.local/gridops", "image.tag=1.2"), "Deployment"
    )
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert container["image"] == env["GRIDOPS_OPERATOR_IMAGE"] == "registry.local/gridops:1.2"


def _rules(docs: list[dict[str, Any]]) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    for role in find(docs, "ClusterRole"):
        for rule in role["rules"]:
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    found.setdefault((group, resource), set()).update(rule["verbs"])
    return found


def test_rbac_grants_exactly_what_the_operator_calls() -> None:
    expected = {key: set(verbs) for key, verbs in RULES.items()}
    assert _rules(render()) == expected


def test_watch_namespaces_binds_per_namespace() -> None:
    docs = render("operator.watchNamespaces={trading,research}")
    bindings = [b["metadata"]["namespace"] for b in find(docs, "RoleBinding")]
    assert bindings == ["trading", "research"]
    cluster = [b["roleRef"]["name"] for b in find(docs, "ClusterRoleBinding")]
    assert cluster == ["gridops-operator-cluster"]
    (deployment,) = find(docs, "Deployment")
    env = {
        e["name"]: e["value"]
        for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert yaml.safe_load(env["GRIDOPS_OPERATOR_NAMESPACES"]) == ["trading", "research"]


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("image.pullPolicy=Sometimes", "/image/pullPolicy"),
        ("operator.statusIntervl=3", "statusIntervl"),
        ("operator.statusInterval=-1", "/operator/statusInterval"),
        ("operator.watchNamespaces={Bad_Name}", "/operator/watchNamespaces/0"),
        ("children.storage.size=lots", "/children/storage/size"),
        ("crds.install=maybe", "/crds/install"),
    ],
)
def test_bad_values_fail_naming_the_value(value: str, named: str) -> None:
    args = ["template", "gridops", str(CHART), "--kube-version", KUBE_VERSION, "--set", value]
    result = helm(*args, check=False)
    assert result.returncode != 0
    assert named in result.stderr, result.stderr
