"""`gridops live-server` as a real child process."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from .process import ChildProcess

LISTENING = re.compile(r"live server on (http://[0-9.]+:\d+)")


class LiveServerProcess(ChildProcess):
    def __init__(
        self, connector: str, market_makers: Sequence[str] = (), extra: Sequence[str] = ()
    ) -> None:
        super().__init__()
        self.connector = connector
        self.market_makers = list(market_makers)
        self.extra = list(extra)
        self.url = ""

    def start(self, timeout: float = 20.0) -> LiveServerProcess:
        args = [
            "live-server", "--connector", self.connector, "--host", "127.0.0.1", "--port", "0",
            *self.extra,
        ]  # fmt: skip
        for url in self.market_makers:
            args += ["--market-maker", url]

        def listening() -> str:
            return next((m.group(1) for m in map(LISTENING.search, self.lines) if m), "")

        self.url = self._spawn(args, listening, timeout=timeout, what="live server")
        return self

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
