"""`gridops demo`: the whole stack on one machine, on the simulated exchange.

Three child processes (connector, market maker, live server) started in order, each
waited for until healthy; Ctrl-C (or SIGTERM) stops them in reverse order and leaves
nothing behind. The children run in sessions of their own so that a Ctrl-C reaches only
the demo, which then stops them one by one. A child that dies later is started again,
with a line saying so; one that keeps dying right after its start, or that refuses its
settings (exit code 2), ends the demo with its own words.

Everything that must be right before a child starts (the ports are free, a `--config`
strategy is valid and trades a symbol the demo's exchange lists) is checked first, so a
mistake is one line naming the flag to change (a StartupError: exit code 2).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from gridops.live_server.history import SUFFIX as PRICES_SUFFIX
from gridops.startup import StartupError, describe_os_error

DEMO_NAME = "btc-demo"

DEMO_SYMBOLS: list[dict[str, str]] = [
    {"symbol": "BTC/USDT", "price": "50000", "tickSize": "0.01", "stepSize": "0.00001",
     "minQuantity": "0.00001", "minNotional": "5"},
    {"symbol": "ETH/USDT", "price": "3000", "tickSize": "0.01", "stepSize": "0.0001",
     "minQuantity": "0.0001", "minNotional": "5"},
]  # fmt: skip

DEMO_SIM: dict[str, object] = {
    "symbols": DEMO_SYMBOLS,
    # Binance's standard spot fees, so that the numbers are honest.
    "makerFee": "0.001",
    "takerFee": "0.001",
    # A lively market (500 % a year): about 0.4 % a minute, so that the grid below
    # trades within the first minute; tests/unit/test_demo.py replays the seeded walk.
    "volatility": 5.0,
    "tickInterval": 0.5,
}

#: the demo grid: a round trip (buy, then sell one interval up) earns 250 x 0.01 = 2.50
#: USDT for about 1.00 of fees at 50,000 (0.1 % per fill): +1.50 net. A step at or below
#: 2 x 0.1 % of the price (100 USDT) would lose on every trade.
DEMO_GRID = {"mode": "long", "priceInterval": "250", "orderQuantity": "0.01",
             "buyWindow": 5, "sellWindow": 5}  # fmt: skip


def demo_strategy(connector: str, data_dir: Path) -> dict[str, object]:
    return {
        "name": DEMO_NAME,
        "connector": connector,
        "symbol": "BTC/USDT",
        "grid": dict(DEMO_GRID),
        "risk": {"maxMovePercent": "5", "moveWindowSeconds": 1, "maxPosition": "0.1",
                 "cooldownSeconds": 120, "staleDataSeconds": 30},
        "engine": {"type": "durable", "dataDir": str(data_dir)},
    }  # fmt: skip


def demo_symbols() -> list[str]:
    return [spec["symbol"] for spec in DEMO_SYMBOLS]


# -- ports -------------------------------------------------------------------------------

#: (flag, what listens there) in the order the children start
PORT_FLAGS = (
    ("--connector-port", "the connector's gRPC API"),
    ("--metrics-port", "the connector's metrics"),
    ("--market-maker-port", "the market maker's HTTP status"),
    ("--live-port", "the dashboard"),
)


def check_ports(ports: dict[str, int], host: str = "127.0.0.1") -> None:
    """Every port distinct and free, or a StartupError naming the flag that moves it.

    Asked before anything starts: a child would only say "exited with 2" to the demo, and
    a half-started demo would have to be stopped again.
    """
    seen: dict[int, str] = {}
    for flag, what in PORT_FLAGS:
        port = ports[flag]
        if port in seen:
            raise StartupError(f"demo: {seen[port]} and {flag} are both {port}; give each its own")
        seen[port] = flag
        with socket.socket() as probe:
            # As servers bind: SO_REUSEADDR, so a port with connections in TIME_WAIT is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as error:
                raise StartupError(
                    f"demo: port {host}:{port} for {what} {describe_os_error(error)} "
                    f"(another demo still running?); choose another with {flag}"
                ) from None


# -- the strategy ------------------------------------------------------------------------


@dataclass(frozen=True)
class Strategy:
    path: Path
    name: str
    symbol: str
    database_url: str
    data_dir: Path
    written: bool  #: the demo wrote the default (no --config)


def prepare_strategy(config: Path | None, connector: str, data_dir: Path) -> Strategy:
    """The user's `--config` checked as the market maker would, or the default written."""
    from gridops.market_maker.config import ConfigError, load_config

    path = config or data_dir / f"{DEMO_NAME}.yaml"
    if config is None:
        path.write_text(yaml.safe_dump(demo_strategy(connector, data_dir), sort_keys=False))
    try:
        loaded = load_config(path, {"connector": connector})
    except ConfigError as error:
        raise StartupError(f"demo --config: {error}") from None
    if loaded.symbol not in demo_symbols():
        raise StartupError(
            f"demo --config {path}: symbol {loaded.symbol} is not on the demo's simulated "
            f"exchange, which lists {', '.join(demo_symbols())}"
        )
    return Strategy(
        path, loaded.name, loaded.symbol, loaded.database_url, loaded.engine.data_dir,
        written=config is None,
    )  # fmt: skip


