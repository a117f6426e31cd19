"""The venue's own processes: request weight (429, then 418), SIGKILL and restart."""

from __future__ import annotations

import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt.pro
import pytest

from gridops.client import SimulatorClient
from tests.support.venue import VenueProcess, audit_problems, binance_for

from .conftest import SIM_CONFIG


async def test_over_the_weight_budget_is_429_then_a_ban(tmp_path: Path) -> None:
    venue = VenueProcess(tmp_path, extra=["--weight-limit", "60", "--ban-seconds", "5"]).start()
    # no client-side throttling: this client hammers on purpose
    exchange = binance_for(venue, enableRateLimit=False)
    sim = SimulatorClient(venue.grpc_address)
    try:
        await exchange.load_markets()  # exchangeInfo 20 + margin lists 2
        with pytest.raises(ccxt.DDoSProtection) as first:
            await _hammer(exchange.fetch_balance, "429")  # 20 each
        assert "429" in str(first.value)
        stats = await sim.get_stats()
        assert stats.rate_limited == 1
        assert stats.banned == 0
        with pytest.raises(ccxt.DDoSProtection) as banned:
            await _hammer(exchange.fetch_time, "418")
        assert "IP banned until" in str(banned.value)
        assert (await sim.get_stats()).banned >= 1
    finally:
        await exchange.close()
        await sim.close()
        venue.stop()


async def _hammer(call: Any, status: str) -> None:
    """Call until ccxt raises for `status` (100 calls at most)."""
    for _ in range(100):
        try:
            await call()
        except ccxt.DDoSProtection as error:
            if status in str(error):
                raise


async def test_too_many_new_orders_is_429_1015(tmp_path: Path) -> None:
    venue = VenueProcess(tmp_path, extra=["--order-limit", "3"]).start()
    exchange = binance_for(venue)
    sim = SimulatorClient(venue.grpc_address)
    try:
        await exchange.load_markets()
        for n in range(3):
            await exchange.create_order("BTC/USDT", "limit", "buy", 0.001, 40000 + n)
        assert exchange.last_response_headers["X-MBX-ORDER-COUNT-10S"] in ("1", "2", "3")
        with pytest.raises(ccxt.DDoSProtection, match="-1015"):
            await exchange.create_order("BTC/USDT", "limit", "buy", 0.001, 40100)
        assert (await sim.get_stats()).rate_limited >= 1
    finally:
        await exchange.close()
        await sim.close()
        venue.stop()


async def test_a_paced_client_is_never_limited(tmp_path: Path) -> None:
    venue = VenueProcess(tmp_path).start()
    exchange = binance_for(venue)  # ccxt's own limiter on, Binance's weights
    sim = SimulatorClient(venue.grpc_address)
    try:
        await exchange.load_markets()
        # The used-weight header counts the current minute only: a run that crosses a
        # minute boundary (more likely on a busy machine) sees it start again. Add it up.
        spent, last = 0, 0

        def count() -> None:
            nonlocal spent, last
            used = int(exchange.last_response_headers["X-MBX-USED-WEIGHT-1M"])
            spent += used - last if used >= last else used
            last = used

        count()
        for _ in range(20):
            await exchange.fetch_open_orders("BTC/USDT")
            count()
            await exchange.fetch_balance()
            count()
        stats = await sim.get_stats()
        assert (stats.rate_limited, stats.banned) == (0, 0)
        assert spent > 400
    finally:
        await exchange.close()
        await sim.close()
        venue.stop()


