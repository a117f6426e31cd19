"""The `gridops` command: one entry point, one subcommand per role."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from gridops import __version__


def _config_error(error: ValidationError, source: str) -> SystemExit:
    """A settings error as one line per bad field, naming the field."""
    lines = [f"gridops: invalid {source}:"]
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"  {field}: {item['msg']}")
    print("\n".join(lines), file=sys.stderr)
    return SystemExit(2)


def _read_token(path: str | None, flag: str) -> str | None:
    """The token in the file `flag` names (None without one); exit 2 if it can't be used.

    The message names the file and the flag, never the token.
    """
    if path is None:
        return None
    try:
        token = Path(path).read_text().strip()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        print(f"gridops: {flag} {path}: cannot read the token file: {reason}", file=sys.stderr)
        raise SystemExit(2) from None
    if not token:
        print(f"gridops: {flag} {path}: the token file is empty", file=sys.stderr)
        raise SystemExit(2)
    return token


def _given(ns: argparse.Namespace, *names: str) -> dict[str, Any]:
    """Only the flags the user actually passed, so environment variables still apply."""
    return {name: getattr(ns, name) for name in names if getattr(ns, name) is not None}


def _connector(ns: argparse.Namespace) -> None:
    from gridops.connector.server import serve
    from gridops.connector.settings import ConnectorSettings

    fields = (
        "exchange", "account", "host", "port", "metrics_host", "metrics_port", "tls_cert",
        "tls_key", "grace_seconds", "max_pending", "sim_config", "sim_state", "sim_seed",
        "sim_tick_seconds", "api_url", "ws_url", "credentials_file", "symbols",
    )  # fmt: skip
    given = _given(ns, *fields)
    if ns.sandbox:
        given["sandbox"] = True
    if ns.no_metrics:
        given["metrics_port"] = None
    if ns.token_file is not None:
        given["token"] = _read_token(ns.token_file, "--token-file")
    try:
        settings = ConnectorSettings(**given)
    except ValidationError as error:
        raise _config_error(error, "connector settings") from None
    asyncio.run(serve(settings))


def _market_maker(ns: argparse.Namespace) -> None:
    from gridops.market_maker.config import ConfigError, load_config
    from gridops.market_maker.runner import serve
    from gridops.market_maker.state_dir import StateDirError

    overrides = {"connector": ns.connector} if ns.connector else None
    try:
        config = load_config(ns.config, overrides)
    except ConfigError as error:
        print(f"gridops: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    token = _read_token(ns.token_file, "--token-file")
    control_token = _read_token(ns.control_token_file, "--control-token-file")
    try:
        asyncio.run(
            serve(
                config,
                host=ns.http_host,
                http_port=ns.http_port,
                config_path=ns.config,
                token=token or os.environ.get("GRIDOPS_CONNECTOR_TOKEN") or None,
                control_token=control_token or os.environ.get("GRIDOPS_CONTROL_TOKEN") or None,
            )
        )
    except StateDirError as error:  # raised before anything started
        print(f"gridops: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def _live_server(ns: argparse.Namespace) -> None:
    from gridops.client import check_address
    from gridops.errors import InvalidArgument
    from gridops.live_server.controls import ControlSettings
    from gridops.live_server.history import StateDirError
    from gridops.live_server.runner import serve

    try:
        check_address(ns.connector)
    except InvalidArgument as error:
        print(f"gridops: --connector: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    urls = list(ns.market_maker or [])
    urls += [u for u in os.environ.get("GRIDOPS_LIVE_MARKET_MAKERS", "").split(",") if u]
    token = _read_token(ns.token_file, "--token-file")
    control_token = _read_token(ns.control_token_file, "--control-token-file")
    controls = ControlSettings(
        token=control_token or os.environ.get("GRIDOPS_CONTROL_TOKEN") or None,
        operator_managed=ns.operator_managed is not None,
        namespace=ns.operator_managed or None,
    )
    try:
        asyncio.run(
            serve(
                ns.connector,
                host=ns.host,
                port=ns.port,
                market_makers=urls,
                token=token or os.environ.get("GRIDOPS_CONNECTOR_TOKEN") or None,
                max_pending=ns.ws_max_pending,
                state_dir=ns.state_dir,
                controls=controls,
            )
        )
    except StateDirError as error:  # raised before anything started
        print(f"gridops: --state-dir {error}", file=sys.stderr)
        raise SystemExit(2) from None


def _operator(ns: argparse.Namespace) -> None:
    from gridops.operator.errors import StartupError
    from gridops.operator.main import run
    from gridops.operator.settings import OperatorSettings

    given = _given(ns, "liveness_port")
    if ns.namespace:
        given["namespaces"] = ns.namespace
    try:
        settings = OperatorSettings(**given)
    except ValidationError as error:
        raise _config_error(error, "operator settings (env GRIDOPS_OPERATOR_<FIELD>)") from None
    in_cluster = bool(os.environ.get("KUBERNETES_SERVICE_HOST"))
    kubeconfig = Path(os.environ.get("KUBECONFIG") or Path.home() / ".kube" / "config")
    if not in_cluster and not kubeconfig.is_file():
        print(
            f"gridops: no Kubernetes API to talk to: not in a pod, and no kubeconfig at "
            f"{kubeconfig} (set KUBECONFIG)",
            file=sys.stderr,
        )
        raise SystemExit(2)
    try:
        asyncio.run(run(settings))
    except StartupError as error:
        print(f"gridops: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def _venue(ns: argparse.Namespace) -> None:
    from gridops.venue.server import VenueOptions, serve

    options = VenueOptions(
        keys=ns.keys,
        state=ns.state,
        sim_config=ns.sim_config,
        host=ns.host,
        port=ns.port,
        grpc_port=ns.grpc_port,
        weight_limit=ns.weight_limit,
        order_limit=ns.order_limit,
        ban_seconds=ns.ban_seconds,
    )
    asyncio.run(serve(options))


def _demo(ns: argparse.Namespace) -> None:
    from gridops.demo import default_data_dir, run_demo

    raise SystemExit(
        run_demo(
            ns.data_dir or default_data_dir(),
            connector_port=ns.connector_port,
            market_maker_port=ns.market_maker_port,
            live_port=ns.live_port,
            metrics_port=ns.metrics_port,
            config=ns.config,
            fresh=ns.reset,
        )
    )


def _version(ns: argparse.Namespace) -> None:
    print(f"gridops {__version__}")


def port(text: str) -> int:
    """A TCP port flag: argparse then names the flag and exits 2 (not bind()'s traceback)."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{number} is not a port (0 to 65535)")
    return number


def positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{number} is not above 0")
    return number


def positive_float(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not number > 0:
        raise argparse.ArgumentTypeError(f"{number} is not above 0")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gridops", description=__doc__)
    parser.add_argument(
        "--log-level",
        default=os.environ.get("GRIDOPS_LOG_LEVEL", "INFO"),
        help="DEBUG, INFO, WARNING, ERROR (env GRIDOPS_LOG_LEVEL)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    conn = sub.add_parser(
        "connector",
        help="the exchange connector gRPC server",
        description="Serve one exchange account over gRPC (env: GRIDOPS_CONNECTOR_*).",
    )
    conn.add_argument(
        "--exchange",
        help="'sim', the in-process simulated exchange (the default), or a ccxt exchange id "
        "(binance, ...) to trade a real venue; see docs/exchanges.md",
    )
    conn.add_argument("--account", help="account label (default 'default')")
    conn.add_argument("--host", help="bind address (default 0.0.0.0)")
    conn.add_argument("--port", type=port, help="gRPC port (default 50051; 0 picks one)")
    conn.add_argument("--metrics-host", help="metrics bind address (default 0.0.0.0)")
    conn.add_argument("--metrics-port", type=port, help="Prometheus port (default 9090)")
    conn.add_argument("--no-metrics", action="store_true", help="serve no /metrics")
    conn.add_argument("--token-file", help="file holding the shared bearer token")
    conn.add_argument("--tls-cert", type=Path, help="PEM certificate (serve TLS)")
    conn.add_argument("--tls-key", type=Path, help="PEM key for --tls-cert")
    conn.add_argument("--grace-seconds", type=float, help="shutdown grace (default 5)")
    conn.add_argument("--max-pending", type=int, help="order-stream backlog per subscriber")
    conn.add_argument("--sim-config", type=Path, help="YAML settings of the sim exchange")
    conn.add_argument(
        "--sim-state",
        type=Path,
        help="keep the sim exchange in this SQLite file across restarts (a FILE.json "
        "snapshot of an older gridops beside a new FILE is imported once)",
    )
    conn.add_argument("--sim-seed", type=int, help="seed of the sim price process")
    conn.add_argument(
        "--sim-tick-seconds", type=float, help="sim price-process interval; 0: SetPrice only"
    )
    conn.add_argument(
        "--credentials-file",
        type=Path,
        help="ccxt: YAML file with apiKey and secret (or env GRIDOPS_CONNECTOR_API_KEY and "
        "GRIDOPS_CONNECTOR_API_SECRET)",
    )
    conn.add_argument(
        "--api-url",
        metavar="URL",
        help="ccxt: REST base URL replacing the venue's (http://HOST:8090 for gridops venue)",
    )
    conn.add_argument(
        "--ws-url",
        metavar="URL",
        help="ccxt: WebSocket base URL (ws://HOST:8090): streams at /ws, WebSocket API at "
        "/ws-api/v3",
    )
    conn.add_argument("--sandbox", action="store_true", help="ccxt: the venue's own testnet")
    conn.add_argument(
        "--symbols",
        metavar="LIST",
        help="ccxt: symbols to serve, comma-separated (default: every active spot market)",
    )
    conn.set_defaults(run=_connector)

    mm = sub.add_parser(
        "market-maker",
        help="one grid engine",
        description="Run one grid strategy (YAML config; GRIDOPS_* env overrides it).",
    )
    mm.add_argument("--config", type=Path, help="YAML strategy config")
    mm.add_argument("--connector", help="connector HOST:PORT (overrides the config)")
    mm.add_argument("--http-host", default="0.0.0.0", help="HTTP bind address")
    mm.add_argument("--http-port", type=port, default=8080, help="HTTP port (default 8080)")
    mm.add_argument("--token-file", help="file holding the connector's bearer token")
    mm.add_argument(
        "--control-token-file",
        help="file holding the token POST /pause, /resume, /risk/clear require "
        "(authorization: Bearer <token>); env GRIDOPS_CONTROL_TOKEN",
    )
    mm.set_defaults(run=_market_maker)

    live = sub.add_parser(
        "live-server",
        help="REST + WebSocket API and the dashboard",
        description="Serve the dashboard and API for one connector's account.",
    )
    live.add_argument(
        "--connector",
        default=os.environ.get("GRIDOPS_CONNECTOR", "127.0.0.1:50051"),
        help="connector HOST:PORT (env GRIDOPS_CONNECTOR)",
    )
    live.add_argument("--host", default="0.0.0.0", help="bind address")
    live.add_argument("--port", type=port, default=8081, help="HTTP port (default 8081)")
    live.add_argument(
        "--market-maker",
        action="append",
        metavar="URL",
        help="a market maker's base URL, for /api/status (repeatable; env "
        "GRIDOPS_LIVE_MARKET_MAKERS, comma-separated)",
    )
    live.add_argument("--token-file", help="file holding the connector's bearer token")
    live.add_argument(
        "--ws-max-pending",
        type=int,
        default=1000,
        help="events a WebSocket client may fall behind before it is dropped",
    )
    live.add_argument(
        "--state-dir",
        type=Path,
        help="keep the price history here across restarts (default: a directory per "
        "connector under the temp dir, e.g. /tmp/gridops-live-server/HOST_PORT)",
    )
    live.add_argument(
        "--control-token-file",
        help="file holding the market makers' control token, sent with the dashboard's "
        "pause/resume/clear-halt (never to the browser); env GRIDOPS_CONTROL_TOKEN",
    )
    live.add_argument(
        "--operator-managed",
        nargs="?",
        const="",
        metavar="NAMESPACE",
        help="the strategies are GridStrategy objects (in NAMESPACE): the dashboard shows "
        "the kubectl commands instead of acting",
    )
    live.set_defaults(run=_live_server)

    op = sub.add_parser(
        "operator",
        help="the Kubernetes operator for GridStrategy objects",
        description="Reconcile GridStrategy objects into running, health-checked pods "
        "(kopf; env GRIDOPS_OPERATOR_*). In a pod it uses its service account, "
        "elsewhere $KUBECONFIG or ~/.kube/config.",
    )
    op.add_argument(
        "--namespace",
        action="append",
        help="watch only this namespace (repeatable; default: every namespace)",
    )
    op.add_argument("--liveness-port", type=port, help="port of /healthz (default 8080)")
    op.set_defaults(run=_operator)

    venue = sub.add_parser(
        "venue",
        help="the simulated exchange as a venue (Binance spot's REST/WebSocket dialect)",
        description="Serve simulated spot accounts the way Binance does, for ccxt: REST "
        "under /api/v3, market streams under /ws and the WebSocket API under /ws-api/v3 on "
        "--port; the Simulator gRPC service (SetPrice, FillOrder, SetBalances, GetStats, "
        "GetAuditLog) on --grpc-port. See docs/exchanges.md.",
    )
    venue.add_argument(
        "--keys",
        type=Path,
        required=True,
        metavar="FILE",
        help="YAML mapping of API key to secret; each key is an account (the first is the "
        "Simulator's default)",
    )
    venue.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="keep the venue in this SQLite file across restarts (every change on disk "
        "before it is answered); without it the venue lives in memory only",
    )
    venue.add_argument(
        "--sim-config",
        type=Path,
        metavar="FILE",
        help="symbols, prices, starting balances, fees and the price walk (the connector's "
        "--sim-config format); every new account starts with these balances",
    )
    venue.add_argument("--host", default="0.0.0.0", help="bind address (default 0.0.0.0)")
    venue.add_argument("--port", type=port, default=8090, help="REST/WebSocket (default 8090)")
    venue.add_argument(
        "--grpc-port", type=port, default=50052, help="Simulator gRPC (default 50052)"
    )
    venue.add_argument(
        "--weight-limit",
        type=positive_int,
        default=6000,
        help="request weight per minute and client IP before 429 (default 6000, Binance's)",
    )
    venue.add_argument(
        "--order-limit",
        type=positive_int,
        default=100,
        help="new orders per 10 seconds and account before 429 -1015 (default 100, Binance's)",
    )
    venue.add_argument(
        "--ban-seconds",
        type=positive_float,
        default=120.0,
        help="how long a client that keeps sending into 429s is banned (418; default 120)",
    )
    venue.set_defaults(run=_venue)

    demo = sub.add_parser(
        "demo",
        help="the whole stack locally on the simulated exchange",
        description="Connector (sim), a durable market maker on SQLite and the live server; "
        "prints the dashboard URL; Ctrl-C stops everything. State (the simulated exchange, "
        "the engine's database) and logs stay in --data-dir from one run to the next.",
    )
    demo.add_argument(
        "--data-dir", type=Path, help="state and logs (default ~/.local/share/gridops/demo)"
    )
    demo.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="your own strategy file, checked as the market maker checks it (its connector "
        "is the demo's); default: the demo's btc-demo strategy, written to --data-dir",
    )
    demo.add_argument(
        "--reset",
        action="store_true",
        help="start afresh: remove the simulated exchange and the strategy's state first",
    )
    demo.add_argument("--connector-port", type=port, default=50051, help="gRPC (default 50051)")
    demo.add_argument(
        "--market-maker-port", type=port, default=8080, help="engine /status (default 8080)"
    )
    demo.add_argument("--live-port", type=port, default=8081, help="dashboard (default 8081)")
    demo.add_argument(
        "--metrics-port", type=port, default=9090, help="connector /metrics (default 9090)"
    )
    demo.set_defaults(run=_demo)

    from gridops.human import register  # status, orders, fills, cancel, check-config

    register(sub)

    from gridops.probe import register as register_probe

    register_probe(sub)

    from gridops.backtest.cli import register as register_backtest

    register_backtest(sub)

    ver = sub.add_parser("version", help="print the version")
    ver.set_defaults(run=_version)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    ns = build_parser().parse_args(argv)
    logging.basicConfig(
        level=ns.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    run: Callable[[argparse.Namespace], None] = ns.run
    from gridops.startup import StartupError

    try:
        with contextlib.suppress(KeyboardInterrupt):
            run(ns)
    except StartupError as error:
        # One line, last on stderr: under Kubernetes it is the termination message.
        print(f"gridops: {error}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
