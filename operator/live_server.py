"""The live server's children: Deployment and Service (port 8081)."""

from __future__ import annotations

from . import names, pods
from .pods import Manifest
from .settings import OperatorSettings
from .strategy import Strategy


def deployment(strategy: Strategy, settings: OperatorSettings) -> Manifest:
    name, namespace = strategy.name, strategy.namespace
    args = [
        "live-server",
        "--connector", names.connector_address(strategy.spec.exchange, namespace),
        "--port", str(names.LIVE_SERVER_PORT),
        "--market-maker", names.market_maker_url(name, namespace),
        # under the operator spec.paused rules: the dashboard shows kubectl commands
        "--operator-managed", namespace,
    ]  # fmt: skip
    main = pods.container(
        names.LIVE_SERVER,
        args,
        settings,
        settings.live_server_resources,
        ports={"http": names.LIVE_SERVER_PORT},
        probes=pods.http_probes(names.LIVE_SERVER_PORT),
    )
    return pods.deployment(
        names.live_server(name),
        namespace,
        names.strategy_labels(name, names.LIVE_SERVER),
        pods.pod_spec(main, []),
        owners=[strategy.owner()],
    )


def service(strategy: Strategy) -> Manifest:
    return pods.service(
        names.live_server(strategy.name),
        strategy.namespace,
        names.strategy_labels(strategy.name, names.LIVE_SERVER),
        {"http": names.LIVE_SERVER_PORT},
        [strategy.owner()],
    )
