"""The control token: a real market maker refuses POST /pause, /resume, /risk/clear without it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gridops.client import SimulatorClient
from tests.support.connector import ConnectorProcess
from tests.support.market_maker import MarketMakerProcess, write_config

TOKEN = "ctl-7f3a9c1e2b5d48a6"  # distinctive, so a leak into the logs can be found
CONTROL = ("/pause", "/resume", "/risk/clear")
REFUSED_HEADERS = [
    {},
    {"Authorization": "Bearer wrong"},
    {"Authorization": f"Bearer {TOKEN}x"},
    {"Authorization": f"Basic {TOKEN}"},
    {"Authorization": TOKEN},
]


def grid_up(status: dict[str, object]) -> bool:
    orders = status["openOrders"]
    return bool(status["synced"]) and isinstance(orders, list) and len(orders) == 5


async def test_control_needs_the_token_reads_do_not(
    tmp_path: Path, exchange: ConnectorProcess, sim: SimulatorClient,
    processes: list[MarketMakerProcess],
) -> None:  # fmt: skip
    await sim.set_price("BTC/USDT", "50010")
    token_file = tmp_path / "control-token"
    token_file.write_text(TOKEN + "\n")
    mm = MarketMakerProcess(write_config(tmp_path / "mm.yaml"), exchange.address)
    processes.append(mm)
    # DEBUG: whatever gets logged, the token must not be in it.
    mm.start(env={"GRIDOPS_LOG_LEVEL": "DEBUG"}, extra=["--control-token-file", str(token_file)])
    mm.wait_status(grid_up, message="grid up")

    for path in (*CONTROL, "/no-such-endpoint"):
        for headers in REFUSED_HEADERS:
            reply = mm.request("POST", path, headers)
            assert reply.status == 401, (path, headers, reply)
            assert reply.headers["WWW-Authenticate"].startswith("Bearer"), reply.headers
            assert reply.headers["Content-Type"].startswith("application/json")
            assert "control token" in reply.json()["error"]
            assert TOKEN not in reply.body.decode()
    status = mm.status()
    assert status["phase"] == "running", status
    assert not status["paused"]
    assert len(status["openOrders"]) == 5

    for path in ("/status", "/healthz", "/readyz", "/metrics"):
        assert mm.request("GET", path).status == 200, path

    assert mm.post("/pause", TOKEN) == 202
    mm.wait_status(lambda s: s["phase"] == "paused" and not s["openOrders"], message="paused")
    # The scheme is case-insensitive.
    reply = mm.request("POST", "/resume", {"Authorization": f"bearer {TOKEN}"})
    assert reply.status == 202, reply
    mm.wait_status(lambda s: s["phase"] == "running" and grid_up(s), message="resumed")
    assert mm.post("/risk/clear", TOKEN) == 202
    # Authorized, the middleware lets the router answer: an unknown path is a 404.
    assert mm.request("POST", "/no-such-endpoint", {"Authorization": f"Bearer {TOKEN}"}).status == (
        404
    )

    assert "refused POST /pause" in mm.output
    assert "needs the control token" in mm.output
    assert TOKEN not in mm.output


async def test_the_token_from_the_environment(
    tmp_path: Path, exchange: ConnectorProcess, sim: SimulatorClient,
    processes: list[MarketMakerProcess],
) -> None:  # fmt: skip
    await sim.set_price("BTC/USDT", "50010")
    mm = MarketMakerProcess(write_config(tmp_path / "mm.yaml"), exchange.address)
    processes.append(mm)
    mm.start(env={"GRIDOPS_CONTROL_TOKEN": TOKEN})
    mm.wait_status(grid_up, message="grid up")
    assert mm.request("POST", "/pause").status == 401
    assert mm.status()["phase"] == "running"
    assert mm.post("/pause", TOKEN) == 202
    mm.wait_status(lambda s: s["phase"] == "paused", message="paused")
    assert TOKEN not in mm.output


def _broken_token_file(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / "control-token"
    if kind == "directory":  # unreadable whatever the user, root included
        path.mkdir()
    elif kind == "empty":
        path.write_text("\n")
    return path


@pytest.mark.parametrize("kind", ["missing", "directory", "empty"])
def test_an_unusable_token_file_stops_with_exit_2(tmp_path: Path, kind: str) -> None:
    token_file = _broken_token_file(tmp_path, kind)
    config = write_config(tmp_path / "mm.yaml")
    result = subprocess.run(
        [sys.executable, "-m", "gridops", "market-maker", "--config", str(config),
         "--http-port", "0", "--control-token-file", str(token_file)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "--control-token-file" in result.stderr
    assert str(token_file) in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
