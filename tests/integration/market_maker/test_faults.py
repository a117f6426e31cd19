"""The connector killed mid-run, and the engine killed at chosen points, again and again."""

from __future__ import annotations

import asyncio
import random
import subprocess
import time
from pathlib import Path

import pytest

from gridops.client import ConnectorClient, SimulatorClient
from tests.support.connector import ConnectorProcess
from tests.support.exchange_checks import assert_no_duplicates
from tests.support.market_maker import MarketMakerProcess, write_config


async def test_connector_killed_and_restarted_mid_run(
    tmp_path: Path,
    exchange: ConnectorProcess,
    sim: SimulatorClient,
    processes: list[MarketMakerProcess],
    engine_type: str,
) -> None:
    await sim.set_price("BTC/USDT", "50010")
    mm = MarketMakerProcess(
        write_config(tmp_path / "mm.yaml", engine={"type": engine_type}), exchange.address
    )
    processes.append(mm)
    mm.start()
    mm.wait_status(lambda s: s["synced"] and len(s["openOrders"]) == 5, message="grid up")

    exchange.kill()
    mm.wait_status(lambda s: not s["synced"], message="engine notices the connector is gone")
    exchange.start()  # same port, same exchange state, new session
    async with SimulatorClient(exchange.address) as sim2:
        # While reconnecting, the top buy filled on the exchange.
        status = mm.status()
        top = next(o for o in status["openOrders"] if o["price"] == "50000")
        await sim2.fill_order(top["clientOrderId"])
        status = mm.wait_status(
            lambda s: (
                s["synced"]
                and any(o["side"] == "SELL" for o in s["openOrders"] if not o["pending"])
            ),
            timeout=30,
            message="resynced after the connector came back; exit placed",
        )
        assert status["position"] == "0.001"
        async with await ConnectorClient.connect(exchange.address) as client:
            orders = await assert_no_duplicates(client, "t-grid-")
        assert len(orders) == 5  # 4 buys left + 1 exit
        assert (await sim2.get_stats()).orders_accepted == 6


CRASH_POINTS = ["after_pending_saved", "after_place", "after_fill_saved", "after_cancel"]


@pytest.mark.parametrize("engine", ["simple", "durable"])
async def test_killed_at_random_points_converges_without_duplicates(
    tmp_path: Path,
    exchange: ConnectorProcess,
    sim: SimulatorClient,
    connector_client: ConnectorClient,
    processes: list[MarketMakerProcess],
    engine: str,
) -> None:
    rng = random.Random(20261122)
    await sim.set_price("BTC/USDT", "50010")
    mm = MarketMakerProcess(
        write_config(tmp_path / "mm.yaml", engine={"type": engine}), exchange.address
    )
    processes.append(mm)
    prices = ["50010", "49930", "49870", "50060", "49790", "49960", "50110", "49820"]
    kills = 0
    for _ in range(8):
        point = rng.choice(CRASH_POINTS)
        mm.start(env={"GRIDOPS_CRASH_AT": f"{point}:{rng.randint(1, 3)}"})
        # Drive the exchange until the engine dies at its crash point (or the round ends).
        for price in rng.sample(prices, 4):
            await sim.set_price("BTC/USDT", price)
            assert mm.proc is not None
            if mm.proc.poll() is not None:
                break
        try:
            mm.wait_exit(timeout=5)
            kills += 1
        except subprocess.TimeoutExpired:
            mm.kill()  # never reached its point: a SIGKILL from outside instead
        await assert_no_duplicates(connector_client, "t-grid-")

    # A last run with no crash point converges: synced, every slot consistent.
    mm.start()
    last = prices[0]
    await sim.set_price("BTC/USDT", last)
    status = mm.wait_status(
        lambda s: s["synced"] and s["lastPrice"] == last
        and not any(o["pending"] for o in s["openOrders"]),
        timeout=30,
        message="converged",
    )  # fmt: skip
    # Converged: the engine and the exchange agree on the open orders (an update may
    # still be in flight at any one instant, so poll with a deadline).
    deadline = time.monotonic() + 30
    while True:
        orders = await assert_no_duplicates(connector_client, "t-grid-")
        status = mm.status()
        on_exchange = sorted(o.client_order_id for o in orders)
        in_engine = sorted(o["clientOrderId"] for o in status["openOrders"])
        if on_exchange == in_engine or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert on_exchange == in_engine, "the engine and the exchange disagree on the open orders"
    assert kills >= 1, "no crash point was ever reached: the test exercised nothing"


async def test_a_pending_order_refused_on_resend_is_dropped_not_retried_forever(
    tmp_path: Path,
    exchange: ConnectorProcess,
    sim: SimulatorClient,
    connector_client: ConnectorClient,
    processes: list[MarketMakerProcess],
) -> None:
    await sim.set_price("BTC/USDT", "50010")
    mm = MarketMakerProcess(write_config(tmp_path / "mm.yaml"), exchange.address)
    processes.append(mm)
    # Dies right after recording its first decision, before sending it.
    mm.start(env={"GRIDOPS_CRASH_AT": "after_pending_saved:1"})
    mm.wait_exit(timeout=20)
    # Meanwhile the money is gone: the recorded buy can no longer be placed.
    await sim.set_balances({"USDT": "1"})
    mm.start()
    # Once caught up: after reconciling, the engine plans anew and those entries are
    # refused too (no balance), so nothing may stay pending.
    status = mm.wait_status(
        lambda s: s["synced"] and s["idle"] and s["tradedPrice"] is not None,
        message="reconciled despite the refusal",
    )
    assert not any(o["pending"] for o in status["openOrders"])
    assert await connector_client.get_open_orders("BTC/USDT", "t-grid-") == []
    _, metrics = mm.get("/metrics")
    assert 'gridops_mm_orders_rejected_total{strategy="t-grid"}' in metrics
