"""The dashboard's controls: a confirmation first, then the call reaches the market maker
(through the live server, which holds the control token); under the operator, the kubectl
commands instead, and no call at all."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .conftest import TOKEN, open_dashboard
from .dashboard import Dashboard, expect
from .stack import SYMBOL, Stack

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Request

pytestmark = pytest.mark.browser


async def _confirm(dashboard: Dashboard, action: str, answer: str, contains: str) -> None:
    """Click a control; the dialog must say `contains`; answer "ok" or "cancel"."""
    await dashboard.by_id(f"control-{action}").click()
    dialog = dashboard.by_id("confirm-dialog")
    await expect(dialog).to_be_visible()
    await expect(dashboard.by_id("confirm-text")).to_contain_text(contains)
    await dashboard.by_id(f"confirm-{answer}").click()
    await expect(dialog).to_be_hidden()


async def test_controls_confirm_then_reach_the_market_maker(
    browser: BrowserContext, guarded_stack: Stack
) -> None:
    stack = guarded_stack
    dashboard = await open_dashboard(browser, stack)
    await dashboard.expect_connected()
    mm = stack.market_maker
    await expect(dashboard.by_id("control-state")).to_contain_text("t-grid: running")
    await expect(dashboard.by_id("control-resume")).to_be_hidden()
    await expect(dashboard.by_id("control-clear-halt")).to_be_disabled()

    # Backing out of the dialog does nothing.
    await _confirm(dashboard, "pause", "cancel", "cancels its 5 open orders")
    assert not mm.status()["paused"]
    await dashboard.screenshot("controls")

    await dashboard.by_id("control-pause").click()
    await expect(dashboard.by_id("confirm-dialog")).to_be_visible()
    await dashboard.screenshot("controls-confirm")
    await dashboard.by_id("confirm-ok").click()
    mm.wait_status(lambda s: s["paused"], message="paused from the dashboard")
    await expect(dashboard.by_id("paused-banner")).to_be_visible()
    await expect(dashboard.by_id("paused-banner")).to_contain_text(
        "resume with Resume under Controls"
    )
    await expect(dashboard.by_id("control-result")).to_contain_text("Pause: sent to t-grid")
    await expect(dashboard.by_id("control-pause")).to_be_hidden()

    await _confirm(dashboard, "resume", "ok", "places its grid again")
    mm.wait_status(lambda s: not s["paused"] and s["phase"] == "running", message="resumed")
    await expect(dashboard.by_id("paused-banner")).to_be_hidden()

    # A halt, cleared from the dashboard.
    await stack.sim.set_price(SYMBOL, "50010")
    await stack.sim.set_price(SYMBOL, "52610")
    await expect(dashboard.by_id("risk-banner")).to_contain_text("until cleared with Clear halt")
    await _confirm(dashboard, "clear-halt", "ok", "price moved")
    mm.wait_status(lambda s: not s["risk"]["halted"], message="cleared from the dashboard")
    await expect(dashboard.by_id("risk-banner")).to_be_hidden()

    # Cancel: the connector cancels exactly this strategy's orders.
    await expect(dashboard.by_id("control-cancel-orders")).to_be_enabled()
    await _confirm(dashboard, "cancel-orders", "ok", "will place its grid again")
    await expect(dashboard.by_id("control-result")).to_contain_text(
        "Cancelled 5 open orders of t-grid"
    )
    page_text = await dashboard.page.content()
    assert TOKEN not in page_text
    dashboard.assert_no_errors()


async def test_operator_managed_shows_kubectl_and_calls_nothing(
    browser: BrowserContext, operator_stack: Stack
) -> None:
    stack = operator_stack
    dashboard = await open_dashboard(browser, stack)
    calls: list[str] = []

    def record(request: Request) -> None:
        if "/api/control/" in request.url or request.method != "GET":
            calls.append(f"{request.method} {request.url}")

    dashboard.page.on("request", record)
    await dashboard.expect_connected()
    await expect(dashboard.by_id("control-mode")).to_have_text("managed by the operator")
    await expect(dashboard.by_id("control-buttons")).to_be_hidden()
    pause = dashboard.by_id("command-pause").locator("code")
    await expect(pause).to_have_text(
        """kubectl -n trading patch gs t-grid --type merge -p '{"spec":{"paused":true}}'"""
    )
    await expect(dashboard.by_id("command-clear-halt").locator("code")).to_have_text(
        "kubectl -n trading annotate gs t-grid gridops.io/clear-halt=now --overwrite"
    )
    await dashboard.by_id("command-pause").get_by_role("button").click()  # copy: no call
    await dashboard.screenshot("controls-operator")

    # Paused by the operator (here: directly): the banner says how to resume, with kubectl.
    assert stack.market_maker.post("/pause") in (200, 202)
    banner = dashboard.by_id("paused-banner")
    await expect(banner).to_contain_text(
        """kubectl -n trading patch gs t-grid --type merge -p '{"spec":{"paused":false}}'"""
    )
    await expect(banner).not_to_contain_text("POST /resume")
    assert calls == [], calls
    dashboard.assert_no_errors()
