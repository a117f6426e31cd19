"""`gridops demo` as a user runs it: everything healthy, Ctrl-C leaves no process behind."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

from tests.support.poll import wait_until


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes; only a running process counts.
    state = (
        Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}").exists() else "X"
    )
    return state not in ("Z", "X")


def _get(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=2) as response:
        document = json.loads(response.read())
        assert isinstance(document, dict)
        return document


def test_demo_starts_everything_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    connector, mm, live, metrics = _free_ports(4)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridops", "demo", "--data-dir", str(tmp_path),
         "--connector-port", str(connector), "--market-maker-port", str(mm),
         "--live-port", str(live), "--metrics-port", str(metrics)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")),  # type: ignore[union-attr]
                     daemon=True).start()  # fmt: skip
    try:
        wait_until(
            lambda: any("Press Ctrl-C" in line for line in lines) or proc.poll() is not None,
            timeout=90,
            message="demo up",
        )
        output = "".join(lines)
        assert proc.poll() is None, output
        assert f"dashboard http://127.0.0.1:{live}/" in output
        pids = [int(p) for p in re.findall(r"pid (\d+)", output)]
        assert len(pids) == 3

        status = _get(f"http://127.0.0.1:{mm}/status")
        assert status["synced"] is True
        assert status["engine"] == "durable"
        live_status = _get(f"http://127.0.0.1:{live}/api/status")
        assert live_status["connector"]["connected"] is True  # type: ignore[index]
        page = urllib.request.urlopen(f"http://127.0.0.1:{live}/", timeout=2).read()
        assert b"<html" in page.lower()
        assert (tmp_path / "btc-demo.db").exists()

        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert proc.wait(timeout=30) == 0
        assert "gridops demo: stopped" in "".join(lines)
        left = [pid for pid in pids if _alive(pid)]
        assert not left, f"processes left behind: {left}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
