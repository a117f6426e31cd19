"""Helpers for the operator's E2E tests: helm, GridStrategies, and the sim exchange.

The sim exchange lives in the connector pod; the tests reach it with `kubectl exec` and a
few lines of gridops.client run by the image's own Python, so nothing is port-forwarded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import REPO_ROOT, Kubectl, poll

CHART = REPO_ROOT / "charts" / "gridops"
EXAMPLE = REPO_ROOT / "examples" / "btc-grid-sim.yaml"
OPERATOR_NAMESPACE = "gridops-system"
RELEASE = "gridops"

EXCHANGE_SCRIPT = """
import asyncio, json, sys
from gridops.client import ConnectorClient, SimulatorClient

def order(o):
    return {"cid": o.client_order_id, "side": o.side.value, "price": str(o.price),
            "quantity": str(o.quantity), "filled": str(o.filled_quantity),
            "status": o.status.value}

async def main(op, arg):
    address = "127.0.0.1:50051"
    async with await ConnectorClient.connect(address) as client:
        if op == "open":
            return [order(o) for o in await client.get_open_orders(None, arg or None)]
        if op == "fills":
            return [{"cid": f.client_order_id, "quantity": str(f.quantity), "price": str(f.price)}
                    for f in await client.get_fills(None, prefix=arg or None)]
        if op == "order":
            return order(await client.get_order(client_order_id=arg))
    async with SimulatorClient(address) as sim:
        if op == "fill":
            filled, _ = await sim.fill_order(arg)
            return order(filled)
        if op == "price":
            symbol, price = arg.split("=")
            ticker, orders = await sim.set_price(symbol, price)
            return [order(o) for o in orders]
    raise SystemExit(f"unknown op {op}")

