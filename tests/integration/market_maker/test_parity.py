"""Simple and durable engines reach the same slots and orders from the same history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gridops.client import ConnectorClient, SimulatorClient
from tests.support.connector import ConnectorProcess
from tests.support.market_maker import MarketMakerProcess, write_config


def _view(status: dict[str, Any]) -> dict[str, Any]:
    return {
        "position": status["position"],
        "realized": status["pnl"]["realized"],
        "slots": status["slots"],
        "orders": sorted(
            (o["clientOrderId"], o["side"], o["price"], o["quantity"]) for o in status["openOrders"]
        ),
    }


async def test_simple_and_durable_engines_agree(
    tmp_path: Path, processes: list[MarketMakerProcess]
) -> None:
    exchanges = [
        ConnectorProcess(extra=["--sim-state", str(tmp_path / f"x{i}.db")]) for i in (1, 2)
    ]
    try:
        engines: list[MarketMakerProcess] = []
        sims: list[SimulatorClient] = []
        for kind, exchange in zip(("simple", "durable"), exchanges, strict=True):
            exchange.start()
            sims.append(SimulatorClient(exchange.address))
            await sims[-1].set_price("BTC/USDT", "50010")
            config = write_config(tmp_path / f"{kind}.yaml", engine={"type": kind})
            engine = MarketMakerProcess(config, exchange.address)
            processes.append(engine)
            engines.append(engine.start())

        async def step(**prices: str) -> None:
            for sim in sims:
                for symbol, price in prices.items():
                    await sim.set_price(symbol.replace("_", "/"), price)

        async def settled(price: str) -> list[dict[str, Any]]:
            """Each engine caught up with its exchange: same open orders, nothing queued."""

            def caught_up(s: dict[str, Any]) -> bool:
                return bool(
                    s["synced"]
                    and s["idle"]
                    and s["tradedPrice"] == price
                    and not any(o["pending"] for o in s["openOrders"])
                )

            documents = []
            for engine, exchange in zip(engines, exchanges, strict=True):
                async with await ConnectorClient.connect(exchange.address) as client:
                    for _ in range(200):
                        status = engine.wait_status(caught_up, message=f"settled at {price}")
                        listed = await client.get_open_orders("BTC/USDT")
                        ours = {o["clientOrderId"] for o in status["openOrders"]}
                        if {o.client_order_id for o in listed} == ours:
                            break
                    else:
                        raise AssertionError(f"{engine.config} never matched its exchange")
                documents.append(status)
            return documents

        history = ["50010", "49890", "49760", "49930", "50120", "49840", "50060"]
        for price in history:
            await step(BTC_USDT=price)
            views = [_view(s) for s in await settled(price)]
            assert views[0] == views[1], f"engines differ after {price}: {views}"
        # A partial offline fill on both, then a restart of both engines.
        orders = (await settled(history[-1]))[0]["openOrders"]
        buy = next(o for o in orders if o["side"] == "BUY")
        for sim in sims:
            await sim.fill_order(buy["clientOrderId"], "0.0004")
        for engine in engines:
            engine.kill()
            engine.start()
        await step(BTC_USDT="50070")
        views = [_view(s) for s in await settled("50070")]
        assert views[0] == views[1], f"engines differ after restart: {views}"
        assert views[0]["position"] != "0"
    finally:
        for sim in sims:
            await sim.close()
        for exchange in exchanges:
            exchange.stop()
