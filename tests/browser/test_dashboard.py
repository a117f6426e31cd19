"""The dashboard in a real chromium, against real connector, market maker and live server
processes; the sim exchange is driven through SimulatorClient. Every wait is an auto-retrying
`expect` with a deadline; nothing sleeps."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .dashboard import Dashboard, expect, missing_requirements
from .stack import SYMBOL, Stack

pytestmark = pytest.mark.browser

ENTRY_PRICES = ["50000", "49950", "49900", "49850", "49800"]  # the grid below 50010
# Chromium logs these itself while the live server is down; the page handles them.
OUTAGE_NOISE = ("WebSocket connection to", "Failed to load resource", "ERR_CONNECTION_REFUSED")


def open_entry(stack: Stack, price: str) -> dict[str, Any]:
    status = stack.market_maker.status()
    return next(
        o for o in status["openOrders"]
        if o["price"] == price and o["side"] == "BUY" and not o["pending"]
    )  # fmt: skip


def test_browser_requirements_are_installed() -> None:
    """Fails (never skips) naming what to install; the other tests' fixtures say so too."""
    problem = missing_requirements()
    assert problem is None, problem


async def test_loads_and_shows_the_connected_state(dashboard: Dashboard, stack: Stack) -> None:
    await dashboard.expect_connected()
    connection = dashboard.by_id("connection")
    await expect(connection).to_contain_text("connected")
    await expect(connection).to_contain_text(stack.connector.session_id[:8])
    await expect(dashboard.by_id("strategy")).to_have_text("t-grid")
    await expect(dashboard.by_id("symbol")).to_have_text(SYMBOL)
    await expect(dashboard.by_id("phase")).to_have_text("running")
    # The grid: five open buys, in the table (exact strings) and drawn on the chart.
    await expect(dashboard.order_rows).to_have_count(5)
    await expect(dashboard.by_id("orders-table").locator("td.price")).to_have_text(ENTRY_PRICES)
    await expect(dashboard.by_id("orders-table").locator(".side-tag")).to_have_text(["BUY"] * 5)
    await expect(dashboard.by_id("chart")).to_have_attribute("data-order-lines", "5")
    await expect(dashboard.by_id("position")).to_have_text("0")
    await expect(dashboard.by_id("realized-pnl")).to_have_text("0")
    await expect(dashboard.by_id("balances").get_by_test_id("balance-row")).not_to_have_count(0)
    await expect(dashboard.by_id("risk-banner")).to_be_hidden()
    await expect(dashboard.by_id("paused-banner")).to_be_hidden()
    await dashboard.screenshot("connected")
    dashboard.assert_no_errors()


async def test_price_follows_the_exchange(dashboard: Dashboard, stack: Stack) -> None:
    await dashboard.expect_connected()
    price = dashboard.by_id("price")
    chart = dashboard.by_id("chart")
    await stack.sim.set_price(SYMBOL, "50020")
    await expect(price).to_have_text("50020")
    await expect(chart).to_have_attribute("data-last-price", "50020")

    # A burst, as fast as the simulator takes it: the page ends on the last tick and its chart
    # holds exactly the server's history (nothing dropped, nothing doubled).
    ticks = [f"{50020 + i}.25" for i in range(1, 41)]
    for tick in ticks:
        await stack.sim.set_price(SYMBOL, tick)
    await expect(price).to_have_text(ticks[-1])
    await expect(chart).to_have_attribute("data-last-price", ticks[-1])
    code, history = stack.live.get(f"/api/prices?symbol={SYMBOL}&limit=5000")
    assert code == 200, history
    assert history[-1]["price"] == ticks[-1], history[-3:]
    await expect(chart).to_have_attribute("data-points", str(len(history)))
    await dashboard.screenshot("price-burst")
    dashboard.assert_no_errors()


