"""A throwaway PostgreSQL server for the tests: its own data dir, port and lifetime.

The `postgres_server` fixture (session scope) runs initdb into a temporary directory and
starts the server on a free port of 127.0.0.1; `PostgresServer.new_database()` gives each
test an empty database of its own. PostgreSQL refuses to run as root, so as root the
server runs as the `postgres` OS user that Debian's package creates.

Without the binaries the fixture fails (it does not skip): run hack/postgres.sh.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import psycopg
import pytest

INSTALL_HINT = "run hack/postgres.sh to install PostgreSQL"
BINARY_GLOB = "/usr/lib/postgresql/*/bin"
OS_USER = "postgres"
SUPERUSER = "postgres"

# Test data is throwaway: skip the fsyncs. Latency measurements pass durable settings.
FAST: Mapping[str, str] = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def find_bindir() -> Path | None:
    """The newest installed PostgreSQL's bin directory."""

    def version(path: Path) -> tuple[int, ...]:
        number = path.parent.name
        return tuple(int(part) for part in number.split(".") if part.isdigit())

    found = [Path(p) for p in Path("/").glob(BINARY_GLOB.lstrip("/"))]
    found = [p for p in found if (p / "initdb").is_file() and (p / "pg_ctl").is_file()]
    return max(found, key=version) if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PostgresServer:
    def __init__(self, bindir: Path, settings: Mapping[str, str] = FAST) -> None:
        self.bindir = bindir
        self.settings = dict(settings)
        self.root = Path(tempfile.mkdtemp(prefix="gridops-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self._names = itertools.count(1)
        self._run_as: dict[str, Any] = {}
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam(OS_USER)
            except KeyError:
                pytest.fail(f"no {OS_USER!r} OS user to run PostgreSQL as: {INSTALL_HINT}")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._run_as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}

    def start(self) -> PostgresServer:
        self._run(
            "initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
            "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions",
        )  # fmt: skip
        options = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.root),
            **self.settings,
        }
        # A free port can be taken between the probe and the bind: try a few.
        for _ in range(3):
            self.port = _free_port()
            flags = [f"-p {self.port}", *(f"-c {key}={value}" for key, value in options.items())]
            started = self._run(
                "pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w",
                "-t", "60", "-o", " ".join(flags), check=False,
            )  # fmt: skip
            if started.returncode == 0:
                return self
        log = self.log.read_text() if self.log.exists() else ""
        pytest.fail(f"PostgreSQL did not start:\n{started.stdout}\n{log}")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """An empty database; its SQLAlchemy URL."""
        name = f"test_{next(self._names)}"
        with psycopg.connect(self.url(driver="postgresql"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command: Sequence[str] = [str(self.bindir / tool), *args]
        result = subprocess.run(
            command,
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
            check=False,
            **self._run_as,
        )
        if check and result.returncode != 0:
            pytest.fail(f"{tool} failed ({result.returncode}):\n{result.stdout}")
        return result


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = find_bindir()
    if bindir is None:
        pytest.fail(f"PostgreSQL binaries not found under {BINARY_GLOB}: {INSTALL_HINT}")
    server = PostgresServer(bindir)
    try:
        yield server.start()
    finally:
        server.stop()
