"""The layout at 1400, 1024 and 390 px wide, and the loading state before the first data.

With GRIDOPS_DOCS_IMG=1 the layout test also writes docs/img/dashboard-<width>.png (the
pictures docs/dashboard.md shows); otherwise its screenshots go to artifacts/ only.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .conftest import open_dashboard
from .dashboard import Dashboard, expect
from .stack import SYMBOL, Stack

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Route

pytestmark = pytest.mark.browser

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"

# Every element that must be whole on screen: the header's badges, price and clock, the
# buttons, every table cell shown (a cut cell ends in an ellipsis).
MEASURE = """() => {
  const rects = [...document.querySelectorAll(
      '[data-testid=phase], [data-testid=connection], [data-testid=clock], [data-testid=price],'
      + ' [data-testid=strategy], [data-testid=symbol], .control-buttons button:not([hidden]),'
      + ' .grid-table th, .grid-table td')]
    .filter((e) => e.getClientRects().length > 0)  // shown (not display: none)
    .map((e) => {
      const r = e.getBoundingClientRect();
      return {id: e.dataset.testid || e.textContent.trim(), left: r.left, right: r.right,
              scroll: e.scrollWidth, client: e.clientWidth};
    });
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
          rects};
}"""


async def _some_trading(dashboard: Dashboard, stack: Stack) -> None:
    """A little history for the picture: a walk of prices, an entry filled, its exit open."""
    await dashboard.expect_connected()
    # Between the top buy (50000) and its exit (50050), so nothing fills by itself.
    for i in range(24):
        await stack.sim.set_price(SYMBOL, str(50005 + (i % 6) * 6 + (i // 6) * 2))
    entry = next(
        o for o in stack.market_maker.status()["openOrders"]
        if o["price"] == "50000" and not o["pending"]
    )  # fmt: skip
    await stack.sim.fill_order(entry["clientOrderId"])
    await expect(dashboard.by_id("fills-table").get_by_test_id("fill-row")).to_have_count(1)
    await expect(dashboard.by_id("orders-table").locator("tr.SELL")).to_have_count(1)
    await expect(dashboard.by_id("position")).to_have_text("0.001")


@pytest.mark.parametrize("width", [1400, 1024, 390])
async def test_the_layout_fits_the_width(browser: BrowserContext, stack: Stack, width: int) -> None:
    page = browser.pages[0] if browser.pages else await browser.new_page()
    await page.set_viewport_size({"width": width, "height": 900})
    dashboard = await open_dashboard(browser, stack)
    await _some_trading(dashboard, stack)
    await expect(dashboard.by_id("position-unit")).to_have_text("BTC")
    await expect(dashboard.by_id("pnl-unit")).to_have_text("USDT")
    # The time axis is labelled at every width (at 390 px a 15-minute window once got a
    # single 10-minute tick, mostly too near an edge to be drawn: no time at all).
    chart = dashboard.page.locator("[data-testid=chart]")
    await expect(chart).to_have_attribute("data-time-labels", re.compile(r"^([2-9]|\d\d+)$"))

    measured: dict[str, Any] = await page.evaluate(MEASURE)
    assert measured["scrollWidth"] <= measured["innerWidth"], measured  # no sideways scroll
    for rect in measured["rects"]:
        assert rect["left"] >= 0, rect  # on screen
        assert rect["right"] <= width, rect
        assert rect["scroll"] <= rect["client"], rect  # its text not cut
    shot = await dashboard.screenshot(f"width-{width}")
    if os.environ.get("GRIDOPS_DOCS_IMG"):
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        (DOCS_IMG / f"dashboard-{width}.png").write_bytes(shot.read_bytes())
    dashboard.assert_no_errors()


async def test_a_loading_state_until_the_first_data(browser: BrowserContext, stack: Stack) -> None:
    page = browser.pages[0] if browser.pages else await browser.new_page()
    release = asyncio.Event()

    async def hold(route: Route) -> None:
        await release.wait()
        await route.continue_()

    # The orders snapshot is held back: the page has a socket, not its first data.
    await page.route("**/api/orders*", hold)
    dashboard = await open_dashboard(browser, stack)
    loading = dashboard.by_id("loading")
    await expect(loading).to_be_visible()
    await expect(loading).to_contain_text("Loading")
    await expect(dashboard.by_id("orders-empty")).to_have_text("loading…")
    await expect(dashboard.by_id("fills-empty")).to_have_text("loading…")
    await expect(dashboard.page.locator("body")).to_have_attribute("data-loading", "")
    await dashboard.screenshot("loading")

    release.set()
    await expect(loading).to_be_hidden()
    await expect(dashboard.order_rows).to_have_count(5)
    await expect(dashboard.by_id("fills-empty")).to_have_text("no fills yet")
    await expect(dashboard.page.locator("body")).not_to_have_attribute("data-loading", "")
    await page.unroute("**/api/orders*")
    dashboard.assert_no_errors()
