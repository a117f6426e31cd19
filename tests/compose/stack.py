"""A Compose project of the repository's compose.yaml, isolated for one test session.

Its own project name and free published ports, so it never touches a stack a user runs;
`docker compose` drives it exactly as docs/operations.md tells a user to.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

REPO_ROOT = Path(__file__).resolve().parents[2]
HINT = "run `make compose-images` (Docker, Docker Compose v2 and the images) first"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def poll(what: str, check: Callable[[], T | None], timeout: float, every: float = 0.5) -> T:
    """`check()`'s first non-None result; AssertionError naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            result = check()
        except (OSError, urllib.error.URLError, ValueError, KeyError) as error:
            result, last_error = None, error
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s (last error: {last_error})")
        time.sleep(every)


@dataclass
class Stack:
    project: str
    dashboard_port: int
    prometheus_port: int
    files: tuple[str, ...] = ("compose.yaml",)
    profiles: tuple[str, ...] = ("monitoring",)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "GRIDOPS_DASHBOARD_PORT": str(self.dashboard_port),
            "GRIDOPS_PROMETHEUS_PORT": str(self.prometheus_port),
        }

    def compose(
        self, *args: str, timeout: float = 180, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        command = ["docker", "compose", "-p", self.project]
        for file in self.files:
            command += ["-f", file]
        for profile in self.profiles:
            command += ["--profile", profile]
        done = subprocess.run(
            [*command, *args],
            cwd=REPO_ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"docker compose {' '.join(args)} exited {done.returncode}:\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done

    def logs(self, service: str = "") -> str:
        done = self.compose("logs", "--no-color", *([service] if service else []), check=False)
        return done.stdout[-8000:]

    # -- what a user reaches: the dashboard's API and Prometheus, both published ---------

    def api(self, path: str) -> Any:
        url = f"http://127.0.0.1:{self.dashboard_port}{path}"
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.load(response)

    def prometheus(self, path: str) -> Any:
        url = f"http://127.0.0.1:{self.prometheus_port}{path}"
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.load(response)

    def query(self, expr: str) -> list[dict[str, Any]]:
        body = self.prometheus("/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    # -- inside a container: the market maker publishes nothing -------------------------

    def inside(self, service: str, url: str) -> str:
        """GET `url` from inside `service`'s container (its own python, no curl there)."""
        code = (
            "import sys, urllib.request; "
            "sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())"
        )
        return self.compose("exec", "-T", service, "python", "-c", code, url, timeout=30).stdout
