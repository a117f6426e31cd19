"""`gridops live-server` as a real child process."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .process import ChildProcess

LISTENING = re.compile(r"live server on (http://[0-9.]+:\d+)")


class LiveServerProcess(ChildProcess):
    """A live server; its price history goes to `state_dir`, by default a directory of its
    own (removed at stop), so tests never share the default one under the temp dir."""

    def __init__(
        self,
        connector: str,
        market_makers: Sequence[str] = (),
        extra: Sequence[str] = (),
        state_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.connector = connector
        self.market_makers = list(market_makers)
        self.extra = list(extra)
        self.url = ""
        self._own_dir = state_dir is None
        self.state_dir = state_dir or Path(tempfile.mkdtemp(prefix="gridops-live-test-"))

    def start(self, timeout: float = 20.0, env: dict[str, str] | None = None) -> LiveServerProcess:
        args = [
            "live-server", "--connector", self.connector, "--host", "127.0.0.1", "--port", "0",
            "--state-dir", str(self.state_dir), *self.extra,
        ]  # fmt: skip
        for url in self.market_makers:
            args += ["--market-maker", url]

        def listening() -> str:
            return next((m.group(1) for m in map(LISTENING.search, self.lines) if m), "")

        self.url = self._spawn(args, listening, env=env, timeout=timeout, what="live server")
        return self

    def stop(self) -> None:
        super().stop()
        if self._own_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/ws"

    def get(self, path: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as response:
                body = response.read()
                kind = response.headers.get("Content-Type", "")
                return response.status, json.loads(body) if "json" in kind else body.decode()
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def post(
        self, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any, str]:
        """POST `body` as JSON; (status, the answer's JSON or text, its content type)."""
        data = json.dumps(body).encode() if body is not None else b""
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, raw = response.status, response.read()
                kind = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
            kind = error.headers.get("Content-Type", "")
        return status, json.loads(raw) if "json" in kind else raw.decode(), kind
