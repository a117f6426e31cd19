"""The store lease's crash fast path, on real SQLite and real PostgreSQL, with real signals.

A holder process keeps a lock that dies with it (a flock, a PostgreSQL session advisory
lock): a successor gets that lock at once after SIGKILL, so it need not wait the lease
out; a frozen (SIGSTOP) holder keeps it, so the successor must wait for expiry.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gridops.market_maker.domain.lease import taken
from gridops.market_maker.writer.store_lease import StoreLease
from tests.support import postgres
from tests.support.poll import wait_until

postgres_server = postgres.postgres_server

HOLDER = """
import sys, time
from datetime import UTC, datetime
from gridops.market_maker.domain.lease import taken
from gridops.market_maker.writer.store_lease import StoreLease
lease = StoreLease(sys.argv[1], "btc")
assert lease.try_lock()
record, version = lease.read()
assert lease.write(taken(record, "holder", 60, datetime.now(UTC), True), version)
print("held", flush=True)
time.sleep(600)
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    server: postgres.PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()


@pytest.fixture
def holder(url: str) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "held"
    yield process
    process.kill()
    process.wait(timeout=10)


def test_a_killed_holders_lock_is_free_at_once_a_frozen_ones_is_not(
    url: str, holder: subprocess.Popen[str]
) -> None:
    successor = StoreLease(url, "btc")
    try:
        record, _ = successor.read()
        assert record is not None
        assert record.holder == "holder"
        assert record.locked
        assert not successor.try_lock()

        holder.send_signal(signal.SIGSTOP)
        assert not successor.try_lock()  # frozen is not dead

        holder.send_signal(signal.SIGCONT)
        holder.kill()
        holder.wait(timeout=10)
        assert wait_until(successor.try_lock, timeout=10, message="the dead holder's lock")
        # And the lease is then the successor's to take, long before it would expire.
        record, version = successor.read()
        assert successor.write(taken(record, "successor", 60, datetime.now(UTC), True), version)
    finally:
        successor.close()


def test_two_takers_of_one_version_never_both_win(url: str) -> None:
    first, second = StoreLease(url, "eth"), StoreLease(url, "eth")
    try:
        now = datetime.now(UTC)
        record, version = first.read()
        assert record is None
        assert first.write(taken(None, "a", 10, now, False), version)
        assert not second.write(taken(None, "b", 10, now, False), version)
        current, version = second.read()
        assert current is not None
        assert current.holder == "a"
        assert second.write(taken(current, "b", 10, now, False), version)
        assert not first.write(taken(current, "a", 10, now, False), version)
    finally:
        first.close()
        second.close()
