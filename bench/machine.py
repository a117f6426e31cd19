"""What the figures were measured on: recorded with every result."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
from google import protobuf

REPO = Path(__file__).resolve().parents[1]


def load_average() -> list[float]:
    """1, 5 and 15 minute load: the machine is shared, so say how busy it was."""
    return [round(x, 2) for x in os.getloadavg()]


def _git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except OSError:
        return ""
    dirty = ""
    if out.returncode == 0:
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        dirty = "+dirty" if status.stdout.strip() else ""
    return out.stdout.strip() + dirty


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def python_calibration_ms() -> float:
    """Best of 5 runs of a fixed pure-Python loop (about 35 ms on a quiet 2020s x86 core):
    tells a slow or oversubscribed CPU from slow code when comparing runs."""

    def loop() -> int:
        total = 0
        for i in range(1_000_000):
            total += i
        return total

    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        loop()
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


def machine_info() -> dict[str, Any]:
    uname = platform.uname()
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "grpcio": grpc.__version__,
        "protobuf": protobuf.__version__,
        "kernel": f"{uname.system} {uname.release}",
        "machine": uname.machine,
        "load_average": load_average(),
        "python_calibration_ms": python_calibration_ms(),
        "git": _git_revision(),
    }
