"""Seed audit plan: crash -> offline fill -> restart, for both engines, real processes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from gridops.client import ConnectorClient, SimulatorClient
from gridops.models import Side
from tests.support.connector import ConnectorProcess
from tests.support.exchange_checks import assert_no_duplicates
from tests.support.market_maker import MarketMakerProcess, write_config

ENTRY_PRICES = {"50000", "49950", "49900", "49850", "49800"}


def _open(status: dict[str, object]) -> list[dict[str, str]]:
    orders = status["openOrders"]
    assert isinstance(orders, list)
    return [o for o in orders if not o["pending"]]


# Also through ccxt on a venue: the offline fill is the venue's, found by the restarted
# engine through the connector's GetFills (myTrades, mapped back to its client id).
@pytest.mark.both_backends
async def test_crash_offline_fill_restart(
    tmp_path: Path,
    exchange: ConnectorProcess,
    sim: SimulatorClient,
    connector_client: ConnectorClient,
    processes: list[MarketMakerProcess],
    engine_type: str,
) -> None:
    await sim.set_price("BTC/USDT", "50010")
    config = write_config(tmp_path / "mm.yaml", engine={"type": engine_type})
    mm = MarketMakerProcess(config, exchange.address)
    processes.append(mm)
    mm.start()
    # Orders are placed after a price update: five buys on the levels below 50010.
    status = mm.wait_status(
        lambda s: s["synced"] and len(_open(s)) == 5, message="five entry buys open"
    )
    assert {o["price"] for o in _open(status)} == ENTRY_PRICES
    assert {o["side"] for o in _open(status)} == {"BUY"}
    before = await sim.get_stats()

    mm.kill()
    top = next(o for o in _open(status) if o["price"] == "50000")
    _, fill = await sim.fill_order(top["clientOrderId"])  # filled while the engine is down
    assert fill.quantity == Decimal("0.001")

    mm.start()
    status = mm.wait_status(
        lambda s: s["synced"] and any(o["side"] == "SELL" for o in _open(s)),
        message="exit sell placed after restart",
    )
    assert Decimal(status["position"]) == Decimal("0.001")
    assert top["clientOrderId"] not in {o["clientOrderId"] for o in _open(status)}
    sells = [o for o in _open(status) if o["side"] == "SELL"]
    assert [(s["price"], s["quantity"]) for s in sells] == [("50050", "0.001")]

    # The exchange agrees, and holds no duplicate.
    orders = await assert_no_duplicates(connector_client, "t-grid-")
    assert sorted((o.side, o.price) for o in orders) == sorted(
        [(Side.BUY, Decimal(p)) for p in ENTRY_PRICES - {"50000"}] + [(Side.SELL, Decimal(50050))]
    )
    after = await sim.get_stats()
    # Only the exit was placed after the restart: 5 entries before, +1 exit.
    assert before.orders_accepted == 5
    assert after.orders_accepted == 6