def exchange_path(data_dir: Path) -> Path:
    """The demo's simulated exchange: the connector's --sim-state (SQLite).

    An `exchange.json` beside it (what an older gridops kept) is imported once.
    """
    return data_dir / "exchange.db"


def live_state_dir(data_dir: Path) -> Path:
    """Where the demo's live server keeps its price history (the chart survives restarts)."""
    return data_dir / "live"


def reset(data_dir: Path, strategy: Strategy) -> list[str]:
    """Remove the simulated exchange, the strategy's state and the chart's prices.

    All at once: an engine that remembers orders the exchange has forgotten would only
    reconcile them away, and a chart of the old run's prices would draw a cliff where the
    fresh exchange starts. Logs are kept (they are history, not state). Returns what went.
    """
    exchange = exchange_path(data_dir)
    doomed = [exchange, Path(f"{exchange}-wal"), Path(f"{exchange}-shm"),
              # what an older gridops kept it in (imported into exchange.db once)
              data_dir / "exchange.json", data_dir / "exchange.json.tmp",
              strategy.data_dir / f"{strategy.name}.risk.json"]  # fmt: skip
    live = live_state_dir(data_dir)
    if live.is_dir():
        doomed += sorted(live.glob(f"*{PRICES_SUFFIX}"))
    url = strategy.database_url
    if url.startswith("sqlite:///"):
        database = Path(url.removeprefix("sqlite:///"))
        doomed += [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
    removed = []
    for path in doomed:
        if path.is_file():
            path.unlink()
            removed.append(str(path))
    if not url.startswith("sqlite:"):
        removed.append("(not its database: not SQLite; drop that one yourself)")
    return removed


# -- children ----------------------------------------------------------------------------

#: a child that dies within this many seconds of its start failed "quickly"
QUICK_SECONDS = 30.0
#: quick failures in a row after which the demo gives up on a child
MAX_QUICK_FAILURES = 3


@dataclass
class Child:
    name: str
    command: list[str]
    log: Path
    ready: Callable[[], bool]
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    #: the log's size at this start: what the child said since is after it
    log_from: int = 0
    quick_failures: int = 0
    restarts: int = 0

    def start(self) -> None:
        self.log_from = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True,
            )  # fmt: skip
        self.started = time.monotonic()

    @property
    def exited(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def last_words(self, own_only: bool = False) -> str:
        """The child's `gridops: ...` line if it left one (its reason), else (unless
        `own_only`) its last line, e.g. the end of a traceback."""
        try:
            with self.log.open("rb") as log:
                log.seek(self.log_from)
                lines = log.read().decode(errors="replace").strip().splitlines()
        except OSError:
            return ""
        own = [line for line in lines if line.startswith("gridops: ")]
        return (own or ([] if own_only else lines) or [""])[-1].strip()


def exit_description(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _grpc_serving(address: str) -> bool:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(address) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service="gridops.v1.ExchangeConnector"), timeout=1
            )
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def _warnings(port: int) -> list[str]:
    """What the market maker warns about (e.g. a --config step below the fees)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=2) as response:
            document = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return []
    warnings = document.get("warnings") if isinstance(document, dict) else None
    return [str(w) for w in warnings] if isinstance(warnings, list) else []


class ChildFailed(Exception):
    """A child that cannot be kept running; the message says which and why."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _failure(child: Child, code: int, logs: Path) -> ChildFailed:
    words = child.last_words()
    said = f": {words}" if words else ""
    return ChildFailed(
        f"{child.name} {exit_description(code)}{said} (log: {logs / child.log.name})",
        2 if code == 2 else 1,
    )


def _wait_ready(child: Child, children: list[Child], stop: threading.Event, timeout: float,
                logs: Path) -> None:  # fmt: skip
    """Poll until `child` is ready, the user stops the demo, or a child exits."""
    deadline = time.monotonic() + timeout
    while not stop.is_set():
        for other in children:
            code = other.exited
            if code is not None:
                raise _failure(other, code, logs)
        if child.ready():
            return
        if time.monotonic() > deadline:
            raise ChildFailed(f"{child.name} not ready within {timeout:g}s (log: "
                              f"{logs / child.log.name})", 1)  # fmt: skip
        stop.wait(0.1)


