"""The dashboard's controls through a real live server to a real market maker and connector.

The market maker requires a control token; the live server holds it (--control-token-file)
and never shows it. Under --operator-managed nothing is called: the answer is the command.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from gridops.client import ConnectorClient, SimulatorClient
from gridops.models import OrderRequest, Side
from tests.support.connector import ConnectorProcess
from tests.support.live_server import LiveServerProcess
from tests.support.market_maker import MarketMakerProcess, write_config
from tests.support.poll import wait_until

TOKEN = "ctl-live-5b2e81d0c4f7a963"  # distinctive, so a leak can be found


@dataclass
class Guarded:
    connector: ConnectorProcess
    market_maker: MarketMakerProcess
    sim: SimulatorClient
    client: ConnectorClient
    token_file: Path
    live: Callable[..., LiveServerProcess]

    @property
    def mm_url(self) -> str:
        return f"http://127.0.0.1:{self.market_maker.port}"


def _grid_up(status: dict[str, Any]) -> bool:
    return bool(status["synced"]) and len(status["openOrders"]) == 5


@pytest.fixture
async def guarded(tmp_path: Path) -> AsyncIterator[Guarded]:
    """A sim connector, a market maker that wants TOKEN, and a live-server factory."""
    connector = ConnectorProcess(extra=["--sim-state", str(tmp_path / "exchange.db")])
    started: list[Any] = []
    token_file = tmp_path / "control-token"
    token_file.write_text(TOKEN + "\n")
    try:
        started.append(connector.start())
        sim = SimulatorClient(connector.address)
        await sim.set_price("BTC/USDT", "50010")
        mm = MarketMakerProcess(write_config(tmp_path / "mm.yaml"), connector.address)
        started.append(mm)
        mm.start(extra=["--control-token-file", str(token_file)])
        mm.wait_status(_grid_up, message="grid up")
        client = await ConnectorClient.connect(connector.address)

        def live(*extra: str) -> LiveServerProcess:
            process = LiveServerProcess(connector.address, [f"http://127.0.0.1:{mm.port}"], extra)
            started.append(process)
            # DEBUG: whatever gets logged, the token must not be in it.
            process.start(env={"GRIDOPS_LOG_LEVEL": "DEBUG"})
            wait_until(lambda: _polled(process), message="the market maker polled")
            return process

        yield Guarded(connector, mm, sim, client, token_file, live)
        await client.close()
        await sim.close()
    finally:
        for process in reversed(started):
            process.stop()


def _polled(live: LiveServerProcess) -> bool:
    code, body = live.get("/api/status")
    return code == 200 and body["marketMakers"][0]["status"] is not None


def _control(live: LiveServerProcess, action: str, url: str, **headers: str) -> Any:
    return live.post(f"/api/control/{action}", {"marketMaker": url}, headers)


def _assert_no_token(live: LiveServerProcess) -> None:
    for path in ("/api/status", "/", "/static/app.js"):
        code, body = live.get(path)
        assert code == 200
        assert TOKEN not in str(body), path
    assert TOKEN not in live.output


async def test_pause_resume_and_clear_a_halt_reach_the_market_maker(guarded: Guarded) -> None:
    live = guarded.live("--control-token-file", str(guarded.token_file))
    mm = guarded.market_maker

    code, body, _ = _control(live, "pause", guarded.mm_url)
    assert code == 200, body
    assert body["answer"] == {"paused": True}
    mm.wait_status(lambda s: s["paused"] and s["phase"] == "paused", message="paused")
    code, body, _ = _control(live, "resume", guarded.mm_url)
    assert code == 200, body
    mm.wait_status(lambda s: not s["paused"] and s["phase"] == "running", message="resumed")

    # Trip the breaker (5 % within a second), then clear it from the dashboard.
    await guarded.sim.set_price("BTC/USDT", "50010")
    await guarded.sim.set_price("BTC/USDT", "52610")
    mm.wait_status(lambda s: s["risk"]["halted"], message="halted")
    code, body, _ = _control(live, "clear-halt", guarded.mm_url)
    assert code == 200, body
    mm.wait_status(lambda s: not s["risk"]["halted"], message="cleared")
    _assert_no_token(live)


async def test_cancel_uses_the_strategy_s_exact_prefix(guarded: Guarded) -> None:
    live = guarded.live("--control-token-file", str(guarded.token_file))
    # Strategy "t-grid-2": its ids start with "t-grid", but it is not t-grid's.
    other = OrderRequest("t-grid-2-0-B-1", "BTC/USDT", Side.BUY, Decimal("40000"), Decimal("0.001"))
    await guarded.client.place_order(other)
    ours = {o["clientOrderId"] for o in guarded.market_maker.status()["openOrders"]}

    code, body, _ = _control(live, "cancel-orders", guarded.mm_url)
    assert code == 200, body
    assert body["answer"]["prefix"] == "t-grid"
    assert set(body["answer"]["cancelled"]) == ours
    still_open = {o.client_order_id for o in await guarded.client.get_open_orders("BTC/USDT")}
    assert "t-grid-2-0-B-1" in still_open
    assert not ours & still_open  # (a running engine places its grid again, with new ids)


async def test_without_the_token_the_refusal_names_the_flag(guarded: Guarded) -> None:
    live = guarded.live()
    code, body, _ = _control(live, "pause", guarded.mm_url)
    assert code == 502
    assert "--control-token-file" in body["error"]
    assert not guarded.market_maker.status()["paused"]


async def test_operator_managed_answers_with_kubectl_and_calls_nothing(guarded: Guarded) -> None:
    live = guarded.live("--operator-managed", "trading", "--control-token-file",
                        str(guarded.token_file))  # fmt: skip
    code, status = live.get("/api/status")
    assert code == 200
    assert status["controls"] == {
        "operatorManaged": True, "namespace": "trading", "tokenConfigured": True,
    }  # fmt: skip
    commands = status["marketMakers"][0]["kubectl"]
    pause = """kubectl -n trading patch gs t-grid --type merge -p '{"spec":{"paused":true}}'"""
    assert commands["pause"] == pause
    for action in ("pause", "resume", "clear-halt", "cancel-orders"):
        code, body, _ = _control(live, action, guarded.mm_url)
        assert code == 409, (action, body)
        assert body["command"] == commands[action]
        assert "managed by the gridops operator" in body["error"]
    status_now = guarded.market_maker.status()
    assert not status_now["paused"]
    assert len([o for o in status_now["openOrders"] if not o["pending"]]) == 5
    assert "control: " not in live.output  # nothing was called


async def test_requests_from_another_site_or_not_json_are_refused(guarded: Guarded) -> None:
    live = guarded.live("--control-token-file", str(guarded.token_file))
    code, body, _ = _control(live, "pause", guarded.mm_url, Origin="http://evil.example")
    assert code == 403, body
    code, body, _ = live.post(
        "/api/control/pause", None, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert code == 400, body
    code, body, _ = _control(live, "pause", "http://127.0.0.1:1")  # not one of its own
    assert code == 404, body
    code, body, _ = _control(live, "explode", guarded.mm_url)
    assert code == 404, body
    assert not guarded.market_maker.status()["paused"]
    # its own page's origin is fine
    code, body, _ = _control(live, "pause", guarded.mm_url, Origin=live.url)
    assert code == 200, body
