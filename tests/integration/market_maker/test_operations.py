"""Running a market maker: readiness, pause/resume, config errors, PostgreSQL, neutral mode."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import yaml

from gridops.client import ConnectorClient, SimulatorClient
from gridops.models import Side
from tests.support import postgres
from tests.support.connector import ConnectorProcess
from tests.support.exchange_checks import assert_no_duplicates
from tests.support.market_maker import MarketMakerProcess, write_config

postgres_server = postgres.postgres_server


async def test_ready_only_once_reconciled_and_metrics(
    tmp_path: Path, exchange: ConnectorProcess, sim: SimulatorClient,
    processes: list[MarketMakerProcess],
) -> None:  # fmt: skip
    await sim.set_price("BTC/USDT", "50010")
    # Point the engine at a dead address first: alive, but not ready.
    mm = MarketMakerProcess(write_config(tmp_path / "mm.yaml"), "127.0.0.1:1")
    processes.append(mm)
    mm.start()
    assert mm.get("/healthz")[0] == 200
    code, body = mm.get("/readyz")
    assert code == 503
    assert body["ready"] is False
    mm.kill()

    mm.connector = exchange.address
    mm.start()
    # Five orders the exchange has confirmed (pending ones are listed too, uncounted).
    mm.wait_status(
        lambda s: s["synced"] and sum(not o["pending"] for o in s["openOrders"]) == 5,
        message="grid up",
    )
    assert mm.get("/readyz")[0] == 200
    code, text = mm.get("/metrics")
    assert code == 200
    for name in (
        'gridops_mm_orders_placed_total{strategy="t-grid"} 5.0',
        'gridops_mm_synced{strategy="t-grid"} 1.0',
        'gridops_mm_open_orders{strategy="t-grid"} 5.0',
        "gridops_mm_reconcile_seconds_count",
        "gridops_mm_risk_halted",
        "gridops_mm_realized_pnl",
    ):
        assert name in text, name


async def test_pause_and_resume_without_restart(
    tmp_path: Path, exchange: ConnectorProcess, sim: SimulatorClient,
    connector_client: ConnectorClient, processes: list[MarketMakerProcess],
) -> None:  # fmt: skip
    await sim.set_price("BTC/USDT", "50010")
    config = write_config(tmp_path / "mm.yaml")
    mm = MarketMakerProcess(config, exchange.address)
    processes.append(mm)
    mm.start()
    status = mm.wait_status(lambda s: len(s["openOrders"]) == 5, message="grid up")
    top = next(o for o in status["openOrders"] if o["price"] == "50000")
    await sim.fill_order(top["clientOrderId"])
    mm.wait_status(lambda s: s["position"] == "0.001" and len(s["openOrders"]) == 5)

    assert mm.post("/pause") == 202
    status = mm.wait_status(
        lambda s: s["phase"] == "paused" and not s["openOrders"], timeout=5, message="paused"
    )
    assert await connector_client.get_open_orders("BTC/USDT", "t-grid-") == []
    assert status["position"] == "0.001"  # state is kept
    assert mm.proc is not None
    pid = mm.proc.pid

    assert mm.post("/resume") == 202
    status = mm.wait_status(lambda s: len(s["openOrders"]) == 5, timeout=5, message="resumed")
    assert {(o["side"], o["price"]) for o in status["openOrders"]} >= {("SELL", "50050")}
    # The config file works too (a ConfigMap edit), still in the same process.
    data = yaml.safe_load(config.read_text())
    config.write_text(yaml.safe_dump({**data, "paused": True}))
    mm.wait_status(lambda s: s["paused"] and not s["openOrders"], timeout=10, message="file")
    assert mm.proc.pid == pid
    assert mm.proc.poll() is None
    await assert_no_duplicates(connector_client, "t-grid-")


def test_a_bad_config_stops_with_the_field_named(tmp_path: Path) -> None:
    config = write_config(tmp_path / "bad.yaml", grid={"priceInterval": "-5", "buyWidow": 3})
    result = subprocess.run(
        [sys.executable, "-m", "gridops", "market-maker", "--config", str(config)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "grid.priceInterval" in result.stderr
    assert "grid.buyWidow" in result.stderr
    assert "Extra inputs are not permitted" in result.stderr


async def test_durable_engine_on_postgresql(
    tmp_path: Path, exchange: ConnectorProcess, sim: SimulatorClient,
    connector_client: ConnectorClient, processes: list[MarketMakerProcess],
    postgres_server: postgres.PostgresServer,
) -> None:  # fmt: skip
    url = postgres_server.new_database()
    await sim.set_price("BTC/USDT", "50010")
    config = write_config(tmp_path / "mm.yaml", engine={"type": "durable", "databaseUrl": url})
    mm = MarketMakerProcess(config, exchange.address)
    processes.append(mm)
    mm.start()
    status = mm.wait_status(lambda s: len(s["openOrders"]) == 5, message="grid up")
    mm.kill()
    top = next(o for o in status["openOrders"] if o["price"] == "50000")
    await sim.fill_order(top["clientOrderId"])
    mm.start()
    # Pending orders are listed too: wait for all five to be on the exchange.
    status = mm.wait_status(
        lambda s: (
            s["synced"]
            and any(o["side"] == "SELL" for o in s["openOrders"])
            and sum(not o["pending"] for o in s["openOrders"]) == 5
        ),
        message="recovered from PostgreSQL",
    )
    assert status["engine"] == "durable"
    assert status["position"] == "0.001"
    assert len(await assert_no_duplicates(connector_client, "t-grid-")) == 5
    assert (await sim.get_stats()).orders_accepted == 6


async def test_neutral_mode_sells_above_and_buys_back(
    tmp_path: Path, exchange: ConnectorProcess, sim: SimulatorClient,
    connector_client: ConnectorClient, processes: list[MarketMakerProcess],
) -> None:  # fmt: skip
    await sim.set_price("BTC/USDT", "50010")
    config = write_config(
        tmp_path / "mm.yaml", grid={"mode": "neutral", "buyWindow": 2, "sellWindow": 2}
    )
    mm = MarketMakerProcess(config, exchange.address)
    processes.append(mm)
    mm.start()
    status = mm.wait_status(lambda s: len(s["openOrders"]) == 4, message="neutral grid up")
    assert {(o["side"], o["price"]) for o in status["openOrders"]} == {
        ("BUY", "50000"), ("BUY", "49950"), ("SELL", "50050"), ("SELL", "50100"),
    }  # fmt: skip
    await sim.set_price("BTC/USDT", "50060")  # the sell at 50050 fills: a short slot
    status = mm.wait_status(
        lambda s: (
            s["position"] == "-0.001"
            and any(o["side"] == "BUY" and o["price"] == "50000" for o in s["openOrders"])
        ),
        message="short held, buy-back placed one level down",
    )
    orders = await assert_no_duplicates(connector_client, "t-grid-")
    assert all(o.side is Side.BUY or o.price > Decimal(50060) for o in orders)
