"""A gridops command as a real child process: stderr collected, killable for real."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from .poll import wait_until

T = TypeVar("T")


class ChildProcess:
    """Base of the connector, market-maker and live-server process helpers."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.lines: list[str] = []

    def _spawn(
        self,
        args: Sequence[str],
        ready: Callable[[], T],
        *,
        env: dict[str, str] | None = None,
        timeout: float = 20.0,
        what: str = "process",
    ) -> T:
        """Start `python -m gridops <args>` and wait until `ready()` returns something."""
        self.lines = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gridops", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()

        def check() -> T:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"{what} exited with {self.proc.returncode}:\n{self.output}")
            return ready()

        return wait_until(check, timeout=timeout, message=f"{what} ready")

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

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

    def wait_exit(self, timeout: float = 20.0) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