print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ""))))
"""


def helm_binary() -> str:
    cache = Path(os.environ.get("GRIDOPS_CACHE_DIR", Path.home() / ".cache" / "gridops"))
    pinned = cache / "bin" / "current" / "helm"
    found = str(pinned) if pinned.exists() else shutil.which("helm")
    if not found:
        pytest.fail("no helm: run `make cluster` (hack/build-tools.sh host)", pytrace=False)
    return found


def helm(kubectl: Kubectl, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [helm_binary(), "--kubeconfig", str(kubectl.kubeconfig), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=check,
    )


@dataclass
class Timings:
    """Measured seconds, printed at the end of the session (docs/operator.md has them)."""

    rows: dict[str, list[float]] = field(default_factory=dict)

    def add(self, what: str, seconds: float) -> None:
        self.rows.setdefault(what, []).append(round(seconds, 2))


TIMINGS = Timings()


def example(name: str = "btc-grid", **spec_changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    document["metadata"]["name"] = name
    for key, value in spec_changes.items():
        document["spec"][key] = value
    return document


def still_example(name: str = "btc-grid") -> dict[str, Any]:
    """The example on a market where only the test moves the price or fills orders.

    No price ticks arrive there, so the stale-data rule is set out of the way.
    """
    document = example(name)
    document["spec"]["exchange"]["sim"] = {"tickInterval": 0}
    document["spec"]["risk"]["staleDataSeconds"] = 86400
    return document


def strategy(kc: Kubectl, name: str) -> dict[str, Any]:
    found: dict[str, Any] = kc.json("get", "gridstrategy", name)
    return found


def conditions(kc: Kubectl, name: str) -> dict[str, dict[str, Any]]:
    status = strategy(kc, name).get("status") or {}
    return {c["type"]: c for c in status.get("conditions") or []}


def diagnostics(kc: Kubectl) -> str:
    parts = []
    for args in (
        ("get", "gridstrategies,deployments,pods,services,pvc", "-o", "wide"),
        ("get", "gridstrategies", "-o", "yaml"),
        ("get", "events", "--sort-by=.lastTimestamp"),
        (
            "logs",
            "--all-containers",
            "--prefix",
            "--tail=40",
            "-l",
            "app.kubernetes.io/name=gridops",
        ),
    ):
        res = kc.run(*args, check=False)
        parts.append(f"$ kubectl {' '.join(args)}\n{res.stdout}{res.stderr}")
    operator = Kubectl(kc.binary, kc.kubeconfig, OPERATOR_NAMESPACE)
    res = operator.run("logs", "deployment/gridops-operator", "--tail=80", check=False)
    parts.append(
        f"$ kubectl -n {OPERATOR_NAMESPACE} logs deployment/gridops-operator\n{res.stdout}"
    )
    return "\n".join(parts)


def wait_ready(kc: Kubectl, name: str, timeout: float = 180) -> dict[str, dict[str, Any]]:
    def ready() -> dict[str, dict[str, Any]] | None:
        found = conditions(kc, name)
        return found if found.get("Ready", {}).get("status") == "True" else None

    result: dict[str, dict[str, Any]] = poll(
        f"GridStrategy {name} Ready",
        ready,
        timeout=timeout,
        interval=0.5,
        on_timeout=lambda: diagnostics(kc),
    )
    return result


def wait_condition(
    kc: Kubectl, name: str, kind: str, status: str, timeout: float = 120, reason: str | None = None
) -> dict[str, Any]:
    def matches() -> dict[str, Any] | None:
        found = conditions(kc, name).get(kind)
        if found and found["status"] == status and (reason is None or found["reason"] == reason):
            return found
        return None

    result: dict[str, Any] = poll(
        f"{name}: {kind}={status}" + (f" ({reason})" if reason else ""),
        matches,
        timeout=timeout,
        interval=0.5,
        on_timeout=lambda: diagnostics(kc),
    )
    return result


def pods(kc: Kubectl, selector: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = kc.json("get", "pods", "-l", selector)["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


def market_maker_pod(kc: Kubectl, name: str) -> dict[str, Any]:
    (pod,) = pods(kc, f"app.kubernetes.io/component=market-maker,gridops.io/strategy={name}")
    return pod


@dataclass
class Exchange:
    """The sim exchange in the account's connector pod, driven through gridops.client."""

    kc: Kubectl
    connector: str = "gridops-connector-sim-demo"

    def call(self, op: str, arg: str = "") -> Any:
        result = self.kc.run(
            "exec",
            f"deployment/{self.connector}",
            "--",
            "python",
            "-c",
            EXCHANGE_SCRIPT,
            op,
            arg,
            timeout=60,
        )
        return json.loads(result.stdout)

    def open_orders(self, prefix: str = "") -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.call("open", prefix)
        return found

    def fills(self, prefix: str = "") -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.call("fills", prefix)
        return found

    def fill(self, client_order_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.call("fill", client_order_id)
        return found

    def order(self, client_order_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.call("order", client_order_id)
        return found


def wait_for_orders(
    exchange: Exchange, prefix: str, at_least: int = 1, timeout: float = 90
) -> list[dict[str, Any]]:
    def enough() -> list[dict[str, Any]] | None:
        found = exchange.open_orders(prefix)
        return found if len(found) >= at_least else None

    result: list[dict[str, Any]] = poll(
        f"{at_least}+ open orders of {prefix}",
        enough,
        timeout=timeout,
        interval=1,
        on_timeout=lambda: diagnostics(exchange.kc),
    )
    return result


def timed(what: str, action: Callable[[], Any]) -> Any:
    started = time.monotonic()
    result = action()
    TIMINGS.add(what, time.monotonic() - started)
    return result


def running(kc: Kubectl, *documents: dict[str, Any], orders: int = 3) -> Exchange:
    """Apply the strategies, wait until each is Ready with `orders` open orders."""
    kc.apply(*documents)
    exchange = Exchange(kc)
    for document in documents:
        name = document["metadata"]["name"]
        wait_ready(kc, name)
        wait_for_orders(exchange, name, at_least=orders)
    return exchange
