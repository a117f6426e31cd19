"""A page object for the live dashboard: locators by data-testid, screenshots, page errors.

Playwright is imported lazily so that a missing install fails the `browser` fixture with a
clear message instead of breaking collection.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.async_api import ConsoleMessage, Error, Locator, Page
    from playwright.async_api._generated import LocatorAssertions  # not re-exported

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM = Path(os.environ.get("GRIDOPS_CHROMIUM", "/usr/bin/chromium"))


def missing_requirements() -> str | None:
    """What to install for the browser tests, or None when all is there."""
    problems = []
    if importlib.util.find_spec("playwright") is None:
        problems.append(
            "Playwright for Python is not installed: `.venv/bin/pip install playwright` "
            "(do NOT run `playwright install`; the tests use Debian's chromium)"
        )
    if not os.access(CHROMIUM, os.X_OK):
        problems.append(
            f"no chromium at {CHROMIUM}: `apt-get install -y chromium` "
            "(or point GRIDOPS_CHROMIUM at a chromium binary)"
        )
    return "; ".join(problems) or None


def expect(locator: Locator) -> LocatorAssertions:
    """Playwright's auto-retrying assertion (polls until its timeout; no sleeps)."""
    from playwright.async_api import expect as playwright_expect

    return playwright_expect(locator)


class Dashboard:
    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.url = url
        self.errors: list[str] = []
        page.on("pageerror", self._page_error)
        page.on("console", self._console)

    def _page_error(self, error: Error) -> None:
        self.errors.append(f"page error: {error}")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console error: {message.text}")

    async def open(self) -> None:
        await self.page.goto(self.url + "/", wait_until="load")

    def by_id(self, test_id: str) -> Locator:
        return self.page.get_by_test_id(test_id)

    @property
    def order_rows(self) -> Locator:
        return self.by_id("orders-table").get_by_test_id("order-row")

    @property
    def fill_rows(self) -> Locator:
        return self.by_id("fills-table").get_by_test_id("fill-row")

    def order_row(self, client_order_id: str) -> Locator:
        return self.by_id("orders-table").locator(f'tr[data-client-order-id="{client_order_id}"]')

    def fill_row(self, client_order_id: str) -> Locator:
        return self.by_id("fills-table").locator(f'tr[data-client-order-id="{client_order_id}"]')

    async def expect_connected(self, timeout: float = 10_000) -> None:
        await expect(self.by_id("connection")).to_have_attribute(
            "data-state", "connected", timeout=timeout
        )

    async def screenshot(self, name: str) -> Path:
        """A full-page PNG in artifacts/ (gitignored), for a human to look at."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"dashboard-{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
        await self.page.mouse.move(0, 0)  # no hover crosshair in the picture
        await self.page.screenshot(path=str(path), full_page=True)
        return path

    def assert_no_errors(self, allowed: tuple[str, ...] = ()) -> None:
        """No uncaught exception or console error (except messages matching `allowed`)."""
        unexpected = [e for e in self.errors if not any(a in e for a in allowed)]
        assert not unexpected, "the page reported errors:\n" + "\n".join(unexpected)
