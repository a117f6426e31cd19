"""What a market maker checks with the connector before trading, and what it says.

A symbol the connector does not list, a token it refuses, a grid that does not fit the
symbol's rules, a busy HTTP port: exit code 2 at once, one line last on stderr (under
Kubernetes, the termination message). A step that cannot beat the fees: a warning in the
log and in /status, and the engine trades on.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import yaml

from tests.support.connector import ConnectorProcess
from tests.support.market_maker import MarketMakerProcess, write_config


def market_maker(config: Path, connector: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gridops", "market-maker", "--config", str(config),
         "--connector", connector, "--http-host", "127.0.0.1", "--http-port", "0", *extra],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_an_unknown_symbol_stops_at_start_naming_what_the_connector_has(
    tmp_path: Path, exchange: ConnectorProcess
) -> None:
    config = write_config(tmp_path / "mm.yaml", symbol="DOGE/USDT")
    result = market_maker(config, exchange.address)
    assert result.returncode == 2
    assert last_line(result) == (
        f"gridops: symbol DOGE/USDT is not traded on the connector at {exchange.address} "
        "(exchange sim, account default), which lists BTC/USDT, ETH/USDT: set `symbol` in "
        "the strategy config (env GRIDOPS_SYMBOL)"
    )
    assert "risk halt" not in result.stderr
    assert "market maker stopped" in result.stderr  # cleaned up (HTTP, database) on its way out


def test_a_refused_token_stops_at_start_naming_the_flag(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    guarded = ConnectorProcess(extra=["--token-file", str(token)]).start()
    try:
        result = market_maker(write_config(tmp_path / "mm.yaml"), guarded.address)
    finally:
        guarded.stop()
    assert result.returncode == 2
    assert "refused this market maker" in last_line(result)
    assert "--token-file" in last_line(result)


def test_a_grid_off_the_tick_stops_at_start_naming_the_field(
    tmp_path: Path, exchange: ConnectorProcess
) -> None:
    config = write_config(tmp_path / "mm.yaml", grid={"priceInterval": "50.005"})
    result = market_maker(config, exchange.address)
    assert result.returncode == 2
    assert last_line(result).startswith("gridops: grid.priceInterval: 50.005 is not a")


def test_a_busy_http_port_names_the_flag(tmp_path: Path, exchange: ConnectorProcess) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "gridops", "market-maker", "--config",
             str(write_config(tmp_path / "mm.yaml")), "--connector", exchange.address,
             "--http-host", "127.0.0.1", "--http-port", str(port)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode == 2
    assert last_line(result) == (
        f"gridops: HTTP port 127.0.0.1:{port} is already in use; choose another with --http-port"
    )


def test_a_step_below_the_fees_is_a_warning_in_the_log_and_in_status(
    tmp_path: Path, processes: list[MarketMakerProcess]
) -> None:
    # 150 USDT at 50,000 beats the default 0.1 % maker fee (a round trip costs ~100) but
    # not 0.2 % (~200): this connector's fee makes the configured step lose.
    sim = tmp_path / "sim.yaml"
    sim.write_text(yaml.safe_dump({"makerFee": "0.002", "takerFee": "0.002"}))
    costly = ConnectorProcess(extra=["--sim-config", str(sim)]).start()
    try:
        config = write_config(tmp_path / "mm.yaml", grid={"priceInterval": "150"})
        mm = MarketMakerProcess(config, costly.address)
        processes.append(mm)
        mm.start()
        status = mm.wait_status(lambda s: s["synced"], message="synced")
        assert len(status["warnings"]) == 1
        warning = status["warnings"][0]
        assert warning.startswith("grid.priceInterval 150 is 0.3 % of the price 50000")
        assert "nets -0.05 USDT" in warning
        assert any("WARNING" in line and warning in line for line in mm.lines)
        # It still trades: a warning, not a refusal.
        mm.wait_status(lambda s: len(s["openOrders"]) == 5, message="grid up")
    finally:
        costly.stop()


def test_a_step_that_earns_has_no_warning(
    tmp_path: Path, exchange: ConnectorProcess, processes: list[MarketMakerProcess]
) -> None:
    mm = MarketMakerProcess(
        write_config(tmp_path / "mm.yaml", grid={"priceInterval": "150"}), exchange.address
    )
    processes.append(mm)
    mm.start()
    status = mm.wait_status(lambda s: s["synced"], message="synced")
    assert status["warnings"] == []
