"""`gridops demo` as a real child process on free ports, its output collected."""

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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .poll import wait_until

FLAGS = ("--connector-port", "--market-maker-port", "--live-port", "--metrics-port")


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes; only a running process counts.
    stat = Path(f"/proc/{pid}/stat")
    state = stat.read_text().split()[2] if stat.exists() else "X"
    return state not in ("Z", "X")


class DemoProcess:
    def __init__(self, data_dir: Path, extra: Sequence[str] = ()) -> None:
        self.data_dir = data_dir
        self.extra = list(extra)
        ports = free_ports(4)
        self.ports = dict(zip(FLAGS, ports, strict=True))
        self.proc: subprocess.Popen[str] | None = None
        self.lines: list[str] = []

    @property
    def connector(self) -> str:
        return f"127.0.0.1:{self.ports['--connector-port']}"

    @property
    def market_maker(self) -> str:
        return f"http://127.0.0.1:{self.ports['--market-maker-port']}"

    @property
    def live(self) -> str:
        return f"http://127.0.0.1:{self.ports['--live-port']}"

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def start(self) -> DemoProcess:
        args = [arg for flag, port in self.ports.items() for arg in (flag, str(port))]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gridops", "demo", "--data-dir", str(self.data_dir),
             *args, *self.extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()
        return self

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.lines.append(line)

    def wait_up(self, timeout: float = 90.0) -> None:
        assert self.proc is not None
        wait_until(
            lambda: "Press Ctrl-C" in self.output or self.proc.poll() is not None,  # type: ignore[union-attr]
            timeout=timeout,
            message="demo up",
        )
        assert self.proc.poll() is None, self.output

    def wait_line(self, pattern: str, timeout: float = 60.0) -> re.Match[str]:
        regex = re.compile(pattern)

        def found() -> re.Match[str] | None:
            return next(filter(None, map(regex.search, list(self.lines))), None)

        match = wait_until(found, timeout=timeout, message=f"a line matching {pattern!r}")
        assert match is not None
        return match

    def pid_of(self, child: str) -> int:
        return int(self.wait_line(rf"started {child} \(pid (\d+)\)").group(1))

    def status(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.market_maker + "/status", timeout=5) as response:
            document = json.loads(response.read())
        assert isinstance(document, dict)
        return document

    def interrupt(self, timeout: float = 30.0) -> int:
        """Ctrl-C, and the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=timeout)

    def wait_exit(self, timeout: float = 60.0) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        """Leave nothing behind, whatever the test did: the demo, then its children."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pid in (int(p) for p in re.findall(r"\(pid (\d+)\)", self.output)):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
