"""`gridops connector` given a port, a file or an exchange it cannot use: exit code 2 and
one line naming the port or file and the flag that changes it, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.connector import ConnectorProcess


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something listens on, as another server would."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def connector(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gridops", "connector", "--host", "127.0.0.1",
         "--metrics-host", "127.0.0.1", "--sim-tick-seconds", "0", *args],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_a_busy_grpc_port(busy_port: int) -> None:
    result = connector("--port", str(busy_port), "--no-metrics")
    assert result.returncode == 2
    line = last_line(result)
    assert f"gRPC port 127.0.0.1:{busy_port} is already in use" in line
    assert "--port" in line
    # our line alone: not gRPC's own C-level error before it
    assert result.stderr.strip() == line


def test_a_busy_metrics_port(busy_port: int) -> None:
    result = connector("--port", "0", "--metrics-port", str(busy_port))
    assert result.returncode == 2
    line = last_line(result)
    assert f"metrics port 127.0.0.1:{busy_port} is already in use" in line
    assert "--metrics-port" in line
    assert "--no-metrics" in line


def test_a_missing_sim_config(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    result = connector("--port", "0", "--no-metrics", "--sim-config", str(missing))
    assert result.returncode == 2
    line = last_line(result)
    assert line.startswith(f"gridops: --sim-config {missing}: cannot read it")
    assert "No such file" in line


def test_a_bad_sim_config_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "sim.yaml"
    path.write_text("volatility: -1\n")
    result = connector("--port", "0", "--no-metrics", "--sim-config", str(path))
    assert result.returncode == 2
    assert "--sim-config" in last_line(result)
    assert "volatility" in last_line(result)


def test_a_missing_token_file(tmp_path: Path) -> None:
    missing = tmp_path / "token"
    result = connector("--port", "0", "--no-metrics", "--token-file", str(missing))
    assert result.returncode == 2
    assert last_line(result).startswith(f"gridops: --token-file {missing}: cannot read")


def test_an_unreadable_sim_state(tmp_path: Path) -> None:
    state = tmp_path / "exchange.json"
    state.write_text("{not json")
    result = connector("--port", "0", "--no-metrics", "--sim-state", str(state))
    assert result.returncode == 2
    assert f"--sim-state {state}" in last_line(result)


def ccxt_connector(*args: str) -> subprocess.CompletedProcess[str]:
    """`gridops connector` without the sim-only flags `connector` adds."""
    return subprocess.run(
        [sys.executable, "-m", "gridops", "connector", "--host", "127.0.0.1", "--port", "0",
         "--no-metrics", *args],
        capture_output=True, text=True, timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("GRIDOPS_CONNECTOR_")},
    )  # fmt: skip


def test_a_sim_state_another_connector_holds(tmp_path: Path) -> None:
    state = tmp_path / "exchange.db"
    holder = ConnectorProcess(extra=["--sim-state", str(state)])
    try:
        holder.start()
        result = connector("--port", "0", "--no-metrics", "--sim-state", str(state))
        assert result.returncode == 2
        assert last_line(result) == (
            f"gridops: --sim-state {state}: another process has this sim state open "
            "(env GRIDOPS_CONNECTOR_SIM_STATE)"
        )
    finally:
        holder.stop()


def test_ccxt_exchanges_an_unknown_id_missing_keys_and_sim_flags() -> None:
    result = ccxt_connector("--exchange", "nope")
    assert result.returncode == 2
    assert last_line(result).startswith("gridops: --exchange 'nope': not a ccxt exchange id")
    result = ccxt_connector("--exchange", "binance")
    assert result.returncode == 2
    assert "give its keys with --credentials-file" in last_line(result)
    result = connector("--port", "0", "--no-metrics", "--exchange", "binance")
    assert result.returncode == 2
    assert last_line(result) == (
        "gridops: --sim-tick-seconds: only for --exchange sim, not binance"
    )


def test_help_promises_what_works() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gridops", "connector", "--help"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    text = " ".join(result.stdout.split())
    assert "ccxt exchanges are planned" not in text
    assert "or a ccxt exchange id" in text
    for flag in ("--credentials-file", "--api-url", "--ws-url", "--symbols", "--sandbox"):
        assert flag in text
