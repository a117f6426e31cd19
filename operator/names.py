"""Names and labels of a strategy's children (BRIEF §6: part of the contract)."""

from __future__ import annotations

from gridops.spec import ExchangeSettings

GROUP = "gridops.io"
FINALIZER = "gridops.io/cancel-orders"
CLEAR_HALT = "gridops.io/clear-halt"
SKIP_CANCEL = "gridops.io/skip-cancel"
CONFIG_HASH = "gridops.io/config-hash"
EXCHANGE_HASH = "gridops.io/exchange-hash"
STRATEGY_LABEL = "gridops.io/strategy"
ACCOUNT_LABEL = "gridops.io/account"
COMPONENT = "app.kubernetes.io/component"
MANAGER = "gridops-operator"

BASE_LABELS = {"app.kubernetes.io/name": "gridops", "app.kubernetes.io/managed-by": MANAGER}

MARKET_MAKER = "market-maker"
LIVE_SERVER = "live-server"
CONNECTOR = "connector"
#: the market makers' ServiceAccount, Role and RoleBinding: one set per namespace
MARKET_MAKER_ACCESS = "gridops-market-maker"

CONNECTOR_GRPC_PORT = 50051
CONNECTOR_METRICS_PORT = 9090
MARKET_MAKER_PORT = 8080
LIVE_SERVER_PORT = 8081


def market_maker(strategy: str) -> str:
    return f"{strategy}-mm"


def config_map(strategy: str) -> str:
    return f"{strategy}-config"


def live_server(strategy: str) -> str:
    return f"{strategy}-live"


def control_secret(strategy: str) -> str:
    return f"{strategy}-control"


def data_claim(strategy: str) -> str:
    return f"{strategy}-data"


def connector(exchange: ExchangeSettings) -> str:
    return f"gridops-connector-{exchange.key}"


def connector_address(exchange: ExchangeSettings, namespace: str) -> str:
    return f"{connector(exchange)}.{namespace}.svc:{CONNECTOR_GRPC_PORT}"


def market_maker_url(strategy: str, namespace: str) -> str:
    return f"http://{market_maker(strategy)}.{namespace}.svc:{MARKET_MAKER_PORT}"


def strategy_labels(strategy: str, component: str) -> dict[str, str]:
    return {**BASE_LABELS, COMPONENT: component, STRATEGY_LABEL: strategy}


def connector_labels(exchange: ExchangeSettings) -> dict[str, str]:
    return {**BASE_LABELS, COMPONENT: CONNECTOR, ACCOUNT_LABEL: exchange.key}
