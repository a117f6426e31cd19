"""Amounts the live server sends are quantized to the symbol's rules; orders name their owner."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gridops.models import OrderRequest, Side
from tests.support.poll import wait_until

from .conftest import Stack

TICK = Decimal("0.01")  # the sim's BTC/USDT
STEP = Decimal("0.00001")


def _on_grid(text: str, step: Decimal) -> bool:
    return Decimal(text) % step == 0


async def _buy(stack: Stack, cid: str, price: str, quantity: str = "0.002") -> None:
    request = OrderRequest(cid, "BTC/USDT", Side.BUY, Decimal(price), Decimal(quantity))
    await stack.client.place_order(request)
    await stack.sim.fill_order(cid)


async def test_average_cost_and_fees_are_sent_to_the_tick(stack: Stack) -> None:
    # Three buys averaging 49000.00333...; the last fee is 0.09800002 USDT.
    await _buy(stack, "avg-0-B-1", "49000")
    await _buy(stack, "avg-0-B-2", "49000")
    await _buy(stack, "avg-0-B-3", "49000.01")

    (exchange,) = await stack.client.get_positions("BTC/USDT")
    assert exchange.entry_price == Decimal("49000.00")  # quantized at the source: the sim

    code, positions = stack.live.get("/api/positions?symbol=BTC/USDT")
    assert code == 200
    (position,) = positions
    assert position["quantity"] == "0.006"
    assert position["entryPrice"] == "49000"
    assert position["realizedPnl"] == "-0.29"  # -(0.098 + 0.098 + 0.09800002)
    for key in ("entryPrice", "markPrice", "unrealizedPnl", "realizedPnl"):
        assert _on_grid(position[key], TICK), (key, position[key])

    code, fills = stack.live.get("/api/fills?symbol=BTC/USDT&prefix=avg")
    assert code == 200
    assert [f["fee"] for f in fills] == ["0.1", "0.1", "0.1"]  # 0.098, 0.098, 0.09800002

    code, account = stack.live.get("/api/account")
    assert code == 200
    steps = {"USDT": TICK, "BTC": STEP, "ETH": Decimal("0.0001")}
    for balance in account["balances"]:
        for key in ("free", "locked"):
            assert _on_grid(balance[key], steps[balance["asset"]]), balance
    assert _on_grid(account["equity"], TICK)


async def test_market_maker_status_amounts_are_on_the_tick_and_relayed_so(stack: Stack) -> None:
    status = stack.market_maker.status()
    entry = next(o for o in status["openOrders"] if o["price"] == "49950")
    # Fees of 0.1 % on 49.95 and on the exit's 50.01 (it crosses at once): 0.09996 USDT,
    # which the engine shows on the 0.01 tick (the live server would round it otherwise).
    await stack.sim.fill_order(entry["clientOrderId"])
    settled = stack.market_maker.wait_status(
        lambda s: s["pnl"].get("fees", "0") != "0" and s["position"] == "0",
        message="the round trip in the engine's books",
    )
    assert settled["pnl"]["fees"] == "0.1"

    def relayed() -> dict[str, Any] | None:
        code, body = stack.live.get("/api/status")
        document = body["marketMakers"][0]["status"] if code == 200 else None
        return document if document and document["pnl"]["fees"] != "0" else None

    document = wait_until(relayed, message="the round trip in /api/status")
    assert document is not None
    assert document["pnl"] == settled["pnl"]
    for key in ("realized", "unrealized", "fees"):
        assert _on_grid(document["pnl"][key], TICK)
    for order in document["openOrders"]:
        assert _on_grid(order["price"], TICK)
        assert _on_grid(order["quantity"], STEP)


async def test_orders_carry_the_strategy_that_owns_them(stack: Stack) -> None:
    for cid, price in (("other-grid-3-B-1", "40000"), ("manual-1", "40001")):
        request = OrderRequest(cid, "BTC/USDT", Side.BUY, Decimal(price), Decimal("0.001"))
        await stack.client.place_order(request)
    code, orders = stack.live.get("/api/orders?symbol=BTC/USDT")
    assert code == 200
    owners = {o["clientOrderId"]: o["strategy"] for o in orders}
    assert owners.pop("other-grid-3-B-1") == "other-grid"
    assert owners.pop("manual-1") is None  # not a grid id: no owner to name
    assert set(owners.values()) == {"t-grid"}
    assert len(owners) == 5
