"""The price chart after a shock, and the labels of the ladder near the price."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal

import pytest

from gridops.client import ConnectorClient
from gridops.models import OrderRequest, Side

from .dashboard import Dashboard, expect
from .stack import SYMBOL, Stack

pytestmark = pytest.mark.browser

LABEL_HEIGHT = 15  # chart.js: the height of one right-axis label


async def test_after_a_shock_the_price_line_uses_most_of_the_height(
    dashboard: Dashboard, stack: Stack
) -> None:
    await dashboard.expect_connected()
    chart = dashboard.by_id("chart")
    # Another strategy's orders far from the price (a stopped strategy's leftovers, say):
    # they used to set the y-axis and squash the price line into a strip.
    async with ConnectorClient(stack.connector.address) as client:
        for cid, side, price in (
            ("far-0-B-1", Side.BUY, "45000"),
            ("far-0-S-1", Side.SELL, "55000"),
        ):
            await client.place_order(
                OrderRequest(cid, SYMBOL, side, Decimal(price), Decimal("0.001"))
            )
    await expect(chart).to_have_attribute("data-order-lines", "7")

    # The shock: +3 % at once (under the breaker's 5 %).
    await stack.sim.set_price(SYMBOL, "51500")
    await expect(chart).to_have_attribute("data-last-price", "51500")
    # The far orders are marked at the edges instead of setting the scale.
    await expect(chart).to_have_attribute("data-orders-above", "1")
    await expect(chart).to_have_attribute("data-orders-below", "1")
    await dashboard.page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=chart]').dataset.priceFill) >= 0.6",
        timeout=5_000,
    )
    await dashboard.screenshot("chart-after-shock")
    dashboard.assert_no_errors()


async def test_the_ladder_near_the_price_is_labelled_without_overlaps(
    dashboard: Dashboard, stack: Stack
) -> None:
    await dashboard.expect_connected()
    chart = dashboard.by_id("chart")
    await expect(chart).to_have_attribute("data-order-lines", "5")
    # Up 3 %: the engine moves its five buys (50 apart) up under the price, and the y-axis
    # spans the move: the buys end up a few pixels apart on the axis.
    await stack.sim.set_price(SYMBOL, "51500")
    await expect(chart).to_have_attribute("data-last-price", "51500")
    ladder = dashboard.by_id("orders-table").locator("td.price")
    await expect(ladder).to_have_text(["51450", "51400", "51350", "51300", "51250"])
    await expect(chart).to_have_attribute("data-order-lines", "5")
    await expect(chart).to_have_attribute("data-orders-below", "0")
    await expect(chart).to_have_attribute("data-order-labels", "5")

    labels = json.loads(await chart.get_attribute("data-labels") or "[]")
    texts = sorted(label["text"] for label in labels if not label["last"])
    assert texts == sorted(await ladder.all_text_contents()), labels
    rows = sorted(label["ly"] for label in labels)
    assert all(b - a >= LABEL_HEIGHT - 1 for a, b in itertools.pairwise(rows)), labels
    last = next(label for label in labels if label["last"])
    assert abs(last["ly"] - last["y"]) <= 1  # the last price's label stays on its line
    await dashboard.screenshot("chart-labels")
    dashboard.assert_no_errors()
