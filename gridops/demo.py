"""`gridops demo`: the whole stack on one machine, on the simulated exchange.

Three child processes (connector, durable market maker on SQLite, live server) started
in order, each waited for until healthy; Ctrl-C (or SIGTERM) stops them in reverse order
and leaves nothing behind. The children run in sessions of their own so that a Ctrl-C
reaches only the demo, which then stops them one by one.
"""

from __future__ import annotations

import os
import signal
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

DEMO_SIM = {
    "symbols": [
        {"symbol": "BTC/USDT", "price": "50000", "tickSize": "0.01", "stepSize": "0.00001",
         "minQuantity": "0.00001", "minNotional": "5"},
        {"symbol": "ETH/USDT", "price": "3000", "tickSize": "0.01", "stepSize": "0.0001",
         "minQuantity": "0.0001", "minNotional": "5"},
    ],
    # Lively enough that the grid trades every few seconds (annualised volatility).
    "volatility": 3.0,
    "tickInterval": 0.5,
}  # fmt: skip


def demo_strategy(connector: str, data_dir: Path) -> dict[str, object]:
    return {
        "name": "btc-demo",
        "connector": connector,
        "symbol": "BTC/USDT",
        "grid": {"mode": "long", "priceInterval": "25", "orderQuantity": "0.002",
                 "buyWindow": 6, "sellWindow": 6},
        "risk": {"maxMovePercent": "5", "moveWindowSeconds": 1, "cooldownSeconds": 120,
                 "staleDataSeconds": 30},
        "engine": {"type": "durable", "dataDir": str(data_dir)},
    }  # fmt: skip


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]


def _wait(check: Callable[[], bool], what: str, children: list[Child], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in children:
            if child.proc.poll() is not None:
                raise RuntimeError(f"{child.name} exited with {child.proc.returncode}")
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} not ready within {timeout:g}s")


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


def run_demo(
    data_dir: Path,
    *,
    connector_port: int = 50051,
    market_maker_port: int = 8080,
    live_port: int = 8081,
    metrics_port: int = 9090,
    timeout: float = 60.0,
) -> int:
    data_dir.mkdir(parents=True, exist_ok=True)
    sim_config = data_dir / "sim.yaml"
    sim_config.write_text(yaml.safe_dump(DEMO_SIM))
    connector = f"127.0.0.1:{connector_port}"
    strategy = data_dir / "btc-demo.yaml"
    strategy.write_text(yaml.safe_dump(demo_strategy(connector, data_dir)))
    logs = data_dir / "logs"
    logs.mkdir(exist_ok=True)
    python = [sys.executable, "-m", "gridops"]
    plan: list[tuple[str, list[str], Callable[[], bool]]] = [
        ("connector", [*python, "connector", "--exchange", "sim", "--host", "127.0.0.1",
                       "--port", str(connector_port), "--metrics-host", "127.0.0.1",
                       "--metrics-port", str(metrics_port), "--sim-config", str(sim_config),
                       "--sim-state", str(data_dir / "exchange.json")],
         lambda: _grpc_serving(connector)),
        ("market-maker", [*python, "market-maker", "--config", str(strategy),
                          "--http-host", "127.0.0.1", "--http-port", str(market_maker_port)],
         lambda: _http_ok(f"http://127.0.0.1:{market_maker_port}/readyz")),
        ("live-server", [*python, "live-server", "--connector", connector,
                         "--host", "127.0.0.1", "--port", str(live_port),
                         "--market-maker", f"http://127.0.0.1:{market_maker_port}"],
         lambda: _http_ok(f"http://127.0.0.1:{live_port}/readyz")),
    ]  # fmt: skip

    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    children: list[Child] = []
    code = 0
    try:
        for name, command, ready in plan:
            with (logs / f"{name}.log").open("ab") as log:
                proc = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                    start_new_session=True,
                )  # fmt: skip
            children.append(Child(name, proc))
            print(f"gridops demo: started {name} (pid {proc.pid})", flush=True)
            _wait(_or_stopped(ready, stop), name, children, timeout)
            if stop.is_set():
                return 0
        print(
            f"gridops demo: dashboard http://127.0.0.1:{live_port}/\n"
            f"  market maker status http://127.0.0.1:{market_maker_port}/status\n"
            f"  connector {connector} (gRPC), metrics http://127.0.0.1:{metrics_port}/metrics\n"
            f"  data and logs in {data_dir}\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        while not stop.wait(0.5):
            dead = [c for c in children if c.proc.poll() is not None]
            if dead:
                print(f"gridops demo: {dead[0].name} exited ({dead[0].proc.returncode}); "
                      f"see {logs / (dead[0].name + '.log')}", file=sys.stderr)  # fmt: skip
                code = 1
                break
    except RuntimeError as error:
        print(f"gridops demo: {error}; logs in {logs}", file=sys.stderr)
        code = 1
    finally:
        _stop_all(children)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("gridops demo: stopped", flush=True)
    return code


def _or_stopped(ready: Callable[[], bool], stop: threading.Event) -> Callable[[], bool]:
    return lambda: ready() or stop.is_set()


def _stop_all(children: list[Child], grace: float = 10.0) -> None:
    """SIGTERM in reverse start order, then SIGKILL whatever is left after the grace."""
    for child in reversed(children):
        if child.proc.poll() is None:
            child.proc.terminate()
            try:
                child.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "gridops" / "demo"