async def test_a_fill_shows_in_fills_position_and_orders(
    dashboard: Dashboard, stack: Stack
) -> None:
    await dashboard.expect_connected()
    await expect(dashboard.order_rows).to_have_count(5)
    top = open_entry(stack, "50000")
    await expect(dashboard.by_id("fills-empty")).to_be_visible()

    _, fill = await stack.sim.fill_order(top["clientOrderId"])

    row = dashboard.fill_row(top["clientOrderId"])
    await expect(row).to_have_count(1, timeout=5_000)
    await expect(row.locator("td.price")).to_have_text("50000")
    await expect(row.locator(".side-tag")).to_have_text("BUY")
    await expect(row).to_contain_text(str(fill.quantity))
    await expect(dashboard.by_id("position")).to_have_text("0.001", timeout=5_000)
    await expect(dashboard.order_row(top["clientOrderId"])).to_have_count(0)
    await expect(dashboard.by_id("chart")).to_have_attribute("data-fill-markers", "1")
    # The engine answers with the exit one level up; it shows as a SELL.
    await expect(dashboard.by_id("orders-table").locator("tr.SELL td.price")).to_have_text("50050")
    await expect(dashboard.order_rows).to_have_count(5)
    await dashboard.screenshot("fill")
    dashboard.assert_no_errors()


async def test_risk_banner_when_the_breaker_trips(dashboard: Dashboard, stack: Stack) -> None:
    await dashboard.expect_connected()
    banner = dashboard.by_id("risk-banner")
    await expect(banner).to_be_hidden()

    # The breaker compares against the ticks of the last second (the default rule: 5% in 1 s),
    # and the last tick is seconds old by now: tick 50010 again, then jump +5.2% at once.
    await stack.sim.set_price(SYMBOL, "50010")
    await stack.sim.set_price(SYMBOL, "52610")

    await expect(banner).to_be_visible(timeout=5_000)
    await expect(banner).to_contain_text(
        re.compile(r"Trading halted: price moved 5\.2% .* since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")
    )
    await expect(dashboard.by_id("phase")).to_have_text("halted")
    await expect(dashboard.by_id("price")).to_have_text("52610")
    await dashboard.screenshot("risk-halted")
    dashboard.assert_no_errors()


async def test_reconnects_and_refetches_after_a_server_restart(
    dashboard: Dashboard, stack: Stack
) -> None:
    await dashboard.expect_connected()
    await expect(dashboard.order_rows).to_have_count(5)
    connection = dashboard.by_id("connection")
    port = int(stack.live.url.rsplit(":", 1)[1])

    stack.live.kill()
    await expect(connection).to_have_attribute("data-state", "reconnecting")
    await expect(connection).to_have_text("reconnecting…")
    await expect(dashboard.by_id("warning-banner")).to_contain_text("Live server unreachable")
    await dashboard.screenshot("reconnecting")

    # Something happens while the page is cut off: only a REST refetch can show it.
    top = open_entry(stack, "50000")
    await stack.sim.fill_order(top["clientOrderId"])
    stack.start_live_server(port)

    await dashboard.expect_connected(timeout=30_000)
    await expect(dashboard.fill_row(top["clientOrderId"])).to_have_count(1)
    await expect(dashboard.order_row(top["clientOrderId"])).to_have_count(0)
    await expect(dashboard.by_id("position")).to_have_text("0.001")
    await expect(dashboard.by_id("warning-banner")).to_be_hidden()
    dashboard.assert_no_errors(allowed=OUTAGE_NOISE)


async def test_paused_banner_follows_pause_and_resume(dashboard: Dashboard, stack: Stack) -> None:
    await dashboard.expect_connected()
    banner = dashboard.by_id("paused-banner")
    await expect(banner).to_be_hidden()

    assert stack.market_maker.post("/pause") in (200, 202)
    await expect(banner).to_be_visible(timeout=5_000)
    await expect(banner).to_contain_text("Trading paused")
    await expect(dashboard.by_id("phase")).to_have_text("paused")
    await expect(dashboard.order_rows).to_have_count(0)  # a pause cancels every open order
    await expect(dashboard.by_id("chart")).to_have_attribute("data-order-lines", "0")
    await dashboard.screenshot("paused")

    assert stack.market_maker.post("/resume") in (200, 202)
    await expect(banner).to_be_hidden(timeout=5_000)
    await expect(dashboard.by_id("phase")).to_have_text("running")
    dashboard.assert_no_errors()
