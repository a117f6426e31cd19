"""The price history outlives a live-server restart (SIGTERM and kill -9) in its state dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridops.live_server.history import SUFFIX
from tests.support.live_server import LiveServerProcess
from tests.support.poll import wait_until

from .conftest import Stack


def _prices(live: LiveServerProcess) -> list[str]:
    code, body = live.get("/api/prices?symbol=BTC/USDT&limit=5000")
    assert code == 200, body
    return [p["price"] for p in body]


def _saved(directory: Path) -> str:
    files = list(directory.glob("*" + SUFFIX))
    return "".join(f.read_text() for f in files)


@pytest.mark.parametrize("stop", ["terminate", "kill"])
async def test_price_history_survives_a_restart(
    stack: Stack, tmp_path: Path, live_only: list[LiveServerProcess], stop: str
) -> None:
    state = tmp_path / "live-state"
    first = LiveServerProcess(stack.connector.address, state_dir=state)
    live_only.append(first.start())
    wait_until(lambda: first.get("/readyz")[0] == 200, message="live server ready")
    ticks = [f"{50100 + i}.5" for i in range(5)]
    for tick in ticks:
        await stack.sim.set_price("BTC/USDT", tick)
    wait_until(lambda: _prices(first)[-5:] == ticks, message="the ticks in the history")
    before = _prices(first)
    if stop == "kill":
        # kill -9 keeps what was written, at most a second behind: wait until it is.
        wait_until(lambda: ticks[-1] in _saved(state), message="the ticks written")
        first.kill()
    else:
        assert first.terminate() == 0  # the last queued lines are written on the way out

    second = LiveServerProcess(stack.connector.address, state_dir=state)
    live_only.append(second.start())
    # No new price yet: all it has is what the first one kept.
    assert _prices(second) == before
    await stack.sim.set_price("BTC/USDT", "50200")
    wait_until(lambda: _prices(second) == [*before, "50200"], message="history continued")


async def test_a_state_dir_in_use_is_refused_naming_the_flag(
    stack: Stack, tmp_path: Path, live_only: list[LiveServerProcess]
) -> None:
    state = tmp_path / "shared"
    live_only.append(LiveServerProcess(stack.connector.address, state_dir=state).start())
    second = LiveServerProcess(stack.connector.address, state_dir=state)
    live_only.append(second)
    with pytest.raises(AssertionError, match="exited with 2"):
        second.start()
    assert "--state-dir" in second.output
    assert "in use by another live server" in second.output
