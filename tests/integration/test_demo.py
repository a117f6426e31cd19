"""`gridops demo` as a user runs it: everything healthy, a grid that earns when the market
ranges, clear words for a busy port or a bad strategy file, a child restarted when it
dies, --reset and --config, and Ctrl-C leaves no process behind."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from gridops.client import ConnectorClient, SimulatorClient
from gridops.models import Side
from tests.support.demo import FLAGS, DemoProcess, alive
from tests.support.poll import wait_until


@pytest.fixture
def demos() -> Iterator[list[DemoProcess]]:
    started: list[DemoProcess] = []
    yield started
    for demo in started:
        demo.stop()


def test_demo_starts_everything_and_ctrl_c_stops_everything(
    tmp_path: Path, demos: list[DemoProcess]
) -> None:
    demo = DemoProcess(tmp_path)
    demos.append(demo)
    demo.start().wait_up()
    output = demo.output
    assert f"dashboard {demo.live}/" in output
    # where the state and the logs live, and that the default strategy was written
    assert f"state in {tmp_path} (exchange.db: the simulated exchange; " in output
    assert f"logs in {tmp_path / 'logs'}" in output
    assert f"strategy {tmp_path / 'btc-demo.yaml'} (the default" in output
    pids = [int(p) for p in re.findall(r"pid (\d+)", output)]
    assert len(pids) == 3

    status = demo.status()
    assert status["synced"] is True
    assert status["engine"] == "durable"
    assert status["warnings"] == []  # the demo's step beats its fees
    with urllib.request.urlopen(demo.live + "/api/status", timeout=2) as response:
        assert json.loads(response.read())["connector"]["connected"] is True
    page = urllib.request.urlopen(demo.live + "/", timeout=2).read()
    assert b"<html" in page.lower()
    assert (tmp_path / "btc-demo.db").exists()

    assert demo.interrupt() == 0  # what Ctrl-C sends
    assert "gridops demo: stopped" in demo.output
    left = [pid for pid in pids if alive(pid)]
    assert not left, f"processes left behind: {left}"


async def test_the_demo_grid_earns_when_the_market_ranges(
    tmp_path: Path, demos: list[DemoProcess]
) -> None:
    """The price forced down and back up three times: every round trip nets a profit."""
    demo = DemoProcess(tmp_path)
    demos.append(demo)
    demo.start()
    await asyncio.to_thread(demo.wait_up)
    async with (
        await ConnectorClient.connect(demo.connector) as client,
        SimulatorClient(demo.connector) as sim,
    ):
        start = (await client.get_ticker("BTC/USDT")).price
        # 250 apart: down 700 fills the buys of two or three levels, up 400 is above
        # every exit they placed (one level, 250, above its buy).
        low, high = start - 700, start + 400
        realized = Decimal(0)
        for _ in range(3):
            # Buys resting above `low` (the engine places them once it saw the price):
            # the drop must fill something.
            await asyncio.to_thread(_wait_for_buys_above, demo, low)
            await sim.set_price("BTC/USDT", low)
            await asyncio.to_thread(_wait_for_exits, demo)
            await sim.set_price("BTC/USDT", high)
            status = await asyncio.to_thread(_wait_for_more_profit, demo, realized)
            realized = Decimal(status["pnl"]["realized"])
        sells = [
            f for f in await client.get_fills("BTC/USDT", prefix="btc-demo") if f.side is Side.SELL
        ]
    assert len(sells) >= 3
    assert Decimal(status["pnl"]["fees"]) > 0
    assert realized > 0, status["pnl"]


def _wait_for_buys_above(demo: DemoProcess, price: Decimal) -> None:
    def buys() -> bool:
        orders = demo.status()["openOrders"]
        return any(
            o["side"] == "BUY" and not o["pending"] and Decimal(o["price"]) > price for o in orders
        )

    wait_until(buys, timeout=30, message=f"buys resting above {price}")


def _wait_for_exits(demo: DemoProcess) -> None:
    """Buys filled, so their exits (sells one level up) rest on the exchange."""

    def exits() -> bool:
        return any(o["side"] == "SELL" and not o["pending"] for o in demo.status()["openOrders"])

    wait_until(exits, timeout=30, message="exits placed")


def _wait_for_more_profit(demo: DemoProcess, than: Decimal) -> dict[str, Any]:
    def more() -> dict[str, Any] | None:
        status = demo.status()
        return status if Decimal(status["pnl"]["realized"]) > than else None

    result = wait_until(more, timeout=30, message=f"realized PnL above {than}")
    assert result is not None
    return result


@pytest.mark.parametrize("flag", FLAGS)
def test_a_busy_port_names_its_flag_before_anything_starts(tmp_path: Path, flag: str) -> None:
    demo = DemoProcess(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", demo.ports[flag]))
        busy.listen()
        demo.start()
        code = demo.wait_exit()
    assert code == 2
    last = demo.output.strip().splitlines()[-1]
    assert last.startswith(f"gridops: demo: port 127.0.0.1:{demo.ports[flag]} for ")
    assert "is already in use" in last
    assert last.endswith(f"choose another with {flag}")
    assert "started" not in demo.output
    assert "Traceback" not in demo.output


def test_a_bad_strategy_file_is_refused_before_anything_starts(tmp_path: Path) -> None:
    config = tmp_path / "mine.yaml"
    grid = {"priceInterval": "-1", "orderQuantity": "1"}
    config.write_text(yaml.safe_dump({"name": "mine", "symbol": "BTC/USDT", "grid": grid}))
    demo = DemoProcess(tmp_path / "data", ["--config", str(config)]).start()
    assert demo.wait_exit() == 2
    assert f"gridops: demo --config: invalid config {config}:" in demo.output
    assert "grid.priceInterval" in demo.output
    assert "started" not in demo.output

    grid = {"priceInterval": "1", "orderQuantity": "1"}
    config.write_text(yaml.safe_dump({"name": "mine", "symbol": "DOGE/USDT", "grid": grid}))
    demo = DemoProcess(tmp_path / "data", ["--config", str(config)]).start()
    assert demo.wait_exit() == 2
    assert "symbol DOGE/USDT is not on the demo's simulated exchange" in demo.output


async def test_own_strategy_and_reset(tmp_path: Path, demos: list[DemoProcess]) -> None:
    config = tmp_path / "eth.yaml"
    config.write_text(yaml.safe_dump({
        "name": "eth-demo", "symbol": "ETH/USDT",
        "grid": {"priceInterval": "15", "orderQuantity": "0.1", "buyWindow": 3},
        "engine": {"type": "durable", "dataDir": str(tmp_path / "eth-state")},
    }))  # fmt: skip
    before = config.read_text()
    data = tmp_path / "data"
    demo = DemoProcess(data, ["--config", str(config)])
    demos.append(demo)
    demo.start()
    await asyncio.to_thread(demo.wait_up)
    assert f"strategy {config} (eth-demo on ETH/USDT)" in demo.output
    assert demo.status()["name"] == "eth-demo"
    async with SimulatorClient(demo.connector) as sim:  # a mark the reset must wipe
        await sim.set_balances({"BTC": "7"})
    assert demo.interrupt() == 0
    assert config.read_text() == before  # the user's file is theirs: never rewritten
    assert not (data / "btc-demo.yaml").exists()

    again = DemoProcess(data, ["--config", str(config), "--reset"])
    demos.append(again)
    again.start()
    await asyncio.to_thread(again.wait_up)
    removed = again.wait_line(r"--reset removed (.*); logs kept").group(1)
    assert str(data / "exchange.db") in removed
    assert str(tmp_path / "eth-state" / "eth-demo.db") in removed
    # Both started afresh: the exchange from its settings, the engine from an empty
    # database (the log, kept, tells of two new schemas).
    async with await ConnectorClient.connect(again.connector) as client:
        assert (await client.get_account()).balance("BTC").total == Decimal(1)
    log = (data / "logs" / "market-maker.log").read_text()
    assert log.count("database schema upgraded from empty") == 2
    assert again.interrupt() == 0


def test_a_dead_child_is_restarted_and_one_that_keeps_dying_ends_the_demo(
    tmp_path: Path, demos: list[DemoProcess]
) -> None:
    demo = DemoProcess(tmp_path)
    demos.append(demo)
    demo.start().wait_up()
    pid = demo.pid_of("market-maker")
    for attempt in (1, 2):
        subprocess.run(["kill", "-KILL", str(pid)], check=True)
        pid = _restarted(demo, attempt)
        if attempt == 1:
            # The restarted engine comes back (same state, same grid).
            wait_until(lambda: _ready(demo), timeout=30, message="market maker back")
    # A third death within 30 s of its start: the demo gives up, saying so.
    subprocess.run(["kill", "-KILL", str(pid)], check=True)
    assert demo.wait_exit() == 1
    assert "market-maker died 3 times within 30s of starting; giving up" in demo.output
    assert "gridops demo: stopped" in demo.output
    pids = [int(p) for p in re.findall(r"\(pid (\d+)\)", demo.output)]
    assert not [p for p in pids if alive(p)]


def _restarted(demo: DemoProcess, count: int) -> int:
    """The pid of the market maker's `count`-th restart, once the demo announced it."""

    def restarts() -> list[str]:
        return re.findall(
            r"market-maker killed by SIGKILL; restarted it \(pid (\d+)\)", demo.output
        )

    found = wait_until(lambda: len(restarts()) >= count, message=f"restart {count}")
    assert found
    return int(restarts()[count - 1])


def _ready(demo: DemoProcess) -> bool:
    try:
        with urllib.request.urlopen(demo.market_maker + "/readyz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def test_ctrl_c_before_the_demo_is_up_stops_cleanly(tmp_path: Path) -> None:
    demo = DemoProcess(tmp_path).start()
    demo.pid_of("connector")
    assert demo.proc is not None
    demo.proc.send_signal(signal.SIGINT)
    assert demo.wait_exit(30) == 0
    pids = [int(p) for p in re.findall(r"\(pid (\d+)\)", demo.output)]
    assert not [p for p in pids if alive(p)]


def test_help_lists_the_demo_flags() -> None:
    result = subprocess.run([sys.executable, "-m", "gridops", "demo", "--help"],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    for flag in (*FLAGS, "--config", "--reset", "--data-dir"):
        assert flag in result.stdout