def _supervise(children: list[Child], stop: threading.Event, logs: Path) -> None:
    """Until stopped: start again a child that died, give up on one that keeps dying."""
    while not stop.wait(0.5):
        for child in children:
            code = child.exited
            if code is None or stop.is_set():
                continue
            if code == 2:  # it refused its settings: starting it again would change nothing
                raise _failure(child, code, logs)
            quick = time.monotonic() - child.started < QUICK_SECONDS
            child.quick_failures = child.quick_failures + 1 if quick else 1
            if child.quick_failures >= MAX_QUICK_FAILURES:
                failed = _failure(child, code, logs)
                raise ChildFailed(
                    f"{child.name} died {child.quick_failures} times within "
                    f"{QUICK_SECONDS:g}s of starting; giving up. Last: {failed}",
                    1,
                )
            words = child.last_words(own_only=True)
            child.start()
            child.restarts += 1
            assert child.proc is not None
            print(
                f"gridops demo: {child.name} {exit_description(code)}"
                + (f" ({words})" if words else "")
                + f"; restarted it (pid {child.proc.pid}); log {logs / child.log.name}",
                flush=True,
            )


# -- the demo ----------------------------------------------------------------------------


def run_demo(
    data_dir: Path,
    *,
    connector_port: int = 50051,
    market_maker_port: int = 8080,
    live_port: int = 8081,
    metrics_port: int = 9090,
    config: Path | None = None,
    fresh: bool = False,
    timeout: float = 60.0,
) -> int:
    """Run until Ctrl-C/SIGTERM; 0 then, else the exit code of what went wrong.

    Raises StartupError (exit code 2) for what the user must change before it can start.
    """
    check_ports({"--connector-port": connector_port, "--metrics-port": metrics_port,
                 "--market-maker-port": market_maker_port, "--live-port": live_port})  # fmt: skip
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StartupError(
            f"demo --data-dir {data_dir}: cannot create it ({error.strerror or error})"
        ) from None
    connector = f"127.0.0.1:{connector_port}"
    strategy = prepare_strategy(config, connector, data_dir)
    if fresh:
        removed = reset(data_dir, strategy)
        print(
            "gridops demo: --reset removed "
            + (", ".join(removed) if removed else "nothing (no state yet)")
            + "; logs kept",
            flush=True,
        )
    sim_config = data_dir / "sim.yaml"
    sim_config.write_text(yaml.safe_dump(DEMO_SIM, sort_keys=False))
    logs = data_dir / "logs"
    logs.mkdir(exist_ok=True)
    if strategy.written:
        print(f"gridops demo: strategy {strategy.path} (the default, written at each start; "
              "--config FILE runs your own)", flush=True)  # fmt: skip
    else:
        print(f"gridops demo: strategy {strategy.path} ({strategy.name} on {strategy.symbol})",
              flush=True)  # fmt: skip
    print(
        f"gridops demo: state in {data_dir} (exchange.db: the simulated exchange; "
        f"{strategy.name}'s engine: {strategy.database_url}; live/: the chart's prices), "
        f"logs in {logs}; "
        "--reset starts afresh",
        flush=True,
    )
    python = [sys.executable, "-m", "gridops"]
    children = [
        Child("connector", [*python, "connector", "--exchange", "sim", "--host", "127.0.0.1",
                            "--port", str(connector_port), "--metrics-host", "127.0.0.1",
                            "--metrics-port", str(metrics_port), "--sim-config", str(sim_config),
                            "--sim-state", str(exchange_path(data_dir))],
              logs / "connector.log", lambda: _grpc_serving(connector)),
        Child("market-maker", [*python, "market-maker", "--config", str(strategy.path),
                               "--connector", connector, "--http-host", "127.0.0.1",
                               "--http-port", str(market_maker_port)],
              logs / "market-maker.log",
              lambda: _http_ok(f"http://127.0.0.1:{market_maker_port}/readyz")),
        Child("live-server", [*python, "live-server", "--connector", connector,
                              "--host", "127.0.0.1", "--port", str(live_port),
                              "--state-dir", str(live_state_dir(data_dir)),
                              "--market-maker", f"http://127.0.0.1:{market_maker_port}"],
              logs / "live-server.log",
              lambda: _http_ok(f"http://127.0.0.1:{live_port}/readyz")),
    ]  # fmt: skip

    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    started: list[Child] = []
    code = 0
    try:
        for child in children:
            child.start()
            started.append(child)
            assert child.proc is not None
            print(f"gridops demo: started {child.name} (pid {child.proc.pid})", flush=True)
            _wait_ready(child, started, stop, timeout, logs)
            if stop.is_set():
                return 0
        print(
            f"gridops demo: dashboard http://127.0.0.1:{live_port}/\n"
            f"  market maker status http://127.0.0.1:{market_maker_port}/status\n"
            f"  connector {connector} (gRPC), metrics http://127.0.0.1:{metrics_port}/metrics\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        for warning in _warnings(market_maker_port):
            print(f"gridops demo: warning: {warning}", flush=True)
        _supervise(started, stop, logs)
    except ChildFailed as error:
        print(f"gridops demo: {error}", file=sys.stderr, flush=True)
        code = error.code
    finally:
        _stop_all(started)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("gridops demo: stopped", flush=True)
    return code


def _stop_all(children: list[Child], grace: float = 10.0) -> None:
    """SIGTERM in reverse start order, then SIGKILL whatever is left after the grace."""
    for child in reversed(children):
        proc = child.proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "gridops" / "demo"
