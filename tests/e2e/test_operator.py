"""The operator on the real kind cluster, driven the way the README tells a user.

helm install -> the example applied -> every condition True and orders on the sim
exchange; a second strategy on the account shares the connector; pause keeps the pod;
a spec change rolls the market maker; delete cancels only that strategy's orders and the
connector goes with the last strategy; an operator restart changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from .conftest import Kubectl, poll
from .operator_support import (
    OPERATOR_NAMESPACE,
    Exchange,
    conditions,
    diagnostics,
    example,
    market_maker_pod,
    pods,
    running,
    still_example,
    strategy,
    timed,
    wait_condition,
    wait_for_orders,
    wait_ready,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

CONNECTOR = "gridops-connector-sim-demo"


def test_the_chart_installs_a_ready_operator(kubectl: Kubectl, operator_chart: str) -> None:
    assert "kubectl apply -f examples/btc-grid-sim.yaml" in operator_chart
    operator = kubectl.in_namespace(OPERATOR_NAMESPACE)
    (pod,) = pods(operator, "app.kubernetes.io/component=operator")
    assert pod["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "gridops-operator"
    ready = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
    assert ready["Ready"] == "True"
    crd = kubectl.json("get", "crd", "gridstrategies.gridops.io")
    assert crd["spec"]["names"]["shortNames"] == ["gs"]


def test_the_example_trades_and_shows_in_kubectl_get_gs(
    namespace: Kubectl, operator_chart: str
) -> None:
    kc = namespace

    def apply_and_wait() -> dict[str, dict[str, Any]]:
        kc.apply(example())
        return wait_ready(kc, "btc-grid")

    found = timed("apply -> Ready", apply_and_wait)
    for kind in ("ConnectorReady", "MarketMakerReady", "LiveServerReady", "Synced", "Ready"):
        assert found[kind]["status"] == "True", found[kind]
    assert found["RiskHalted"]["status"] == "False"
    assert found["Paused"]["status"] == "False"
    exchange = Exchange(kc)
    orders = wait_for_orders(exchange, "btc-grid", at_least=3)
    assert all(o["cid"].startswith("btc-grid-") for o in orders)
    assert {o["side"] for o in orders} == {"BUY"}

    def columns() -> dict[str, str] | None:
        table = kc.run("get", "gs", "btc-grid").stdout.splitlines()
        row = dict(zip(table[0].split(), table[1].split(), strict=False))
        return row if row.get("PRICE", "<none>") != "<none>" and row["PHASE"] == "Running" else None

    row = poll("kubectl get gs to show price and phase", columns, timeout=60, interval=1)
    assert row["SYMBOL"] == "BTC/USDT"
    assert float(row["PRICE"]) > 0
    assert "POSITION" in row
    assert "PNL" in row
    assert "AGE" in row
    status = strategy(kc, "btc-grid")["status"]
    assert status["openOrders"] >= 3
    assert status["observedGeneration"] == strategy(kc, "btc-grid")["metadata"]["generation"]

    # the children and their contract labels
    mm = market_maker_pod(kc, "btc-grid")
    assert mm["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "gridops-operator"
    (live,) = pods(kc, "app.kubernetes.io/component=live-server,gridops.io/strategy=btc-grid")
    assert live["status"]["phase"] == "Running"
    (conn,) = pods(kc, "app.kubernetes.io/component=connector,gridops.io/account=sim-demo")
    assert conn["status"]["phase"] == "Running"
    # tini is PID 1, so a signal sent inside the container reaches gridops
    init = kc.run("exec", mm["metadata"]["name"], "--", "cat", "/proc/1/cmdline").stdout
    assert init.split("\0")[0].endswith("tini")
    # the durable engine's state is on a bound claim, written by uid 10001
    claim = kc.json("get", "pvc", "btc-grid-data")
    assert claim["status"]["phase"] == "Bound"
    listing = kc.run("exec", mm["metadata"]["name"], "--", "ls", "-ln", "/var/lib/gridops").stdout
    assert "btc-grid.db" in listing


def test_pause_cancels_only_its_orders_keeps_the_pod_and_resume_trades_again(
    namespace: Kubectl, operator_chart: str
) -> None:
    kc = namespace
    exchange = running(kc, example(), example("btc-grid-2"))
    others = exchange.open_orders("btc-grid-2")
    # one connector for the account, owned by both strategies
    deployments = kc.json("get", "deployments", "-l", "app.kubernetes.io/component=connector")
    (connector,) = deployments["items"]
    owners = sorted(o["name"] for o in connector["metadata"]["ownerReferences"])
    assert owners == ["btc-grid", "btc-grid-2"]

    before = market_maker_pod(kc, "btc-grid")["metadata"]["uid"]
    kc.run("patch", "gs", "btc-grid", "--type", "merge", "-p", '{"spec":{"paused":true}}')
    wait_condition(kc, "btc-grid", "Paused", "True", reason="Paused")
    poll("btc-grid's orders cancelled", lambda: exchange.open_orders("btc-grid") == [], timeout=30)
    assert strategy(kc, "btc-grid")["status"]["phase"] == "Paused"
    assert market_maker_pod(kc, "btc-grid")["metadata"]["uid"] == before
    assert {o["cid"] for o in exchange.open_orders("btc-grid-2")} >= {o["cid"] for o in others}

    kc.run("patch", "gs", "btc-grid", "--type", "merge", "-p", '{"spec":{"paused":false}}')
    wait_condition(kc, "btc-grid", "Paused", "False", reason="Trading")
    wait_for_orders(exchange, "btc-grid", at_least=3, timeout=60)
    assert market_maker_pod(kc, "btc-grid")["metadata"]["uid"] == before
    events = kc.run("get", "events", "--field-selector", "involvedObject.name=btc-grid").stdout
    assert "Pausing" in events
    assert "Resuming" in events


def test_a_spec_change_rolls_the_market_maker_which_resyncs(
    namespace: Kubectl, operator_chart: str
) -> None:
    kc = namespace
    exchange = running(kc, still_example(), orders=5)
    old = market_maker_pod(kc, "btc-grid")
    old_hash = old["metadata"]["annotations"]["gridops.io/config-hash"]
    change = '{"spec":{"grid":{"buyWindow":8}}}'
    kc.run("patch", "gs", "btc-grid", "--type", "merge", "-p", change)

    def rolled() -> dict[str, Any] | None:
        found = pods(kc, "app.kubernetes.io/component=market-maker,gridops.io/strategy=btc-grid")
        new = [p for p in found if p["metadata"]["uid"] != old["metadata"]["uid"]]
        return new[0] if new else None

    new = poll("a new market-maker pod", rolled, timeout=90, on_timeout=lambda: diagnostics(kc))
    assert new["metadata"]["annotations"]["gridops.io/config-hash"] != old_hash
    generation = strategy(kc, "btc-grid")["metadata"]["generation"]

    def synced_at_generation() -> bool:
        found = conditions(kc, "btc-grid").get("Synced", {})
        return found.get("status") == "True" and found.get("observedGeneration") == generation

    poll("Synced at the new generation", synced_at_generation, timeout=120, interval=0.5)

    def widened() -> bool:
        orders = exchange.open_orders("btc-grid")
        ids = [o["cid"] for o in orders]
        return len(orders) == 8 and len(set(ids)) == 8 and {o["side"] for o in orders} == {"BUY"}

    poll(
        "the grid to widen to 8 buys, each level once",
        widened,
        timeout=60,
        on_timeout=lambda: json.dumps(exchange.open_orders("btc-grid")),
    )


def test_a_conflicting_strategy_on_the_account_is_not_started(
    namespace: Kubectl, operator_chart: str
) -> None:
    kc = namespace
    kc.apply(example())
    wait_ready(kc, "btc-grid")
    other = example("eth-grid", symbol="ETH/USDT")
    other["spec"]["grid"]["priceInterval"] = "10"
    other["spec"]["exchange"]["sim"]["volatility"] = 5.0  # not what btc-grid's connector runs
    kc.apply(other)
    found = wait_condition(
        kc, "eth-grid", "ConnectorReady", "False", reason="ConflictingExchangeSettings"
    )
    assert "btc-grid" in found["message"]
    assert strategy(kc, "eth-grid")["status"]["phase"] == "Degraded"
    missing = kc.run("get", "deployment", "eth-grid-mm", "--ignore-not-found", "-o", "name")
    assert missing.stdout.strip() == ""


def test_delete_cancels_only_its_orders_and_the_connector_goes_with_the_last(
    namespace: Kubectl, operator_chart: str
) -> None:
    kc = namespace
    exchange = running(kc, example(), example("btc-grid-2"))
    kept = {o["cid"] for o in exchange.open_orders("btc-grid-2")}

    kc.run("delete", "gs", "btc-grid", "--timeout=120s")
    assert exchange.open_orders("btc-grid") == []
    assert {o["cid"] for o in exchange.open_orders("btc-grid-2")} >= kept
    for kind, name in (
        ("deployment", "btc-grid-mm"),
        ("deployment", "btc-grid-live"),
        ("configmap", "btc-grid-config"),
    ):
        poll(f"{kind} {name} garbage-collected", gone(kc, kind, name), timeout=60)
    events = kc.run("get", "events", "--field-selector", "involvedObject.name=btc-grid").stdout
    assert "OrdersCancelled" in events
    assert kc.run("get", "deployment", CONNECTOR, "-o", "name").stdout.strip()

    kc.run("delete", "gs", "btc-grid-2", "--timeout=120s")
    poll(
        "the connector to go with the last strategy",
        gone(kc, "deployment", CONNECTOR),
        timeout=90,
        on_timeout=lambda: diagnostics(kc),
    )


def gone(kc: Kubectl, kind: str, name: str) -> Callable[[], bool]:
    def check() -> bool:
        found = kc.run("get", kind, name, "--ignore-not-found", "-o", "name")
        return found.stdout.strip() == ""

    return check


def test_an_operator_restart_changes_nothing(namespace: Kubectl, operator_chart: str) -> None:
    kc = namespace
    kc.apply(example())
    wait_ready(kc, "btc-grid")

    def snapshot() -> dict[str, Any]:
        deployments = kc.json("get", "deployments")["items"]
        return {
            d["metadata"]["name"]: (
                d["metadata"]["generation"],
                json.dumps(d["spec"]["template"], sort_keys=True),
            )
            for d in deployments
        } | {
            p["metadata"]["name"]: p["metadata"]["uid"]
            for p in pods(kc, "app.kubernetes.io/name=gridops")
        }

    before = snapshot()
    operator = kc.in_namespace(OPERATOR_NAMESPACE)
    (old,) = pods(operator, "app.kubernetes.io/component=operator")
    operator.run("delete", "pod", old["metadata"]["name"], "--wait=false")

    def resumed() -> bool:
        found = [
            p
            for p in pods(operator, "app.kubernetes.io/component=operator")
            if p["metadata"]["uid"] != old["metadata"]["uid"]
        ]
        if not found:
            return False
        logs = operator.run("logs", found[0]["metadata"]["name"], check=False).stdout
        return f"[{kc.namespace}/btc-grid] Handler 'reconcile-resume' succeeded" in logs

    poll(
        "the new operator to resume btc-grid",
        resumed,
        timeout=120,
        interval=1,
        on_timeout=lambda: diagnostics(kc),
    )
    wait_ready(kc, "btc-grid")
    assert snapshot() == before


def test_a_tripped_breaker_is_cleared_by_the_annotation(
    namespace: Kubectl, operator_chart: str
) -> None:
    kc = namespace
    kc.apply(still_example())
    wait_ready(kc, "btc-grid")
    exchange = Exchange(kc)
    exchange.call("price", "BTC/USDT=54000")  # +8 % at once: maxMovePercent is 5
    halted = wait_condition(kc, "btc-grid", "RiskHalted", "True", timeout=60)
    assert "gridops.io/clear-halt" in halted["message"]
    assert strategy(kc, "btc-grid")["status"]["phase"] == "Halted"

    kc.run("annotate", "gs", "btc-grid", "gridops.io/clear-halt=now")
    wait_condition(kc, "btc-grid", "RiskHalted", "False", timeout=60)

    def annotation_removed() -> bool:
        annotations = strategy(kc, "btc-grid")["metadata"].get("annotations") or {}
        return "gridops.io/clear-halt" not in annotations

    poll("the operator to remove the annotation", annotation_removed, timeout=30)
    events = kc.run("get", "events", "--field-selector", "involvedObject.name=btc-grid").stdout
    assert "RiskCleared" in events


def test_skip_cancel_forces_a_deletion(namespace: Kubectl, operator_chart: str) -> None:
    kc = namespace
    kc.apply(example())
    wait_ready(kc, "btc-grid")
    kc.run("annotate", "gs", "btc-grid", "gridops.io/skip-cancel=true")
    kc.run("delete", "gs", "btc-grid", "--timeout=120s")
    events = kc.run("get", "events", "--field-selector", "involvedObject.name=btc-grid").stdout
    assert "CancelSkipped" in events
    assert "OrdersCancelled" not in events


def test_an_unknown_symbol_is_named_in_the_market_makers_condition(
    namespace: Kubectl, operator_chart: str
) -> None:
    kc = namespace
    kc.apply(example(symbol="DOGE/USDT"))  # the sim lists BTC/USDT and ETH/USDT
    found = wait_condition(
        kc, "btc-grid", "MarketMakerReady", "False", reason="CrashLoopBackOff", timeout=120
    )
    assert "DOGE/USDT" in found["message"]
    assert "exit code 2" in found["message"]
    assert strategy(kc, "btc-grid")["status"]["phase"] in ("Pending", "Degraded")


def test_a_step_below_the_fees_is_warned_about(namespace: Kubectl, operator_chart: str) -> None:
    kc = namespace
    losing = example()
    losing["spec"]["grid"]["priceInterval"] = "25"  # 0.05 % against 2 x 0.1 % in fees
    kc.apply(losing)
    wait_ready(kc, "btc-grid")

    def warned() -> list[str]:
        found: list[str] = strategy(kc, "btc-grid").get("status", {}).get("warnings") or []
        return found

    (warning,) = poll("status.warnings", warned, timeout=60)
    assert "grid.priceInterval 25" in warning
    events = kc.run("get", "events", "--field-selector", "involvedObject.name=btc-grid").stdout
    assert "ConfigWarning" in events
