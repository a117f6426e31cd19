"""Servers under test run in their own process, so they never share the load generator's
event loop or GIL: otherwise we would measure the two fighting over one core."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from .server import rss_kb

REPO = Path(__file__).resolve().parents[1]
_CLI_SERVING = re.compile(r"serving on [^ ]*:(\d+)")


class ServerProcess:
    """A child server process; `address` once started. Use as a context manager.

    kind "cli" is the product command itself (`python -m gridops connector`);
    "connector" and "echo" are bench.server modes (see there).
    """

    def __init__(self, kind: str, extra: Sequence[str] = (), uvloop: bool = False) -> None:
        self.kind = kind
        self.extra = list(extra)
        self.uvloop = uvloop
        self.port = 0
        self.proc: subprocess.Popen[str] | None = None
        self.stderr: list[str] = []
        self._lock = threading.Lock()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def _command(self) -> list[str]:
        if self.kind == "cli":
            return [
                sys.executable, "-m", "gridops", "connector", "--exchange", "sim",
                "--sim-tick-seconds", "0", "--no-metrics", "--port", "0",
                "--host", "127.0.0.1", *self.extra,
            ]  # fmt: skip
        command = [sys.executable, "-m", "bench.server", "--mode", self.kind, *self.extra]
        return [*command, "--uvloop"] if self.uvloop else command

    def start(self, timeout: float = 30.0) -> ServerProcess:
        self.proc = subprocess.Popen(
            self._command(),
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        deadline = time.monotonic() + timeout
        if self.kind == "cli":
            while not self.port:
                self._check_alive(deadline)
                for line in list(self.stderr):
                    match = _CLI_SERVING.search(line)
                    if match:
                        self.port = int(match.group(1))
                time.sleep(0.02)
        else:
            assert self.proc.stdout is not None
            line = self.proc.stdout.readline()
            if not line.startswith("BENCH-PORT "):
                self._check_alive(0)
                raise RuntimeError(f"bench server said {line!r}")
            self.port = int(line.split()[1])
        return self

    def _drain_stderr(self) -> None:
        assert self.proc is not None
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def _check_alive(self, deadline: float) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None or time.monotonic() > deadline:
            self.stop()
            raise RuntimeError(
                f"{self.kind} server did not start (exit {self.proc.returncode}):\n"
                + "".join(self.stderr[-30:])
            )

    def control(self, command: dict[str, Any]) -> dict[str, Any]:
        """One control command to a bench.server (blocking: call it in a thread)."""
        assert self.proc is not None
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        with self._lock:
            self.proc.stdin.write(json.dumps(command) + "\n")
            self.proc.stdin.flush()
            reply: dict[str, Any] = json.loads(self.proc.stdout.readline())
        return reply

    async def acontrol(self, command: dict[str, Any]) -> dict[str, Any]:
        return await asyncio.to_thread(self.control, command)

    def rss_kb(self) -> int:
        return rss_kb(self.pid)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server so far (from /proc/<pid>/stat)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            if self.kind != "cli" and self.proc.stdin is not None:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
            else:
                self.proc.terminate()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(timeout=10)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
