"""`gridops market-maker` as a real child process, and its HTTP status."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from .poll import wait_until

HTTP = re.compile(r"http port (\d+)")


def write_config(path: Path, **fields: Any) -> Path:
    """A strategy config file; `fields` are merged over a small long grid."""
    config: dict[str, Any] = {
        "name": "t-grid",
        "symbol": "BTC/USDT",
        "grid": {"mode": "long", "priceInterval": "50", "orderQuantity": "0.001",
                 "buyWindow": 5, "sellWindow": 5},
        "risk": {"maxMovePercent": "5", "moveWindowSeconds": 1, "cooldownSeconds": 300,
                 "staleDataSeconds": 3600},
        "engine": {"type": "durable", "dataDir": str(path.parent)},
    }  # fmt: skip
    for key, value in fields.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    path.write_text(yaml.safe_dump(config))
    return path


class MarketMakerProcess:
    def __init__(self, config: Path, connector: str, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.connector = connector
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0
        self.lines: list[str] = []

    def start(self, env: dict[str, str] | None = None, timeout: float = 20.0) -> MarketMakerProcess:
        self.lines = []
        command = [
            sys.executable, "-m", "gridops", "market-maker", "--config", str(self.config),
            "--connector", self.connector, "--http-host", "127.0.0.1", "--http-port", "0",
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**self.env, **(env or {})},
        )
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()

        def bound() -> int:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"market maker exited {self.proc.returncode}:\n{self.output}")
            for line in self.lines:
                match = HTTP.search(line)
                if match:
                    return int(match.group(1))
            return 0

        self.port = wait_until(bound, timeout=timeout, message="market maker HTTP up")
        return self

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def get(self, path: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
                body = r.read()
                return r.status, json.loads(body) if path != "/metrics" else body.decode()
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def post(self, path: str) -> int:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)

    def status(self) -> dict[str, Any]:
        code, body = self.get("/status")
        assert code == 200, body
        assert isinstance(body, dict)
        return body

    def wait_status(self, check: Any, timeout: float = 15.0, message: str = "") -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"market maker exited {self.proc.returncode}:\n{self.output}")
            document = self.status()
            return document if check(document) else None

        result = wait_until(probe, timeout=timeout, interval=0.05, message=message or "status")
        assert result is not None
        return result

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def wait_exit(self, timeout: float = 20.0) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)

    def terminate(self, timeout: float = 10.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
