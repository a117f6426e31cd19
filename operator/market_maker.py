"""The market maker's children: ConfigMap, control Secret, state volume, Deployment, Service."""

from __future__ import annotations

import yaml

from . import names, pods
from .pods import Manifest
from .settings import OperatorSettings
from .strategy import (
    CONFIG_MOUNT,
    CONTROL_MOUNT,
    DATA_MOUNT,
    Strategy,
    config_hash,
    engine_config,
)

CONFIG_FILE = "config.yaml"
TOKEN_KEY = "token"


def _metadata(strategy: Strategy, name: str) -> Manifest:
    labels = names.strategy_labels(strategy.name, names.MARKET_MAKER)
    return pods.metadata(name, strategy.namespace, labels, [strategy.owner()])


def config_map(strategy: Strategy) -> Manifest:
    text = yaml.safe_dump(engine_config(strategy), sort_keys=False)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _metadata(strategy, names.config_map(strategy.name)),
        "data": {CONFIG_FILE: text},
    }


def control_secret(strategy: Strategy, token: str) -> Manifest:
    """The token the market maker's mutating endpoints require (only the operator has it)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": _metadata(strategy, names.control_secret(strategy.name)),
        "stringData": {TOKEN_KEY: token},
    }


def data_claim(strategy: Strategy, settings: OperatorSettings) -> Manifest:
    spec: Manifest = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": settings.storage_size}},
    }
    if settings.storage_class:
        spec["storageClassName"] = settings.storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": _metadata(strategy, names.data_claim(strategy.name)),
        "spec": spec,
    }


def deployment(strategy: Strategy, settings: OperatorSettings, *, use_claim: bool) -> Manifest:
    name = strategy.name
    args = [
        "market-maker",
        "--config", f"{CONFIG_MOUNT}/{CONFIG_FILE}",
        "--http-port", str(names.MARKET_MAKER_PORT),
        "--control-token-file", f"{CONTROL_MOUNT}/{TOKEN_KEY}",
    ]  # fmt: skip
    # the writer Lease lives beside the engine, and its holder names the pod that trades
    env: list[Manifest] = [
        {"name": variable, "valueFrom": {"fieldRef": {"fieldPath": path}}}
        for variable, path in (
            ("GRIDOPS_LEASE_NAMESPACE", "metadata.namespace"),
            ("GRIDOPS_LEASE_HOLDER", "metadata.name"),
        )
    ]
    secret = strategy.spec.engine.database_url_secret
    if secret is not None:
        env.append(
            {
                "name": "GRIDOPS_ENGINE__DATABASE_URL",
                "valueFrom": {"secretKeyRef": {"name": secret.name, "key": secret.key}},
            }
        )
    mounts: list[Manifest] = [
        {"name": "config", "mountPath": CONFIG_MOUNT, "readOnly": True},
        {"name": "control", "mountPath": CONTROL_MOUNT, "readOnly": True},
        {"name": "data", "mountPath": DATA_MOUNT},
    ]
    data: Manifest = (
        {"persistentVolumeClaim": {"claimName": names.data_claim(name)}}
        if use_claim
        else {"emptyDir": {}}
    )
    volumes = [
        {"name": "config", "configMap": {"name": names.config_map(name)}},
        {
            "name": "control",
            "secret": {"secretName": names.control_secret(name), "defaultMode": 0o440},
        },
        {"name": "data", **data},
    ]
    main = pods.container(
        names.MARKET_MAKER,
        args,
        settings,
        settings.market_maker_resources,
        ports={"http": names.MARKET_MAKER_PORT},
        probes=pods.http_probes(names.MARKET_MAKER_PORT),
        mounts=mounts,
        env=env,
    )
    return pods.deployment(
        names.market_maker(name),
        strategy.namespace,
        names.strategy_labels(name, names.MARKET_MAKER),
        pods.pod_spec(main, volumes, service_account=names.MARKET_MAKER_ACCESS),
        annotations={names.CONFIG_HASH: config_hash(strategy)},
        owners=[strategy.owner()],
    )


def service(strategy: Strategy) -> Manifest:
    """/status and /metrics for the live server, the operator and Prometheus."""
    return pods.service(
        names.market_maker(strategy.name),
        strategy.namespace,
        names.strategy_labels(strategy.name, names.MARKET_MAKER),
        {"http": names.MARKET_MAKER_PORT},
        [strategy.owner()],
    )
