"""`gridops status` against a real connector and market maker."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from gridops.client import SimulatorClient
from tests.support.connector import ConnectorProcess
from tests.support.market_maker import MarketMakerProcess, write_config

from .cli import ANSI, clean_env, gridops, on_terminal
from .conftest import grid_up, url_of


def row(text: str, label: str) -> str:
    for line in text.splitlines():
        if line.startswith(label + " "):
            return line[len(label) :].strip()
    raise AssertionError(f"no row {label!r} in:\n{text}")


async def test_status_shows_the_grid_with_units(
    sim: SimulatorClient, market_maker: MarketMakerProcess
) -> None:
    await grid_up(sim, market_maker)
    done = gridops("status", url_of(market_maker))
    assert done.code == 0, done.err
    text = done.out
    assert not ANSI.search(text), "colors on a pipe"
    assert text.splitlines()[0] == "t-grid  BTC/USDT  durable engine"
    assert row(text, "phase") == "running, synced"
    assert row(text, "price").startswith("50010 USDT  (")
    assert row(text, "position") == "0 BTC"
    assert row(text, "realized") == "0 USDT  net of fees"
    assert row(text, "risk") == "ok  (not halted)"
    assert row(text, "orders") == "5 open: 5 buy, 0 sell"
    assert row(text, "slots") == "5 in use: 5 entry open"
    for price in ("50000", "49950", "49900", "49850", "49800"):
        assert any(
            line.startswith("BUY") and f" {price} " in line and "t-grid-" in line
            for line in text.splitlines()
        ), price


async def test_after_a_fill_and_a_shock_it_shows_position_fees_and_the_halt(
    sim: SimulatorClient, market_maker: MarketMakerProcess
) -> None:
    await grid_up(sim, market_maker)
    await sim.set_price("BTC/USDT", "47400")  # -5.2 % within the 1 s window: every buy fills
    status = market_maker.wait_status(
        lambda s: s["risk"]["halted"] and s["position"] == "0.005", message="filled, halted"
    )

    url = url_of(market_maker)
    text = gridops("status", url).out
    assert row(text, "phase") == "halted, synced"
    assert row(text, "position") == "0.005 BTC"
    assert row(text, "fees") == f"{status['pnl']['fees']} USDT  paid so far"
    # 0.1 % maker fee on 249.5 USDT bought is 0.2495, shown on the 0.01 tick
    assert status["pnl"]["fees"] == "0.25"
    assert row(text, "unrealized").startswith(f"{status['pnl']['unrealized']} USDT")
    assert row(text, "risk").startswith("HALTED: ")
    assert "5.2" in row(text, "risk")
    assert "clears by itself (cooldownSeconds) at " in text
    assert f"clear now: curl -X POST {url}/risk/clear" in text

    # the hint works: the endpoint it names clears the halt
    assert market_maker.post("/risk/clear") == 202
    market_maker.wait_status(lambda s: not s["risk"]["halted"], message="cleared")
    assert row(gridops("status", url).out, "risk") == "ok  (not halted)"


async def test_json_is_the_engines_document(
    sim: SimulatorClient, market_maker: MarketMakerProcess
) -> None:
    await grid_up(sim, market_maker)
    done = gridops("status", url_of(market_maker), "--json")
    assert done.code == 0, done.err
    document = json.loads(done.out)
    assert document["name"] == "t-grid"
    assert document["synced"] is True
    assert set(document) >= {"symbol", "phase", "lastPrice", "position", "openOrders", "pnl"}
    assert document["openOrders"] == market_maker.status()["openOrders"]


async def test_on_a_terminal_there_are_colors_unless_no_color(
    sim: SimulatorClient, market_maker: MarketMakerProcess
) -> None:
    await grid_up(sim, market_maker)
    code, shown = on_terminal("status", url_of(market_maker))
    assert code == 0, shown
    assert "\x1b[32mrunning\x1b[0m" in shown
    code, shown = on_terminal(
        "status", url_of(market_maker), env=clean_env(TERM="xterm", NO_COLOR="1")
    )
    assert code == 0, shown
    assert not ANSI.search(shown), shown
    assert "running, synced" in shown


async def test_watch_redraws_until_ctrl_c_and_survives_a_dead_engine(
    sim: SimulatorClient, market_maker: MarketMakerProcess
) -> None:
    await grid_up(sim, market_maker)
    watch_through_a_crash(market_maker)


def watch_through_a_crash(market_maker: MarketMakerProcess) -> None:
    """Two frames; the engine killed: frames say so and go on; Ctrl-C: exit 0, quietly."""
    url = url_of(market_maker)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridops", "status", url, "--watch", "0.2"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    try:
        assert proc.stdout is not None
        headers = 0
        while headers < 2:
            line = proc.stdout.readline()
            assert line, "status --watch ended"
            headers += line.startswith("every 0.2 s, Ctrl-C to stop")
        market_maker.kill()
        deadline = time.monotonic() + 20
        seen = ""
        while "(retrying)" not in seen and time.monotonic() < deadline:
            seen += proc.stdout.readline()
        assert "(retrying)" in seen
        assert f"no market maker at {url}/status" in seen
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
        assert proc.stderr is not None
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_no_market_maker_there_is_one_line_naming_the_address() -> None:
    done = gridops("status", "http://127.0.0.1:1")
    assert done.code == 2
    line = done.error_line
    assert line.startswith(
        "gridops: no market maker at http://127.0.0.1:1/status (TARGET): Connection refused"
    )


def test_watch_fails_fast_when_the_first_read_fails() -> None:
    done = gridops("status", "127.0.0.1:1", "--watch", "1")
    assert done.code == 2
    assert "http://127.0.0.1:1/status" in done.error_line


async def test_something_else_than_a_market_maker(
    sim: SimulatorClient, market_maker: MarketMakerProcess
) -> None:
    await grid_up(sim, market_maker)
    done = gridops("status", f"{url_of(market_maker)}/metrics")
    assert done.code == 2
    assert "/metrics/status answered HTTP 404" in done.error_line


def test_a_bad_target_is_refused() -> None:
    done = gridops("status", "Not_A_Name")
    assert done.code == 2
    assert "neither a market maker's URL" in done.error_line


def test_a_strategy_name_without_a_kubeconfig(tmp_path: Path) -> None:
    env = clean_env(HOME=str(tmp_path), KUBECONFIG=None, KUBERNETES_SERVICE_HOST=None)
    for command in ("status", "orders", "fills"):
        done = gridops(command, "btc-grid", env=env)
        assert done.code == 2, command
        assert "there is no kubeconfig" in done.error_line
        assert "~/.kube/config not found" in done.error_line
    env["KUBECONFIG"] = str(tmp_path / "nowhere.yaml")
    done = gridops("status", "btc-grid", env=env)
    assert f"KUBECONFIG={tmp_path / 'nowhere.yaml'} not found" in done.error_line


async def test_a_step_below_the_fees_is_shown_as_the_engines_warning(
    tmp_path: Path, sim: SimulatorClient, exchange: ConnectorProcess
) -> None:
    config = write_config(tmp_path / "thin.yaml", grid={"priceInterval": "25"})
    mm = MarketMakerProcess(config, exchange.address)
    try:
        await grid_up(sim, mm)
        text = gridops("status", url_of(mm)).out
        assert row(text, "warning").startswith("grid.priceInterval 25 is 0.05 % of the price")
    finally:
        mm.stop()
