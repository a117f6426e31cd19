"""`gridops status NAME` and `gridops orders NAME` against the real API server.

The GridStrategy is read with the user's kubeconfig, and its engine's /status through the
API server's service proxy (`<name>-mm:8080`), so nothing is port-forwarded.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest

from .conftest import Kubectl, poll
from .operator_support import example, running

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def gridops(kc: Kubectl, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(kc.kubeconfig)}
    env.pop("NO_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "gridops", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_status_and_orders_of_a_grid_strategy_by_name(
    namespace: Kubectl, operator_chart: str
) -> None:
    kc = namespace
    assert kc.namespace is not None
    ns = kc.namespace
    running(kc, example("btc-grid"))

    def engine_read() -> dict[str, Any] | None:
        done = gridops(kc, "status", "btc-grid", "-n", ns, "--json")
        assert done.returncode == 0, done.stderr
        document: dict[str, Any] = json.loads(done.stdout)
        engine = document["marketMaker"]
        return document if engine is not None and engine["synced"] else None

    document = poll("the engine's /status through the API server", engine_read, timeout=90)
    assert document["namespace"] == ns
    assert document["marketMakerError"] is None
    assert document["marketMaker"]["name"] == "btc-grid"
    assert document["marketMaker"]["symbol"] == "BTC/USDT"
    assert document["gridStrategy"]["spec"]["symbol"] == "BTC/USDT"

    done = gridops(kc, "status", "btc-grid", "-n", ns)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("btc-grid  BTC/USDT  durable engine  GridStrategy ")
    assert lines[0].endswith(f"{ns}/btc-grid")
    cluster_row = next(line for line in lines if line.startswith("cluster "))
    assert re.fullmatch(r"cluster +phase (Syncing|Running|Halted)", cluster_row), cluster_row
    assert re.search(r"^phase +(syncing|running|halted), ", done.stdout, re.MULTILINE)

    orders = gridops(kc, "orders", "btc-grid", "-n", ns, "--json")
    assert orders.returncode == 0, orders.stderr
    listed = json.loads(orders.stdout)
    assert listed, "no open orders"
    assert all(o["clientOrderId"].startswith("btc-grid-") for o in listed)

    unknown = gridops(kc, "status", "no-such-grid", "-n", ns)
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        f"gridops: no GridStrategy 'no-such-grid' in namespace {ns} (kubectl get gs -n {ns}; "
        "-n NAMESPACE picks another)"
    )
