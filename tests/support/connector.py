"""A connector in the test process (port 0) or as a real child process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from gridops.connector.server import ConnectorServer
from gridops.connector.settings import ConnectorSettings
from gridops.connector.sim.adapter import SimAdapter
from gridops.connector.sim.settings import SimSettings

from .poll import wait_until

SERVING = re.compile(r"serving on [^ ]*:(\d+), session ([0-9a-f]+)")


@asynccontextmanager
async def running_connector(
    sim: SimSettings | None = None, **settings: Any
) -> AsyncIterator[ConnectorServer]:
    """A connector on 127.0.0.1 with a free port, the sim exchange without a price walk."""
    defaults: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "metrics_host": "127.0.0.1",
        "metrics_port": 0,
        "grace_seconds": 1.0,
    }
    defaults.update(settings)
    adapter = SimAdapter(sim or SimSettings(tick_interval=0))
    server = ConnectorServer(adapter, ConnectorSettings(**defaults))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


class ConnectorProcess:
    """`gridops connector` as a child process: killable for real (SIGKILL, SIGTERM)."""

    def __init__(self, port: int = 0, extra: Sequence[str] = (), env: dict[str, str] | None = None):
        self.port = port
        self.extra = list(extra)
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[str] | None = None
        self.session_id = ""
        self.lines: list[str] = []
        self._reader: threading.Thread | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> ConnectorProcess:
        self.lines = []
        command = [
            sys.executable, "-m", "gridops", "connector", "--exchange", "sim",
            "--host", "127.0.0.1", "--port", str(self.port), "--no-metrics",
            "--sim-tick-seconds", "0", "--grace-seconds", "2", *self.extra,
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            cwd=Path(__file__).resolve().parents[2],
        )
        self._reader = threading.Thread(target=self._read, args=(self.proc,), daemon=True)
        self._reader.start()

        def serving() -> re.Match[str] | None:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"connector exited with {self.proc.returncode}:\n" + "".join(self.lines)
                )
            for line in self.lines:
                match = SERVING.search(line)
                if match:
                    return match
            return None

        match = wait_until(serving, timeout=timeout, message="connector serving")
        assert match is not None
        self.port = int(match.group(1))
        self.session_id = match.group(2)
        return self

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self.lines.append(line)

    def kill(self) -> None:
        """SIGKILL: no cleanup, no goodbye; like a crashed pod."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate(self, timeout: float = 10.0) -> int:
        """SIGTERM and wait; returns the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self._reader is not None:
            self._reader.join(timeout=5)

    @property
    def output(self) -> str:
        return "".join(self.lines)
