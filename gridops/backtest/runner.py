"""The live engine over history: the same `Engine` class the market maker runs, on the
simulated exchange, with the clock set from the data instead of read from the wall.

For each historical price, in order: the clock moves to the price's time, the market moves
to the price (the orders it crosses fill as makers, with the configured fee), the engine
handles what its streams delivered until it has nothing left to do, then its periodic
checks run once (risk rules on the data's clock: a gap in the data is stale data). Nothing
sleeps: a month of one-minute candles runs in seconds.

What this does not model (docs/backtest.md): queue position (a resting order fills as soon
as the price touches it), latency (the engine acts between two prices, never during a
move), slippage and partial fills, and the price path inside a candle (CandlePath).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from gridops.decimals import ZERO, round_to_step
from gridops.market_maker.backend import MemoryBackend
from gridops.market_maker.engine import Engine
from gridops.market_maker.metrics import EngineMetrics
from gridops.models import Fill, Order, split_symbol
from gridops.simexchange.market import SimMarket
from gridops.simexchange.specs import MarketConfig, SymbolSpec
from gridops.spec import StrategyConfig

from .data import PricePoint
from .port import SimPort

#: event-loop turns an engine may take to finish one price before it counts as stuck
SETTLE_TURNS = 10_000

Progress = Callable[[int, int], None]


class BacktestError(Exception):
    """The run cannot go on; the message says why, for a person."""


@dataclass(frozen=True, slots=True)
class MarketRules:
    """The simulated exchange's rules for the strategy's symbol, and the account."""

    tick_size: Decimal = Decimal("0.01")
    step_size: Decimal = Decimal("0.00001")
    min_quantity: Decimal = ZERO
    min_notional: Decimal = Decimal("5")
    maker_fee: Decimal = Decimal("0.001")
    taker_fee: Decimal = Decimal("0.001")
    #: starting free balance per asset
    balances: dict[str, Decimal] = field(default_factory=dict)
    #: how quote amounts (PnL, fees, equity) are shown: Binance's asset precision, so
    #: that a fee of 0.499 USDT is not rounded to the price tick
    quote_precision: Decimal = Decimal("0.00000001")


@dataclass(frozen=True, slots=True)
class Sample:
    """The strategy after one historical price was handled."""

    time: datetime
    price: Decimal
    position: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    fees: Decimal
    open_orders: int
    halted: bool


@dataclass(frozen=True, slots=True)
class Halt:
    since: datetime
    reason: str
    until: datetime | None = None


@dataclass(slots=True)
class Run:
    """Everything a report needs, as the engine and the exchange left it."""

    config: StrategyConfig
    rules: MarketRules
    start_equity: Decimal
    samples: list[Sample] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    #: every order the exchange accepted, by client order id (as placed)
    orders: dict[str, Order] = field(default_factory=dict)
    #: the strategy's orders still open on the exchange at the end
    open_orders: list[Order] = field(default_factory=list)
    rejected: int = 0
    halts: list[Halt] = field(default_factory=list)


class _Clock:
    def __init__(self, start: datetime) -> None:
        self.time = start

    def now(self) -> datetime:
        return self.time


def starting_balances(
    config: StrategyConfig, rules: MarketRules, price: Decimal
) -> dict[str, Decimal]:
    """The rules' balances, or 100,000 of the quote asset (the sim exchange's default),
    plus, when the grid sells first (short, neutral), as much base as that buys."""
    if rules.balances:
        return dict(rules.balances)
    base, quote = split_symbol(config.symbol)
    balances = {quote: Decimal(100_000)}
    if config.grid.mode != "long":
        balances[base] = (Decimal(100_000) / price).quantize(rules.step_size)
    return balances


def equity(balances: dict[str, Decimal], symbol: str, price: Decimal) -> Decimal:
    base, quote = split_symbol(symbol)
    return balances.get(quote, ZERO) + balances.get(base, ZERO) * price


async def _settle(engine: Engine, port: SimPort, task: asyncio.Task[None]) -> None:
    """Let the engine take everything its streams delivered and act on it."""
    calm = 0
    for _ in range(SETTLE_TURNS):
        await asyncio.sleep(0)
        if task.done():
            error = task.exception()
            raise BacktestError(f"the engine stopped: {error!r}") from error
        if port.quiet and engine.idle:
            calm += 1
            if calm >= 2:  # one more turn: a pump may hold an item between two queues
                return
        else:
            calm = 0
    raise BacktestError(f"the engine did not settle within {SETTLE_TURNS} event-loop turns")


async def _started(engine: Engine, port: SimPort, task: asyncio.Task[None]) -> None:
    for _ in range(SETTLE_TURNS):
        await asyncio.sleep(0)
        if task.done():
            error = task.exception()
            raise BacktestError(f"the engine stopped at start: {error!r}") from error
        if engine.synced and port.listening:
            await _settle(engine, port, task)
            return
    raise BacktestError("the engine did not reconcile with the simulated exchange")


async def run_backtest(
    config: StrategyConfig,
    points: tuple[PricePoint, ...] | list[PricePoint],
    rules: MarketRules,
    *,
    tick_seconds: float = 60.0,
    progress: Progress | None = None,
) -> Run:
    """Run `config`'s grid over `points` (oldest first). The engine's periodic checks
    (risk rules, which live run every second) run every `tick_seconds` of the data's
    time, and the strategy is sampled there: one minute keeps a month of one-minute
    candles fast and still sees every candle; a finer tick only costs time."""
    if not points:
        raise BacktestError("no prices to run over")
    first = round_to_step(points[0].price, rules.tick_size)
    if first <= 0:
        raise BacktestError(
            f"the first price {points[0].price} rounds to 0 at the tick size {rules.tick_size}"
        )
    clock = _Clock(points[0].time)
    balances = starting_balances(config, rules, first)
    quote = split_symbol(config.symbol)[1]
    spec = SymbolSpec(
        config.symbol,
        first,
        rules.tick_size,
        rules.step_size,
        rules.min_quantity,
        rules.min_notional,
    )
    market = SimMarket(
        [spec],
        balances,
        # volatility 0: prices come from the data only; the seed is never drawn from
        config=MarketConfig(
            maker_fee=rules.maker_fee, taker_fee=rules.taker_fee, volatility=0.0, quote_asset=quote
        ),
        clock=clock.now,
        rng=random.Random(0),
    )
    port = SimPort(market)
    engine = Engine(
        config,
        port,
        MemoryBackend(),
        clock=clock.now,
        metrics=EngineMetrics(config.name),
        tick_seconds=None,
    )
    run = Run(config, rules, equity(balances, config.symbol, first))
    task = asyncio.create_task(engine.run(), name="backtest-engine")
    try:
        await _started(engine, port, task)
        halted_since: Halt | None = None
        total = len(points)
        every = timedelta(seconds=tick_seconds)
        next_tick = points[0].time
        for index, point in enumerate(points):
            clock.time = point.time
            port.set_price(config.symbol, point.price)
            await _settle(engine, port, task)
            if point.time < next_tick and index < total - 1:
                continue
            next_tick = point.time + every
            engine.tick()
            await _settle(engine, port, task)
            state = engine.risk.state
            if state.halted and halted_since is None:
                halted_since = Halt(state.since or point.time, state.reason)
            elif not state.halted and halted_since is not None:
                run.halts.append(Halt(halted_since.since, halted_since.reason, point.time))
                halted_since = None
            run.samples.append(_sample(engine, point, state.halted))
            if progress is not None and (len(run.samples) % 500 == 0 or index == total - 1):
                progress(index + 1, total)
        if halted_since is not None:
            run.halts.append(halted_since)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    prefix = engine.prefix
    run.fills = market.get_fills(config.symbol, prefix=prefix)
    run.orders = {order.client_order_id: order for order in port.placed}
    run.open_orders = market.open_orders(config.symbol, prefix)
    run.rejected = market.counters().orders_rejected
    return run


def _sample(engine: Engine, point: PricePoint, halted: bool) -> Sample:
    # the price the market traded at: the data's, rounded to the tick
    price = engine.last_price or point.price
    totals = engine.totals()  # at that price
    if totals is None:
        return Sample(point.time, price, ZERO, ZERO, ZERO, ZERO, 0, halted)
    return Sample(
        point.time,
        price,
        totals.position,
        totals.realized_pnl,
        totals.unrealized_pnl,
        totals.fees,
        totals.open_orders,
        halted,
    )
