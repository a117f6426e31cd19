"""What the live server tells a human at INFO, and a busy port in one line."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

import aiohttp

from tests.support.live_server import LiveServerProcess
from tests.support.poll import wait_until

from .conftest import Stack


def _logged(live: LiveServerProcess, text: str) -> list[str]:
    return wait_until(lambda: [line for line in live.lines if text in line], message=text)


async def test_start_followed_market_makers_and_websocket_clients(stack: Stack) -> None:
    live = stack.live
    assert _logged(live, "live server on http://127.0.0.1:")
    following = _logged(live, "following market maker")[0]
    assert f"following market maker http://127.0.0.1:{stack.market_maker.port}" in following
    assert await asyncio.to_thread(_logged, live, f"connector {stack.connector.address} connected")

    async with aiohttp.ClientSession() as session, session.ws_connect(live.ws_url) as ws:
        await ws.receive()  # the hello: registered by now
        joined = await asyncio.to_thread(_logged, live, "WebSocket client 127.0.0.1 connected")
        assert "; 1 clients" in joined[0]
    left = await asyncio.to_thread(_logged, live, "WebSocket client 127.0.0.1 left after")
    assert "; 0 clients" in left[0]


def test_a_busy_port_is_one_line_naming_the_flag() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "gridops", "live-server", "--connector", "127.0.0.1:1",
             "--host", "127.0.0.1", "--port", str(port)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"gridops: HTTP port 127.0.0.1:{port} is already in use; choose another with --port"
    )
