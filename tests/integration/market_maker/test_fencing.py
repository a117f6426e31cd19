"""One writer per strategy: two real market makers of one strategy on one real connector.

Both engines take the writer lease from the store (SQLite): one trades, the other stands
by; SIGKILL the writer and the standby takes over; freeze the writer (SIGSTOP) until its
lease runs out, let the standby take it and trade, thaw the first: the connector refuses
it and it reports `fenced`. The exchange is the judge throughout: never two open orders
of the strategy on one price or one slot, and the position is the sum of the fills.
"""

from __future__ import annotations

import signal
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from gridops.client import ConnectorClient, SimulatorClient
from gridops.models import Side
from tests.support.connector import ConnectorProcess
from tests.support.exchange_checks import assert_no_duplicates
from tests.support.market_maker import MarketMakerProcess, write_config
from tests.support.poll import eventually, wait_until

PREFIX = "t-grid"
LEASE_SECONDS = 2


def _trading(status: dict[str, Any]) -> bool:
    return bool(status["synced"]) and any(not o["pending"] for o in status["openOrders"])


def _standby(status: dict[str, Any]) -> bool:
    writer = status.get("writer") or {}
    # heldBy: it has read the lease and found it another engine's.
    return status["phase"] == "standby" and writer.get("standby") is True and writer["heldBy"]


def _pair(tmp_path: Path, address: str, engine_type: str) -> tuple[MarketMakerProcess, ...]:
    config = write_config(
        tmp_path / "mm.yaml", engine={"type": engine_type, "leaseSeconds": LEASE_SECONDS}
    )
    return MarketMakerProcess(config, address), MarketMakerProcess(config, address)


async def _position_is_sum_of_fills(client: ConnectorClient, status: dict[str, Any]) -> None:
    fills = await client.get_fills("BTC/USDT", prefix=PREFIX)
    signed = sum((f.quantity if f.side is Side.BUY else -f.quantity for f in fills), Decimal(0))
    assert Decimal(status["position"]) == signed, (status["position"], fills)


async def test_one_trades_the_other_stands_by_and_takes_over_when_it_dies(
    tmp_path: Path,
    exchange: ConnectorProcess,
    sim: SimulatorClient,
    connector_client: ConnectorClient,
    processes: list[MarketMakerProcess],
    engine_type: str,
) -> None:
    await sim.set_price("BTC/USDT", "50010")
    first, second = _pair(tmp_path, exchange.address, engine_type)
    processes.extend([first, second])
    first.start()
    first.wait_status(_trading, message="the first engine trades")
    second.start()
    waiting = second.wait_status(_standby, message="the second stands by")
    assert waiting["writer"]["token"] is None
    assert second.get("/readyz")[0] == 503
    placed = (await sim.get_stats()).orders_accepted
    await sim.set_price("BTC/USDT", "49990")  # the grid follows: the writer places more
    first.wait_status(lambda s: _trading(s) and s["tradedPrice"] == "49990")
    assert second.status()["phase"] == "standby"
    await assert_no_duplicates(connector_client, PREFIX)
    assert (await sim.get_stats()).orders_accepted > placed

    # A fill while the writer is down, then the standby's turn.
    before = first.status()
    top = next(o for o in before["openOrders"] if o["price"] == "49950")
    expected = Decimal(before["position"]) + Decimal("0.001")
    first.kill()
    await sim.fill_order(top["clientOrderId"])
    killed = time.monotonic()
    took = second.wait_status(
        lambda s: _trading(s) and Decimal(s["position"]) == expected,
        timeout=LEASE_SECONDS + 10,
        message="the standby takes over and sees the fill",
    )
    elapsed = time.monotonic() - killed
    print(f"\n{engine_type}: standby trading {elapsed:.2f}s after the writer was killed")
    # The lease (or its file lock) tells at once; one reconcile follows.
    assert elapsed < LEASE_SECONDS + 5
    assert took["writer"]["token"] > 0
    assert not took["fenced"]
    await assert_no_duplicates(connector_client, PREFIX)
    await _position_is_sum_of_fills(connector_client, took)


async def test_a_frozen_writer_that_comes_back_is_fenced_and_stops(
    tmp_path: Path,
    exchange: ConnectorProcess,
    sim: SimulatorClient,
    connector_client: ConnectorClient,
    processes: list[MarketMakerProcess],
    engine_type: str,
) -> None:
    await sim.set_price("BTC/USDT", "50010")
    first, second = _pair(tmp_path, exchange.address, engine_type)
    processes.extend([first, second])
    first.start()
    # Frozen between events, not inside a commit: a process stopped while it holds the
    # SQLite write lock blocks every other writer of that file until it thaws (SQLite's
    # own rule: nothing is written twice then, nothing is written at all).
    settled = first.wait_status(
        lambda s: _trading(s) and s["idle"] and len(s["openOrders"]) == 5,
        message="the first engine trades, its five buys placed",
    )
    old_token = settled["writer"]["token"]
    assert first.proc is not None
    first.proc.send_signal(signal.SIGSTOP)  # a long GC pause, a frozen node
    try:
        second.start()
        second.wait_status(
            lambda s: _trading(s) and s["writer"]["token"] > old_token,
            timeout=LEASE_SECONDS + 10,
            message="the second takes the lease once the frozen one's ran out",
        )
        # Move the market while the first sleeps: on waking it has stale prices and a
        # stale book to act on, the case fencing exists for.
        await sim.set_price("BTC/USDT", "49890")
        second.wait_status(lambda s: _trading(s) and s["tradedPrice"] == "49890")
    finally:
        first.proc.send_signal(signal.SIGCONT)
    fenced = first.wait_status(
        lambda s: s["fenced"] and s["phase"] == "fenced",
        timeout=LEASE_SECONDS + 10,
        message="the thawed writer reports fenced",
    )
    assert fenced["synced"] is False
    assert fenced["openOrders"] == []
    assert first.get("/readyz")[0] == 503
    assert "fenced" in first.output
    await assert_no_duplicates(connector_client, PREFIX)

    # Every order on the exchange is one the current writer knows about, once it has
    # applied the fills of the last move (a status read before them still lists an order
    # the exchange has filled).
    async def writer_matches_exchange() -> dict[str, Any]:
        status = second.status()
        listed = await connector_client.get_open_orders("BTC/USDT", PREFIX)
        ours = {o["clientOrderId"] for o in status["openOrders"]}
        return status if {o.client_order_id for o in listed} == ours else {}

    second_status = await eventually(
        writer_matches_exchange, message="the writer's orders are the exchange's"
    )
    assert _trading(second_status)
    assert not second_status["fenced"]
    await _position_is_sum_of_fills(connector_client, second_status)
    # The fenced one does not fight back: it stands by while the second renews.
    wait_until(
        lambda: first.status()["phase"] in ("fenced", "standby") or None,
        timeout=5,
        message="still not trading",
    )
    assert first.status()["synced"] is False
