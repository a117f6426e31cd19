"""The account's shared connector: Deployment, Service and (sim) settings ConfigMap.

Every strategy on the exchange account owns these (one ownerReference each, none the
controller), so garbage collection removes them with the last strategy. Each strategy
applies them under a field manager of its own, so one strategy's apply never drops
another's ownerReference.
"""

from __future__ import annotations

import yaml

from gridops.spec.exchanges import CCXT_EXCHANGES

from . import names, pods
from .pods import Manifest
from .settings import OperatorSettings
from .strategy import CONFIG_MOUNT, Strategy, exchange_hash

SIM_FILE = "sim.yaml"
#: exchanges the connector can run: the in-process simulator, and every ccxt id
SUPPORTED_EXCHANGES = frozenset({"sim"}) | CCXT_EXCHANGES


def _metadata(strategy: Strategy) -> Manifest:
    exchange = strategy.spec.exchange
    return pods.metadata(
        names.connector(exchange),
        strategy.namespace,
        names.connector_labels(exchange),
        [strategy.owner(controller=False)],
    )


def config_map(strategy: Strategy) -> Manifest | None:
    """The simulated exchange's settings, when the spec gives any."""
    sim = strategy.spec.exchange.sim
    if sim is None:
        return None
    text = yaml.safe_dump(sim.model_dump(mode="json", by_alias=True), sort_keys=False)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _metadata(strategy),
        "data": {SIM_FILE: text},
    }


def deployment(strategy: Strategy, settings: OperatorSettings) -> Manifest:
    exchange = strategy.spec.exchange
    name = names.connector(exchange)
    args = [
        "connector",
        "--exchange", exchange.name,
        "--account", exchange.account,
        "--port", str(names.CONNECTOR_GRPC_PORT),
        "--metrics-port", str(names.CONNECTOR_METRICS_PORT),
    ]  # fmt: skip
    mounts: list[Manifest] = []
    volumes: list[Manifest] = []
    env: list[Manifest] = []
    if exchange.sim is not None:
        args += ["--sim-config", f"{CONFIG_MOUNT}/{SIM_FILE}"]
        mounts.append({"name": "config", "mountPath": CONFIG_MOUNT, "readOnly": True})
        volumes.append({"name": "config", "configMap": {"name": name}})
    if exchange.api_url:
        args += ["--api-url", exchange.api_url]
    if exchange.ws_url:
        args += ["--ws-url", exchange.ws_url]
    if exchange.credentials_secret:
        env += [
            {
                "name": variable,
                "valueFrom": {"secretKeyRef": {"name": exchange.credentials_secret, "key": key}},
            }
            for variable, key in (
                ("GRIDOPS_CONNECTOR_API_KEY", "apiKey"),
                ("GRIDOPS_CONNECTOR_API_SECRET", "secret"),
            )
        ]
    main = pods.container(
        names.CONNECTOR,
        args,
        settings,
        settings.connector_resources,
        ports={"grpc": names.CONNECTOR_GRPC_PORT, "metrics": names.CONNECTOR_METRICS_PORT},
        probes=pods.grpc_probes(names.CONNECTOR_GRPC_PORT),
        mounts=mounts,
        env=env,
    )
    deployment = pods.deployment(
        name,
        strategy.namespace,
        names.connector_labels(exchange),
        pods.pod_spec(main, volumes),
        annotations={names.EXCHANGE_HASH: exchange_hash(strategy)},
        owners=[strategy.owner(controller=False)],
    )
    deployment["metadata"]["annotations"] = {names.EXCHANGE_HASH: exchange_hash(strategy)}
    return deployment


def service(strategy: Strategy) -> Manifest:
    exchange = strategy.spec.exchange
    return pods.service(
        names.connector(exchange),
        strategy.namespace,
        names.connector_labels(exchange),
        {"grpc": names.CONNECTOR_GRPC_PORT, "metrics": names.CONNECTOR_METRICS_PORT},
        [strategy.owner(controller=False)],
    )
