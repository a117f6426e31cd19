"""`gridops live-server` as a real child process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from .poll import wait_until

LISTENING = re.compile(r"live server on (http://[0-9.]+:\d+)")


class LiveServerProcess:
    def __init__(
        self, connector: str, market_makers: Sequence[str] = (), extra: Sequence[str] = ()
    ) -> None:
        self.connector = connector
        self.market_makers = list(market_makers)
        self.extra = list(extra)
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.lines: list[str] = []

    def start(self, timeout: float = 20.0) -> LiveServerProcess:
        command = [
            sys.executable, "-m", "gridops", "live-server", "--connector", self.connector,
            "--host", "127.0.0.1", "--port", "0", *self.extra,
        ]  # fmt: skip
        for url in self.market_makers:
            command += ["--market-maker", url]
        self.lines = []
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()

        def listening() -> str:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"live server exited {self.proc.returncode}:\n{self.output}")
            for line in self.lines:
                match = LISTENING.search(line)
                if match:
                    return match.group(1)
            return ""

        self.url = wait_until(listening, timeout=timeout, message="live server listening")
        return self

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

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

    def terminate(self, timeout: float = 10.0) -> int:
        assert self.proc is not None
        self.proc.terminate()
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
