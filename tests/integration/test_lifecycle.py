"""Server start/stop/shutdown in process, and real processes killed (seed §3.2, §4.1)."""

from __future__ import annotations

import asyncio
import socket
import time
from decimal import Decimal
from pathlib import Path

from gridops.client import ConnectorClient, Disconnected, Resync, ResyncReason, SimulatorClient
from gridops.models import Account, Ticker
from tests.support.connector import ConnectorProcess, running_connector
from tests.support.streams import Recorder


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


async def test_start_binds_and_stop_releases_the_port() -> None:
    async with running_connector() as server:
        assert server.port > 0
        assert not _port_free(server.port)
        client = await ConnectorClient.connect(server.address)
        assert (await client.get_info()).session_id == server.session_id
        await client.close()
        port = server.port
    assert _port_free(port)


async def test_shutdown_with_active_clients_tells_them_and_double_stop_is_harmless() -> None:
    baseline = {t for t in asyncio.all_tasks() if not t.done()}
    async with running_connector() as server:
        client = await ConnectorClient.connect(server.address)
        rec: Recorder[Account] = Recorder(client.subscribe_account())
        await rec.wait_updates(1)
        await server.stop()
        await rec.wait_for(Disconnected)
        await server.stop()  # and once more on leaving the block
        first = rec.of(Disconnected)[0]
        assert isinstance(first, Disconnected)
        assert "shutting down" in str(first.error)
        await rec.stop()
        await client.close()
    # Nothing the server started is left running.
    leftover = {t for t in asyncio.all_tasks() if not t.done()} - baseline
    current = asyncio.current_task()
    if current is not None:
        leftover.discard(current)
    assert not leftover, leftover


async def test_reconnects_after_the_connector_is_killed_and_restarted(
    connector_process: ConnectorProcess,
) -> None:
    connector_process.start()
    first_session = connector_process.session_id
    client = await ConnectorClient.connect(connector_process.address)
    rec: Recorder[Ticker] = Recorder(client.subscribe_prices(["BTC/USDT"]))
    await rec.wait_updates(1)

    connector_process.kill()
    await rec.wait_for(Disconnected)
    connector_process.start()  # the same port again
    assert connector_process.session_id != first_session
    await rec.wait_for(Resync)
    resync = rec.of(Resync)[0]
    assert isinstance(resync, Resync)
    assert resync.reason is ResyncReason.SESSION_CHANGED
    assert (resync.previous_session_id, resync.session_id) == (
        first_session,
        connector_process.session_id,
    )
    async with SimulatorClient(connector_process.simulator_address) as sim:
        await sim.set_price("BTC/USDT", "45678")
    await rec.wait_updates(3)  # the snapshot of the new session, then the move

    async def moved() -> bool:
        return rec.values[-1].price == Decimal("45678")

    from tests.support.poll import eventually

    await eventually(moved)
    assert rec.updates[-1].session_id == connector_process.session_id
    assert client.session_id == connector_process.session_id
    await rec.stop()
    await client.close()


async def test_sigterm_ends_streams_and_exits_within_the_grace_period(
    connector_process: ConnectorProcess,
) -> None:
    connector_process.start()
    client = await ConnectorClient.connect(connector_process.address)
    rec: Recorder[Account] = Recorder(client.subscribe_account())
    await rec.wait_updates(1)
    started = time.monotonic()
    code = connector_process.terminate(timeout=10)
    elapsed = time.monotonic() - started
    assert code == 0, connector_process.output
    assert elapsed < 2 + 3, f"took {elapsed:.1f}s for a 2 s grace"
    await rec.wait_for(Disconnected)
    first = rec.of(Disconnected)[0]
    assert isinstance(first, Disconnected)
    assert "shutting down" in str(first.error)
    assert "connector stopped" in connector_process.output
    await rec.stop()
    await client.close()


async def test_sim_state_file_outlives_a_killed_connector(tmp_path: Path) -> None:
    from gridops.models import OrderRequest, OrderStatus, Side

    process = ConnectorProcess(extra=["--sim-state", str(tmp_path / "exchange.json")])
    try:
        process.start()
        async with await ConnectorClient.connect(process.address) as client:
            await client.place_order(
                OrderRequest("keep-1", "BTC/USDT", Side.BUY, Decimal("40000"), Decimal("0.001"))
            )
        async with SimulatorClient(process.address) as sim:
            await sim.set_price("BTC/USDT", "41000")
        process.kill()
        process.start()
        async with await ConnectorClient.connect(process.address) as client:
            kept = await client.get_order(client_order_id="keep-1")
            assert kept.status is OrderStatus.NEW
            assert (await client.get_ticker("BTC/USDT")).price == Decimal("41000")
            # Order ids continue; nothing is handed out twice.
            placed = await client.place_order(
                OrderRequest("keep-2", "BTC/USDT", Side.BUY, Decimal("40000"), Decimal("0.001"))
            )
            assert placed.order.order_id != kept.order_id
    finally:
        process.stop()
