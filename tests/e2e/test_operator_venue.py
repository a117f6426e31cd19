"""A grid trading through ccxt on `gridops venue` in the cluster, as examples/ sets it up
(before test_uninstall.py, which must be last in file order).

The venue is the exchange here: it outlives the connector and the market maker, and its
own restart (SIGKILL: the pod force-deleted) loses no acknowledged order. The connector
is `--exchange binance` pointed at the venue; the market maker does not know the
difference. The venue's audit log then says no client order id was ever accepted twice.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from typing import Any

import pytest
import yaml

from .conftest import REPO_ROOT, Kubectl, poll
from .operator_support import (
    Exchange,
    diagnostics,
    pods,
    wait_condition,
    wait_for_orders,
    wait_ready,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

NAME = "btc-grid-venue"
CONNECTOR = "gridops-connector-binance-venue-demo"
VENUE = "app.kubernetes.io/name=gridops-venue"

AUDIT_SCRIPT = """
import asyncio, json
from gridops.client import SimulatorClient
from gridops.v1 import simulator_pb2

async def main():
    async with SimulatorClient("127.0.0.1:50052") as sim:
        entries = await sim.get_audit_log(every_account=True)
    return [{"kind": simulator_pb2.AuditKind.Name(e.kind), "cid": e.client_order_id,
             "order": e.order_id, "account": e.account} for e in entries]

print(json.dumps(asyncio.run(main())))
"""


def documents(name: str, image: str) -> list[dict[str, Any]]:
    found = [d for d in yaml.safe_load_all((REPO_ROOT / "examples" / name).read_text()) if d]
    for document in found:
        if document["kind"] == "Deployment":
            for container in document["spec"]["template"]["spec"]["containers"]:
                container["image"] = image
    return found


def venue_pod(kc: Kubectl, not_uid: str = "") -> dict[str, Any]:
    def ready() -> dict[str, Any] | None:
        for pod in pods(kc, VENUE):
            conditions = {c["type"]: c["status"] for c in pod["status"].get("conditions", [])}
            if pod["metadata"]["uid"] != not_uid and conditions.get("Ready") == "True":
                return pod
        return None

    pod: dict[str, Any] = poll(
        "the venue Ready", ready, timeout=180, interval=1, on_timeout=lambda: diagnostics(kc)
    )
    return pod


def audit(kc: Kubectl) -> list[dict[str, str]]:
    result = kc.run("exec", "deployment/gridops-venue", "--", "python", "-c", AUDIT_SCRIPT,
                    timeout=60)  # fmt: skip
    entries: list[dict[str, str]] = json.loads(result.stdout)
    return entries


def test_a_grid_trades_through_ccxt_on_the_venue_and_outlives_its_restart(
    namespace: Kubectl, operator_chart: str, gridops_image: str
) -> None:
    kc = namespace
    kc.apply(*documents("venue.yaml", gridops_image))
    first = venue_pod(kc)
    kc.apply(*documents("btc-grid-venue.yaml", gridops_image))
    found = wait_ready(kc, NAME)
    assert found["ConnectorReady"]["status"] == "True", found["ConnectorReady"]
    exchange = Exchange(kc, connector=CONNECTOR)
    before = wait_for_orders(exchange, NAME, at_least=3)
    assert all(o["cid"].startswith(f"{NAME}-") and len(o["cid"]) <= 36 for o in before)

    # The exchange itself dies: no graceful shutdown, no chance to flush anything.
    kc.run("delete", "pod", first["metadata"]["name"], "--grace-period=0", "--force")
    venue_pod(kc, not_uid=first["metadata"]["uid"])

    # Every order the venue had acknowledged is still there (open, or filled since).
    def all_known() -> list[dict[str, Any]] | None:
        try:
            return [exchange.order(o["cid"]) for o in before]
        except subprocess.CalledProcessError:  # the connector may still be reconnecting
            return None

    after = poll("the orders known again", all_known, timeout=120, interval=2,
                 on_timeout=lambda: diagnostics(kc))  # fmt: skip
    assert [o["cid"] for o in after] == [o["cid"] for o in before]
    assert all(o["status"] in ("NEW", "PARTIALLY_FILLED", "FILLED") for o in after), after
    # The market maker resynced through the connector's gap and trades on.
    wait_condition(kc, NAME, "Synced", "True")
    wait_for_orders(exchange, NAME, at_least=3)

    entries = audit(kc)
    placed = Counter(e["cid"] for e in entries if e["kind"] == "AUDIT_ORDER")
    assert placed, entries
    assert max(placed.values()) == 1, [cid for cid, n in placed.items() if n > 1]

    # Strategies go before their exchange (docs/operator.md): the finalizer cancels the
    # orders on the venue, which a namespace deletion would take down at the same time.
    kc.run("delete", "gridstrategy", NAME, "--wait=true", timeout=180)
    entries = audit(kc)
    canceled = {e["cid"] for e in entries if e["kind"] == "AUDIT_CANCEL"}
    filled = {e["cid"] for e in entries if e["kind"] == "AUDIT_FILL"}
    assert set(placed) <= canceled | filled, set(placed) - canceled - filled
