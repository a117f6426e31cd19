"""Pod kills under the operator: the market maker comes back, applies what filled while it
was away, places the closing order, and never places a client order id twice."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from .conftest import Kubectl, poll
from .operator_support import (
    TIMINGS,
    conditions,
    diagnostics,
    market_maker_pod,
    pods,
    running,
    still_example,
    wait_ready,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

INTERVAL = Decimal("150")


def test_market_maker_killed_while_an_order_fills_offline(
    namespace: Kubectl, operator_chart: str
) -> None:
    kc = namespace
    exchange = running(kc, still_example())
    buys = exchange.open_orders("btc-grid")
    target = max(buys, key=lambda o: Decimal(o["price"]))  # the nearest buy
    old = market_maker_pod(kc, "btc-grid")

    kc.run("delete", "pod", old["metadata"]["name"], "--grace-period=0", "--force", "--wait=false")
    killed = time.monotonic()
    filled = exchange.fill(target["cid"])  # fills while no engine runs
    assert filled["status"] == "FILLED"

    def synced_again() -> bool:
        found = pods(kc, "app.kubernetes.io/component=market-maker,gridops.io/strategy=btc-grid")
        fresh = [p for p in found if p["metadata"]["uid"] != old["metadata"]["uid"]]
        synced = conditions(kc, "btc-grid").get("Synced", {}).get("status") == "True"
        return bool(fresh) and synced

    poll(
        "the new market maker Synced",
        synced_again,
        timeout=120,
        interval=0.25,
        on_timeout=lambda: diagnostics(kc),
    )
    TIMINGS.add("market-maker pod force-deleted -> Synced", time.monotonic() - killed)

    closing_price = Decimal(target["price"]) + INTERVAL

    def closing_order() -> list[dict[str, str]]:
        return [
            o
            for o in exchange.open_orders("btc-grid")
            if o["side"] == "SELL" and Decimal(o["price"]) == closing_price
        ]

    (sell,) = poll(
        "the closing sell one level up",
        closing_order,
        timeout=60,
        on_timeout=lambda: diagnostics(kc),
    )
    assert Decimal(sell["quantity"]) == Decimal(target["quantity"])
    fills = exchange.fills("btc-grid")
    assert [f["cid"] for f in fills].count(target["cid"]) == 1
    # every open order is on its own level and side, each id once
    orders = exchange.open_orders("btc-grid")
    ids = [o["cid"] for o in orders]
    assert len(ids) == len(set(ids))
    levels = [(o["side"], o["price"]) for o in orders]
    assert len(levels) == len(set(levels))
    wait_ready(kc, "btc-grid")

    def position() -> bool:
        status = kc.json("get", "gs", "btc-grid")["status"]
        return Decimal(status.get("position", "0")) == Decimal(target["quantity"])

    poll("status.position to show the offline fill", position, timeout=30)
