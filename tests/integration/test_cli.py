"""The `gridops` command as a user runs it."""

from __future__ import annotations

import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gridops", *args], capture_output=True, text=True, timeout=60
    )


def test_version() -> None:
    result = run("version")
    assert result.returncode == 0
    assert result.stdout.startswith("gridops ")


def test_a_bad_setting_stops_with_the_field_named() -> None:
    result = run("connector", "--port", "70000")
    assert result.returncode == 2
    assert "argument --port: 70000 is not a port (0 to 65535)" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_environment_setting_names_the_variable_field() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gridops", "connector"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"GRIDOPS_CONNECTOR_GRACE_SECONDS": "soon", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert "grace_seconds" in result.stderr


def test_an_unknown_exchange_is_refused_clearly() -> None:
    result = run("connector", "--exchange", "nosuchexchange", "--port", "0", "--no-metrics")
    assert result.returncode != 0
    assert "nosuchexchange" in result.stderr
