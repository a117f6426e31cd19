"""`gridops operator` refuses to start with a clear message and exit code 2, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("KUBE", "GRIDOPS_"))}
    return subprocess.run(
        [sys.executable, "-m", "gridops", "operator", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_no_kubeconfig(tmp_path: Path) -> None:
    result = run({"HOME": str(tmp_path)})
    assert result.returncode == 2
    assert "no kubeconfig" in result.stderr
    assert str(tmp_path / ".kube" / "config") in result.stderr
    assert "Traceback" not in result.stderr


def test_a_broken_kubeconfig_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "kubeconfig"
    broken.write_text("clusters: [\n")
    result = run({"KUBECONFIG": str(broken)})
    assert result.returncode == 2
    assert f"cannot use the kubeconfig {broken}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_busy_liveness_port_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "kubeconfig"
    broken.write_text("{}\n")
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run({"KUBECONFIG": str(broken)}, "--liveness-port", str(port))
    assert result.returncode == 2
    assert f"liveness port {port} is not free" in result.stderr
    assert "--liveness-port" in result.stderr


def test_a_bad_setting_names_the_field(tmp_path: Path) -> None:
    result = run({"HOME": str(tmp_path), "GRIDOPS_OPERATOR_STATUS_INTERVAL": "-1"})
    assert result.returncode == 2
    assert "status_interval" in result.stderr
    assert "GRIDOPS_OPERATOR_" in result.stderr
