"""`gridops market-maker` as a real child process, and its HTTP status."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .poll import wait_until
from .process import ChildProcess

HTTP = re.compile(r"http port (\d+)")


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


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


class MarketMakerProcess(ChildProcess):
    def __init__(self, config: Path, connector: str) -> None:
        super().__init__()
        self.config = config
        self.connector = connector
        self.port = 0

    def start(
        self,
        env: dict[str, str] | None = None,
        timeout: float = 20.0,
        extra: Sequence[str] = (),
    ) -> MarketMakerProcess:
        args = [
            "market-maker", "--config", str(self.config), "--connector", self.connector,
            "--http-host", "127.0.0.1", "--http-port", "0", *extra,
        ]  # fmt: skip

        def bound() -> int:
            return next((int(m.group(1)) for m in map(HTTP.search, self.lines) if m), 0)

        self.port = self._spawn(args, bound, env=env, timeout=timeout, what="market maker")
        return self

    def get(self, path: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
                body = r.read()
                return r.status, json.loads(body) if path != "/metrics" else body.decode()
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def post(self, path: str, token: str | None = None) -> int:
        """POST, with `authorization: Bearer <token>` when given; raises on 4xx/5xx."""
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", method="POST", headers=headers
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)

    def request(self, method: str, path: str, headers: dict[str, str] | None = None) -> Reply:
        """Any request; the reply whatever its status."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", method=method, headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return Reply(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Reply(error.code, dict(error.headers), error.read())

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
