"""Price ticks per second through the grid engine, with no network.

Two figures:
- `engine`: the real `Engine` (its queue, loop, planner, risk monitor, executor and
  metrics) against an in-process FakeExchange that acknowledges and fills at once, with
  an in-memory backend (the `simple` engine's cost; a durable engine adds one SQL commit
  per decision, not per tick).
- `engine, never synced`: the same Engine whose order stream never confirms, so it
  never plans: the floor of its loop, queue, risk monitor and metrics per tick.
- `domain, plan() on every tick`: the same ticks straight through the domain calls of
  an engine that plans on every price (`RiskMonitor.on_price`, `verdict`,
  `GridBook.plan`), with actions applied to the book synchronously: what the Engine's
  skip of ticks that cannot decide anything saves.

The price is a random walk in 1-USDT steps around 50,000 on a 50-USDT grid, so most
ticks change nothing and some cross a level (fills, exits, new entries), as in a market.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from gridops.market_maker.backend import MemoryBackend
from gridops.market_maker.domain.book import GridBook
from gridops.market_maker.domain.grid import GridSpec
from gridops.market_maker.domain.risk import RiskMonitor
from gridops.market_maker.domain.risk_state import RiskState
from gridops.market_maker.domain.slots import PlaceAction
from gridops.market_maker.engine import Engine
from gridops.models import Fill, Order, OrderStatus, OrderType
from gridops.spec import StrategyConfig
from tests.support.fake_exchange import SYMBOL_INFO, FakeExchange

from . import placing
from .report import Result


def strategy(name: str = "bench", buy_window: int = 5) -> StrategyConfig:
    return StrategyConfig.model_validate(
        {
            "name": name,
            "symbol": "BTC/USDT",
            "grid": {"priceInterval": "50", "orderQuantity": "0.001",
                     "buyWindow": buy_window, "anchorPrice": "0"},
            # Wide risk limits: the benchmark measures the work, not a halted engine.
            "risk": {"maxMovePercent": "50", "staleDataSeconds": 3600},
            "engine": {"type": "simple"},
        }
    )  # fmt: skip


def price_walk(count: int, seed: int = 7) -> Iterator[Decimal]:
    rng = random.Random(seed)
    price = Decimal(50_000)
    step = Decimal(1)
    for _ in range(count):
        price += step * rng.choice((-1, 0, 1))
        yield price


async def engine_ticks(count: int, plan: bool = True) -> dict[str, float]:
    exchange = FakeExchange(price_walk(count), subscribe=plan)
    engine = Engine(strategy(), exchange, MemoryBackend(), tick_seconds=3600)
    runner = asyncio.create_task(engine.run())
    started = time.perf_counter()
    await exchange.fed.wait()
    # The pump runs ahead into the engine's queue; done when the loop has drained it.
    # Polled: the engine has no "caught up" event; 2 ms is noise next to the run.
    while not (engine.idle and engine.last_price == exchange.last_price):  # noqa: ASYNC110
        await asyncio.sleep(0.002)
    elapsed = time.perf_counter() - started
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)
    if engine.failed is not None:
        raise engine.failed
    return {
        "ticks": count,
        "seconds": elapsed,
        "ticks_per_second": count / elapsed,
        "orders_placed": exchange.placed,
        "fills": exchange.fills,
    }


def domain_ticks(count: int) -> dict[str, float]:
    """The domain calls of a naive engine that plans on every tick: what the Engine's
    idle-band skip (plan only when the book, the levels around the price, the verdict
    or the pause changed) saves."""
    config = strategy()
    spec = GridSpec.create(config.grid, SYMBOL_INFO)
    book = GridBook("bench", spec)
    risk = RiskMonitor(config.risk, RiskState())
    resting: dict[str, Order] = {}
    placed = fills = 0
    now = datetime.now(UTC)
    started = time.perf_counter()
    for price in price_walk(count):
        for cid, order in list(resting.items()):  # the exchange fills crossed orders
            if (order.side.value == "BUY") == (price <= order.price):
                del resting[cid]
                fills += 1
                book.apply_fill(_fill(order, fills, now))
                book.apply_order(replace(order, status=OrderStatus.FILLED,
                                         filled_quantity=order.quantity))  # fmt: skip
        risk.on_price(price, now)
        verdict = risk.verdict(book.position())
        actions = book.plan(price, verdict, False)
        for action in actions:
            if isinstance(action, PlaceAction):
                book.mark_pending(action)
                order = _order(action, now)
                book.apply_order(order)
                resting[order.client_order_id] = order
                placed += 1
            else:
                order = resting.pop(action.client_order_id)
                book.apply_order(replace(order, status=OrderStatus.CANCELED))
        if actions:
            book.totals(price)  # Engine._update_gauges runs after actions
    elapsed = time.perf_counter() - started
    return {
        "ticks": count,
        "seconds": elapsed,
        "ticks_per_second": count / elapsed,
        "orders_placed": placed,
        "fills": fills,
    }


def _order(action: PlaceAction, now: datetime) -> Order:
    return Order(
        order_id=action.client_order_id,
        client_order_id=action.client_order_id,
        symbol="BTC/USDT",
        side=action.side,
        type=OrderType.LIMIT,
        price=action.price,
        quantity=action.quantity,
        filled_quantity=Decimal(0),
        average_fill_price=Decimal(0),
        status=OrderStatus.NEW,
        created_at=now,
        updated_at=now,
    )


def _fill(order: Order, n: int, now: datetime) -> Fill:
    return Fill(
        trade_id=f"t{n}",
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        side=order.side,
        price=order.price,
        quantity=order.quantity,
        fee=Decimal(0),
        fee_asset="USDT",
        maker=True,
        time=now,
    )


async def run(ticks: int = 200_000, placements: int = 100) -> Result:
    result = Result("engine")
    domain_ticks(min(ticks, 5_000))  # warm-up: imports, caches, allocator
    domain = domain_ticks(ticks)
    engine = await engine_ticks(ticks)
    floor = await engine_ticks(ticks, plan=False)
    place, _ = await placing.run(orders=placements)
    result.params = {
        "ticks": ticks,
        "walk": "random walk, steps of -1/0/+1 USDT from 50,000; grid interval 50, "
        "buyWindow 5, long mode",
        "engine": "real Engine + FakeExchange (instant ack/fill) + in-memory backend, "
        "one asyncio loop, no network",
        "domain": "RiskMonitor.on_price + verdict + GridBook.plan + apply, synchronous",
        "durable placement": f"{placements} entries in one plan through Executor + "
        "DurableBackend (SQLite file, synchronous=FULL) + FakeExchange; median of 5",
    }
    result.details = {
        "engine": engine,
        "engine_without_book": floor,
        "domain_plan_every_tick": domain,
        "durable_placement": place,
    }
    result.add("Engine ticks/s", engine["ticks_per_second"], "ticks/s", 50_000, ">=")
    result.add("Engine, never synced (no plan) ticks/s", floor["ticks_per_second"], "ticks/s")
    result.add("domain calls, plan() on every tick, ticks/s", domain["ticks_per_second"],
               "ticks/s")  # fmt: skip
    result.add("orders placed (engine run)", engine["orders_placed"], "orders")
    result.add("fills (engine run)", engine["fills"], "fills")
    result.add("orders placed (domain run)", domain["orders_placed"], "orders")
    result.add("fills (domain run)", domain["fills"], "fills")
    result.add("durable placement (commit, PlaceOrder, commit), median",
               place["per_order_median_s"] * 1000, "ms/order")  # fmt: skip
    result.add(f"event loop's longest stall during {placements} durable placements, median",
               place["loop_stall_median_s"] * 1000, "ms")  # fmt: skip
    return result
