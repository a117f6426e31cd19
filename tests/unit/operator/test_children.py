"""Spec -> manifests: every child, its labels, probes, security and the config hash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gridops.market_maker.config import load_config
from gridops.operator import children, names
from gridops.operator.kube import KINDS
from gridops.operator.rbac import RULES
from gridops.operator.settings import OperatorSettings
from gridops.operator.strategy import DATA_MOUNT, config_hash

from .strategies import strategy

SETTINGS = OperatorSettings()
BASE = {"app.kubernetes.io/name": "gridops", "app.kubernetes.io/managed-by": "gridops-operator"}


def everything(**changes: Any) -> list[dict[str, Any]]:
    wanted = children.desired(strategy(**changes), SETTINGS, use_claim=True)
    return wanted.connector + wanted.own


def by_kind_name(manifests: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(m["kind"], m["metadata"]["name"]): m for m in manifests}


def test_the_children_have_the_names_of_the_brief() -> None:
    found = set(by_kind_name(everything()))
    assert found == {
        ("Deployment", "btc-grid-mm"),
        ("Service", "btc-grid-mm"),
        ("ConfigMap", "btc-grid-config"),
        ("PersistentVolumeClaim", "btc-grid-data"),
        ("Deployment", "btc-grid-live"),
        ("Service", "btc-grid-live"),
        ("Deployment", "gridops-connector-sim-default"),
        ("Service", "gridops-connector-sim-default"),
    }


@pytest.mark.parametrize(
    ("kind", "name", "component", "key", "value"),
    [
        ("Deployment", "btc-grid-mm", "market-maker", "gridops.io/strategy", "btc-grid"),
        ("ConfigMap", "btc-grid-config", "market-maker", "gridops.io/strategy", "btc-grid"),
        ("Deployment", "btc-grid-live", "live-server", "gridops.io/strategy", "btc-grid"),
        ("Service", "btc-grid-live", "live-server", "gridops.io/strategy", "btc-grid"),
        (
            "Deployment",
            "gridops-connector-sim-default",
            "connector",
            "gridops.io/account",
            "sim-default",
        ),
    ],
)
def test_labels_are_the_contract(
    kind: str, name: str, component: str, key: str, value: str
) -> None:
    manifest = by_kind_name(everything())[(kind, name)]
    expected = {**BASE, "app.kubernetes.io/component": component, key: value}
    assert manifest["metadata"]["labels"] == expected
    if kind == "Deployment":
        assert manifest["spec"]["template"]["metadata"]["labels"] == expected
        assert manifest["spec"]["selector"]["matchLabels"] == expected


def deployments() -> list[dict[str, Any]]:
    return [m for m in everything() if m["kind"] == "Deployment"]


def test_every_deployment_is_one_replica_recreate() -> None:
    for deployment in deployments():
        assert deployment["spec"]["replicas"] == 1
        assert deployment["spec"]["strategy"] == {"type": "Recreate"}


def test_every_pod_is_non_root_read_only_limited_and_probed() -> None:
    for deployment in deployments():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == 10001
        engine = deployment["metadata"]["name"] == "btc-grid-mm"
        assert pod["automountServiceAccountToken"] is engine
        assert pod.get("serviceAccountName") == ("gridops-market-maker" if engine else None)
        assert pod["enableServiceLinks"] is False
        (container,) = pod["containers"]
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"] == {"drop": ["ALL"]}
        assert set(container["resources"]) == {"requests", "limits"}
        assert {"livenessProbe", "readinessProbe"} <= set(container)
        assert container["image"] == SETTINGS.image
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]


def test_probes_per_role() -> None:
    found = by_kind_name(everything())

    def main(name: str) -> dict[str, Any]:
        container: dict[str, Any] = found[("Deployment", name)]["spec"]["template"]["spec"][
            "containers"
        ][0]
        return container

    connector = main("gridops-connector-sim-default")
    assert connector["readinessProbe"]["grpc"] == {"port": 50051}
    assert connector["livenessProbe"]["grpc"] == {"port": 50051}
    for name, port in (("btc-grid-mm", 8080), ("btc-grid-live", 8081)):
        assert main(name)["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port}
        assert main(name)["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port}


def test_the_services_ports() -> None:
    found = by_kind_name(everything())
    ports = {
        name: {p["name"]: p["port"] for p in found[("Service", name)]["spec"]["ports"]}
        for name in ("btc-grid-live", "btc-grid-mm", "gridops-connector-sim-default")
    }
    assert ports == {
        "btc-grid-live": {"http": 8081},
        "btc-grid-mm": {"http": 8080},
        "gridops-connector-sim-default": {"grpc": 50051, "metrics": 9090},
    }


def test_owners_strategy_controls_its_own_children_and_co_owns_the_connector() -> None:
    for manifest in everything():
        (owner,) = manifest["metadata"]["ownerReferences"]
        assert owner["kind"] == "GridStrategy"
        assert owner["uid"] == "uid-btc-grid"
        shared = manifest["metadata"]["name"].startswith("gridops-connector-")
        assert owner["controller"] is (not shared)


def test_the_config_map_is_the_spec_plus_name_connector_and_data_dir(tmp_path: Path) -> None:
    found = by_kind_name(everything(paused=True))
    text = found[("ConfigMap", "btc-grid-config")]["data"]["config.yaml"]
    path = tmp_path / "config.yaml"
    path.write_text(text)
    config = load_config(path)
    assert config.name == "btc-grid"
    assert config.connector == "gridops-connector-sim-default.trading.svc:50051"
    assert str(config.engine.data_dir) == DATA_MOUNT
    assert config.paused is True
    assert config.database_url == f"sqlite:///{DATA_MOUNT}/btc-grid.db"
    assert str(config.grid.price_interval) == "50"


def test_the_config_hash_follows_the_spec_but_not_paused() -> None:
    base = config_hash(strategy())
    assert config_hash(strategy(paused=True)) == base
    assert config_hash(strategy(grid={"priceInterval": "60"})) != base
    assert config_hash(strategy(risk={"maxPosition": "0.2"})) != base
    deployment = by_kind_name(everything())[("Deployment", "btc-grid-mm")]
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {"gridops.io/config-hash": base}


def test_a_database_url_from_a_secret_is_an_env_reference_and_needs_no_volume() -> None:
    secret = {"name": "pg", "key": "url"}
    s = strategy(engine={"databaseUrlSecret": secret})
    assert not s.needs_volume
    wanted = children.desired(s, SETTINGS, use_claim=False)
    found = by_kind_name(wanted.own)
    assert ("PersistentVolumeClaim", "btc-grid-data") not in found
    pod = found[("Deployment", "btc-grid-mm")]["spec"]["template"]["spec"]
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    assert env["GRIDOPS_ENGINE__DATABASE_URL"]["valueFrom"] == {"secretKeyRef": secret}
    config = yaml.safe_load(found[("ConfigMap", "btc-grid-config")]["data"]["config.yaml"])
    assert "databaseUrlSecret" not in config["engine"]
    data = next(v for v in pod["volumes"] if v["name"] == "data")
    assert data == {"name": "data", "emptyDir": {}}


def test_without_a_storage_class_the_state_lives_in_an_empty_dir() -> None:
    wanted = children.desired(strategy(), SETTINGS, use_claim=False)
    kinds = {m["kind"] for m in wanted.own}
    assert "PersistentVolumeClaim" not in kinds
    pod = by_kind_name(wanted.own)[("Deployment", "btc-grid-mm")]["spec"]["template"]["spec"]
    assert {"name": "data", "emptyDir": {}} in pod["volumes"]


def test_the_simple_engine_keeps_its_risk_journal_on_a_volume() -> None:
    assert strategy(engine={"type": "simple"}).needs_volume


def test_a_disabled_live_server_is_removed_not_applied() -> None:
    wanted = children.desired(strategy(liveServer={"enabled": False}), SETTINGS, use_claim=True)
    assert ("Deployment", "btc-grid-live") not in by_kind_name(wanted.own)
    assert set(wanted.absent) == {("Deployment", "btc-grid-live"), ("Service", "btc-grid-live")}


def test_sim_settings_go_to_the_connector_and_roll_it_when_they_change() -> None:
    sim = {"tickInterval": 0.5, "makerFee": "0.0002"}
    wanted = children.desired(strategy(exchange={"sim": sim}), SETTINGS, use_claim=True)
    found = by_kind_name(wanted.connector)
    config = found[("ConfigMap", "gridops-connector-sim-default")]
    settings = yaml.safe_load(config["data"]["sim.yaml"])
    assert settings["makerFee"] == "0.0002"
    assert settings["tickInterval"] == 0.5
    deployment = found[("Deployment", "gridops-connector-sim-default")]
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--sim-config") + 1] == "/etc/gridops/sim.yaml"
    plain = children.desired(strategy(), SETTINGS, use_claim=True).connector
    plain_hash = plain[0]["spec"]["template"]["metadata"]["annotations"][names.EXCHANGE_HASH]
    new_hash = deployment["spec"]["template"]["metadata"]["annotations"][names.EXCHANGE_HASH]
    assert plain_hash != new_hash


def test_credentials_only_from_secrets() -> None:
    s = strategy(
        exchange={
            "name": "binance",
            "account": "main",
            "credentialsSecret": "binance-keys",
            "apiUrl": "http://venue:8090",
            "wsUrl": "ws://venue:8090",
        }
    )
    deployment = by_kind_name(children.desired(s, SETTINGS, use_claim=True).connector)[
        ("Deployment", "gridops-connector-binance-main")
    ]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    refs = [e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e]
    assert refs == [
        {"name": "binance-keys", "key": "apiKey"},
        {"name": "binance-keys", "key": "secret"},
    ]
    assert all("value" not in e for e in container["env"] if e["name"] != "GRIDOPS_LOG_LEVEL")
    args = container["args"]
    assert args[args.index("--api-url") + 1] == "http://venue:8090"
    assert args[args.index("--ws-url") + 1] == "ws://venue:8090"


def test_the_market_maker_gets_the_control_token_file() -> None:
    deployment = by_kind_name(everything())[("Deployment", "btc-grid-mm")]
    pod = deployment["spec"]["template"]["spec"]
    args = pod["containers"][0]["args"]
    assert args[args.index("--control-token-file") + 1] == "/var/run/gridops/control/token"
    control = next(v for v in pod["volumes"] if v["name"] == "control")
    assert control["secret"]["secretName"] == "btc-grid-control"


def test_the_dashboard_knows_the_operator_manages_the_strategy() -> None:
    deployment = by_kind_name(everything())[("Deployment", "btc-grid-live")]
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--operator-managed") + 1] == "trading"
    assert args[args.index("--market-maker") + 1] == "http://btc-grid-mm.trading.svc:8080"


def test_only_the_market_maker_holds_a_token_and_knows_its_lease() -> None:
    deployment = by_kind_name(everything())[("Deployment", "btc-grid-mm")]
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "gridops-market-maker"
    assert pod["automountServiceAccountToken"] is True
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    assert env["GRIDOPS_LEASE_NAMESPACE"]["valueFrom"] == {
        "fieldRef": {"fieldPath": "metadata.namespace"}
    }
    assert env["GRIDOPS_LEASE_HOLDER"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}


def test_the_market_maker_access_is_shared_in_the_namespace() -> None:
    wanted = children.desired(strategy(), SETTINGS, use_claim=True)
    found = by_kind_name(wanted.access)
    assert set(found) == {
        ("ServiceAccount", "gridops-market-maker"),
        ("Role", "gridops-market-maker"),
        ("RoleBinding", "gridops-market-maker"),
    }
    for manifest in wanted.access:
        metadata = manifest["metadata"]
        assert metadata["namespace"] == "trading"
        assert metadata["labels"] == {**BASE, "app.kubernetes.io/component": "market-maker"}
        # co-owned like the connector: it goes with the namespace's last strategy
        (owner,) = metadata["ownerReferences"]
        assert (owner["uid"], owner["controller"]) == ("uid-btc-grid", False)
    (rule,) = found[("Role", "gridops-market-maker")]["rules"]
    assert rule == {
        "apiGroups": ["coordination.k8s.io"],
        "resources": ["leases"],
        "verbs": ["get", "create", "update", "patch"],
    }
    binding = found[("RoleBinding", "gridops-market-maker")]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "gridops-market-maker",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "gridops-market-maker", "namespace": "trading"}
    ]
    # another strategy's set is the same objects, with its own owner
    other = children.desired(strategy("eth-grid"), SETTINGS, use_claim=True).access
    assert [m["metadata"]["name"] for m in other] == [m["metadata"]["name"] for m in wanted.access]
    assert other[0]["metadata"]["ownerReferences"][0]["uid"] == "uid-eth-grid"


def test_the_operator_holds_what_it_applies_and_what_its_role_grants() -> None:
    wanted = children.desired(strategy(), SETTINGS, use_claim=True)
    for manifest in wanted.own + wanted.connector + wanted.access:
        kind = KINDS[manifest["kind"]]
        assert {"create", "patch"} <= RULES[(kind.group, kind.plural)], manifest["kind"]
    # RBAC escalation prevention: a Role may grant only verbs its creator holds
    role = next(m for m in wanted.access if m["kind"] == "Role")
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                assert set(rule["verbs"]) <= RULES[(group, resource)]
