"""The Helm chart rendered by the real helm: lint, contents, RBAC, values schema."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gridops.operator import children
from gridops.operator.rbac import RULES
from gridops.operator.settings import OperatorSettings
from gridops.operator.strategy import Strategy
from gridops.spec import StrategySpec

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


# -- monitoring ------------------------------------------------------------------------

DASHBOARD = CHART / "files" / "grafana" / "gridops.json"
ALERTS = CHART / "files" / "prometheus" / "alerts.yaml"
MONITORING_KINDS = ("PrometheusRule", "PodMonitor", "ServiceMonitor")
#: the pods and Services of these components serve /metrics (BRIEF §6 labels)
SCRAPED = {"connector", "market-maker", "live-server"}


def test_the_dashboard_configmap_is_on_by_default_for_the_grafana_sidecar() -> None:
    docs = render()
    (config_map,) = find(docs, "ConfigMap", "gridops-grafana-dashboard")
    assert config_map["metadata"]["namespace"] == "gridops-system"
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(config_map["data"]["gridops.json"]) == json.loads(DASHBOARD.read_text())
    for kind in MONITORING_KINDS:  # these need the Prometheus Operator's CRDs: off
        assert not list(find(docs, kind)), kind


def test_the_dashboard_configmap_label_namespace_and_annotations_are_settable() -> None:
    docs = render(
        "monitoring.grafanaDashboard.label=dashboards",
        "monitoring.grafanaDashboard.labelValue=gridops",
        "monitoring.grafanaDashboard.namespace=monitoring",
        "monitoring.grafanaDashboard.annotations.grafana_folder=Trading",
    )
    (config_map,) = find(docs, "ConfigMap", "gridops-grafana-dashboard")
    metadata = config_map["metadata"]
    assert metadata["labels"]["dashboards"] == "gridops"
    assert "grafana_dashboard" not in metadata["labels"]
    assert metadata["namespace"] == "monitoring"
    assert metadata["annotations"] == {"grafana_folder": "Trading"}
    off = render("monitoring.grafanaDashboard.enabled=false")
    assert not list(find(off, "ConfigMap", "gridops-grafana-dashboard"))


def test_the_prometheus_rule_carries_the_alerts_file() -> None:
    docs = render(
        "monitoring.prometheusRule.enabled=true", "monitoring.prometheusRule.labels.release=kps"
    )
    (rule,) = find(docs, "PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["metadata"]["namespace"] == "gridops-system"
    assert rule["metadata"]["labels"]["release"] == "kps"
    assert rule["metadata"]["labels"]["app.kubernetes.io/name"] == "gridops"
    assert rule["spec"]["groups"] == yaml.safe_load(ALERTS.read_text())["groups"]
    names = {r["alert"] for group in rule["spec"]["groups"] for r in group["rules"]}
    assert "GridopsStrategyHalted" in names


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A label selector's verdict on `labels` (matchLabels and In expressions)."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In", expression
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def _operator_children() -> list[dict[str, Any]]:
    """The Deployments and Services the operator makes for a strategy, as it makes them."""
    spec = StrategySpec.model_validate(
        {"symbol": "BTC/USDT", "grid": {"priceInterval": "50", "orderQuantity": "0.001"}}
    )
    wanted = children.desired(
        Strategy("btc", "trading", "uid-btc", 1, spec), OperatorSettings(), use_claim=False
    )
    return [m for m in wanted.own + wanted.connector if m["kind"] in ("Deployment", "Service")]


def _scraped_ports(monitor: dict[str, Any]) -> dict[str, set[str]]:
    """component -> the names of its ports the monitor scrapes."""
    spec = monitor["spec"]
    endpoints = spec.get("podMetricsEndpoints") or spec["endpoints"]
    kind = "Deployment" if monitor["kind"] == "PodMonitor" else "Service"
    scraped: dict[str, set[str]] = {}
    for child in _operator_children():
        if child["kind"] != kind:
            continue
        if kind == "Deployment":
            labels = child["spec"]["template"]["metadata"]["labels"]
            ports = {p["name"] for c in child["spec"]["template"]["spec"]["containers"]
                     for p in c.get("ports", [])}  # fmt: skip
        else:
            labels = child["metadata"]["labels"]
            ports = {p["name"] for p in child["spec"]["ports"]}
        if _selects(spec["selector"], labels):
            component = labels["app.kubernetes.io/component"]
            scraped[component] = ports & {e["port"] for e in endpoints}
    return scraped


@pytest.mark.parametrize(
    ("kind", "value"),
    [("PodMonitor", "podMonitor"), ("ServiceMonitor", "serviceMonitor")],
)
def test_a_monitor_scrapes_the_metrics_port_of_every_component(kind: str, value: str) -> None:
    docs = render(
        f"monitoring.{value}.enabled=true",
        f"monitoring.{value}.interval=15s",
        f"monitoring.{value}.labels.release=kps",
    )
    (monitor,) = find(docs, kind)
    assert [d["kind"] for d in docs if d["kind"] in MONITORING_KINDS] == [kind]
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "kps"
    spec = monitor["spec"]
    assert spec["namespaceSelector"] == {"any": True}
    endpoints = spec.get("podMetricsEndpoints") or spec["endpoints"]
    assert {(e["path"], e["interval"]) for e in endpoints} == {("/metrics", "15s")}
    # the connector's metrics port, the others' http port: each scraped exactly once
    assert _scraped_ports(monitor) == {
        "connector": {"metrics"},
        "market-maker": {"http"},
        "live-server": {"http"},
    }
    assert set(_scraped_ports(monitor)) == SCRAPED
    # the operator's own pod (also managed-by gridops-operator) is not a target
    (operator,) = find(docs, "Deployment", "gridops-operator")
    assert not _selects(spec["selector"], operator["spec"]["template"]["metadata"]["labels"])


def test_a_monitor_can_be_limited_to_some_namespaces() -> None:
    docs = render(
        "monitoring.podMonitor.enabled=true", "monitoring.podMonitor.namespaceSelector.any=false",
        "monitoring.podMonitor.namespaceSelector.matchNames={trading,research}",
    )  # fmt: skip
    (monitor,) = find(docs, "PodMonitor")
    assert monitor["spec"]["namespaceSelector"] == {
        "any": False,
        "matchNames": ["trading", "research"],
    }


def test_both_monitors_at_once_are_refused() -> None:
    args = ["template", "gridops", str(CHART), "--kube-version", KUBE_VERSION]
    args += ["--set", "monitoring.podMonitor.enabled=true"]
    args += ["--set", "monitoring.serviceMonitor.enabled=true"]
    result = helm(*args, check=False)
    assert result.returncode != 0
    assert "podMonitor or serviceMonitor, not both" in result.stderr


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("monitoring.podMonitor.interval=soon", "/monitoring/podMonitor/interval"),
        ("monitoring.serviceMonitor.enabled=yes", "/monitoring/serviceMonitor/enabled"),
        ("monitoring.prometheusRule.lables.a=b", "lables"),
        ("monitoring.grafanaDashboard.label=", "/monitoring/grafanaDashboard/label"),
    ],
)
def test_bad_monitoring_values_fail_naming_the_value(value: str, named: str) -> None:
    args = ["template", "gridops", str(CHART), "--kube-version", KUBE_VERSION, "--set", value]
    result = helm(*args, check=False)
    assert result.returncode != 0
    assert named in result.stderr, result.stderr
