"""Browser tests: Debian's chromium driven by Playwright against real gridops processes.

Needs `apt-get install -y chromium` and `pip install playwright` (never `playwright install`:
no browser is downloaded; the system chromium is launched through `executable_path`).
A missing piece fails the test with what to install; it never skips.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from gridops.client import SimulatorClient
from tests.support.connector import ConnectorProcess
from tests.support.live_server import LiveServerProcess
from tests.support.market_maker import MarketMakerProcess, write_config

from .dashboard import CHROMIUM, Dashboard, missing_requirements
from .stack import START_PRICE, SYMBOL, Stack

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


TOKEN = "ctl-browser-9e41c7a2d05f"  # the market maker's control token in `guarded_stack`


@asynccontextmanager
async def running_stack(
    tmp_path: Path, mm_extra: Sequence[str] = (), live_extra: Sequence[str] = ()
) -> AsyncIterator[Stack]:
    """Sim connector + a long grid market maker (five buys below 50010) + the live server."""
    connector = ConnectorProcess(extra=["--sim-state", str(tmp_path / "exchange.db")])
    mm: MarketMakerProcess | None = None
    sim: SimulatorClient | None = None
    built: Stack | None = None
    try:
        connector.start()
        sim = SimulatorClient(connector.address)
        await sim.set_price(SYMBOL, START_PRICE)
        mm = MarketMakerProcess(write_config(tmp_path / "mm.yaml"), connector.address)
        mm.start(extra=mm_extra)
        mm.wait_status(
            lambda s: s["synced"] and len([o for o in s["openOrders"] if not o["pending"]]) == 5,
            message="five entry buys open",
        )
        placeholder = LiveServerProcess(connector.address, state_dir=tmp_path / "live-state")
        built = Stack(connector, mm, placeholder, sim, tmp_path / "live-state", list(live_extra))
        built.start_live_server()
        yield built
    finally:
        if sim is not None:
            await sim.close()
        for process in (built.live if built else None, mm, connector):
            if process is not None:
                process.stop()


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    async with running_stack(tmp_path) as built:
        yield built


@pytest.fixture
async def guarded_stack(tmp_path: Path) -> AsyncIterator[Stack]:
    """The market maker wants a control token; the live server has it (a file)."""
    token_file = tmp_path / "control-token"
    token_file.write_text(TOKEN + "\n")
    flag = ["--control-token-file", str(token_file)]
    async with running_stack(tmp_path, mm_extra=flag, live_extra=flag) as built:
        yield built


@pytest.fixture
async def operator_stack(tmp_path: Path) -> AsyncIterator[Stack]:
    """The live server as the operator runs it: controls show kubectl commands only."""
    async with running_stack(tmp_path, live_extra=["--operator-managed", "trading"]) as built:
        yield built


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    """A headless chromium with a fresh profile, sized like a laptop screen."""
    problem = missing_requirements()
    if problem:
        pytest.fail(problem, pytrace=False)
    from playwright.async_api import async_playwright

    profile = tmp_path / "chromium-profile"
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800},
            timezone_id="UTC",
        )
        try:
            yield context
        finally:
            await context.close()


async def open_dashboard(browser: BrowserContext, stack: Stack) -> Dashboard:
    page = browser.pages[0] if browser.pages else await browser.new_page()
    board = Dashboard(page, stack.live.url)
    await board.open()
    return board


@pytest.fixture
async def dashboard(browser: BrowserContext, stack: Stack) -> Dashboard:
    """The dashboard page, opened (each test checks `assert_no_errors` itself)."""
    return await open_dashboard(browser, stack)