async def test_sigkill_loses_no_acknowledged_order_balance_or_fill(tmp_path: Path) -> None:
    venue = VenueProcess(tmp_path, sim_config=SIM_CONFIG).start()
    exchange = binance_for(venue)
    try:
        await exchange.load_markets()
        sim = SimulatorClient(venue.grpc_address)
        resting = await exchange.create_order(
            "BTC/USDT", "limit", "buy", 0.01, 40000, {"newClientOrderId": "keep-1"}
        )
        await exchange.create_order(
            "BTC/USDT", "limit", "sell", 0.02, 55000, {"newClientOrderId": "keep-2"}
        )
        await sim.fill_order("keep-2", "0.01")
        await sim.set_balances({"ETH": "7"})
        canceled = await exchange.create_order(
            "ETH/USDT", "limit", "buy", 1, 2000, {"newClientOrderId": "keep-3"}
        )
        await exchange.cancel_order(canceled["id"], "ETH/USDT")
        balance_before = (await exchange.fetch_balance())["info"]["balances"]
        audit_before = await sim.get_audit_log()
        await sim.close()

        venue.kill()
        venue.restart()
        await exchange.close()
        exchange = binance_for(venue)
        await exchange.load_markets()
        sim = SimulatorClient(venue.grpc_address)

        open_ids = {o["clientOrderId"]: o for o in await exchange.fetch_open_orders("BTC/USDT")}
        assert set(open_ids) == {"keep-1", "keep-2"}
        assert open_ids["keep-1"]["id"] == resting["id"]
        assert open_ids["keep-2"]["filled"] == 0.01
        assert (await exchange.fetch_balance())["info"]["balances"] == balance_before
        trades = await exchange.fetch_my_trades("BTC/USDT")
        assert [Decimal(t["info"]["qty"]) for t in trades] == [Decimal("0.01")]
        gone = await exchange.fetch_order(canceled["id"], "ETH/USDT")
        assert gone["status"] == "canceled"
        audit_after = await sim.get_audit_log()
        assert audit_problems(audit_after) == []
        assert [(e.kind, e.client_order_id, e.quantity) for e in audit_after] == [
            (e.kind, e.client_order_id, e.quantity) for e in audit_before
        ]
        # the venue trades on where it stopped: new ids continue, fills go on
        more = await exchange.create_order(
            "BTC/USDT", "limit", "buy", 0.01, 40500, {"newClientOrderId": "keep-4"}
        )
        assert int(more["id"]) > int(resting["id"])
        await sim.close()
    finally:
        await exchange.close()
        venue.stop()


def test_bad_flags_and_files_exit_2(tmp_path: Path) -> None:
    keys = tmp_path / "keys.yaml"
    keys.write_text("k: s\n")
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("- just\n- a list\n")
    cases: list[tuple[list[str], str]] = [
        (["--keys", str(tmp_path / "missing.yaml")], "--keys"),
        (["--keys", str(bad_yaml)], "--keys"),
        (["--keys", str(keys), "--port", "99999"], "--port"),
        (["--keys", str(keys), "--grpc-port", "x"], "--grpc-port"),
        (["--keys", str(keys), "--weight-limit", "0"], "--weight-limit"),
        (["--keys", str(keys), "--sim-config", str(bad_yaml)], "--sim-config"),
        (["--keys", str(keys), "--state", str(bad_yaml)], "--state"),
    ]
    for args, flag in cases:
        done = subprocess.run(
            [sys.executable, "-m", "gridops", "venue", "--host", "127.0.0.1", "--port", "0",
             "--grpc-port", "0", *args],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert done.returncode == 2, (args, done.stderr)
        assert flag in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr


def test_a_busy_port_exits_2_naming_its_flag(tmp_path: Path) -> None:
    keys = tmp_path / "keys.yaml"
    keys.write_text("k: s\n")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = str(busy.getsockname()[1])
        for flag in ("--port", "--grpc-port"):
            other = "--grpc-port" if flag == "--port" else "--port"
            done = subprocess.run(
                [sys.executable, "-m", "gridops", "venue", "--host", "127.0.0.1", "--keys",
                 str(keys), flag, taken, other, "0"],
                capture_output=True, text=True, timeout=30,
            )  # fmt: skip
            assert done.returncode == 2, done.stderr
            assert f"is already in use; choose another with {flag}" in done.stderr


async def test_sigterm_with_a_websocket_open_stops_at_once_and_frees_the_state(
    tmp_path: Path,
) -> None:
    # A pod scaled down or replaced: its successor needs the state file, which the venue
    # holds until it has exited (a connector's streams used to keep it a minute).
    import time

    import aiohttp

    venue = VenueProcess(tmp_path, sim_config=SIM_CONFIG).start()
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"{venue.ws_url}/ws/btcusdt@bookTicker") as ws,
        ):
            assert not ws.closed
            started = time.monotonic()
            code = venue.terminate(timeout=20)
            stopped = time.monotonic() - started
            assert code == 0
            assert stopped < 5, f"the venue took {stopped:.1f}s to stop"
            message = await ws.receive(timeout=5)
            while message.type is aiohttp.WSMsgType.TEXT:  # the snapshot sent on joining
                message = await ws.receive(timeout=5)
            assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        successor = VenueProcess(tmp_path, sim_config=SIM_CONFIG).start()
        successor.stop()
    finally:
        venue.stop()
