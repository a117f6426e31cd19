"""`gridops backtest`'s speed: simulated prices per second, next to the live engine's.

The backtest runs the live Engine on the simulated exchange (gridops.simexchange) with the
data's clock: every price moves the market, fills what it crosses, is handled by the
engine until it has nothing left to do, and once a simulated minute the engine's periodic
checks run and the strategy is sampled. The live figure is the engine benchmark's (the
same Engine on an instant fake exchange, no clock, no samples): what the backtest adds is
the simulated market, the hand-over between prices and the sampling.

The data: the shipped week of one-minute BTC/USDT candles (examples/backtest), four
copies end to end for a month (each copy shifted a week later), each candle read as
open -> nearer extreme -> other extreme -> close.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from gridops.backtest.data import PricePoint, read_prices
from gridops.backtest.runner import MarketRules, run_backtest
from gridops.spec import StrategyConfig

from . import ticks
from .report import Result

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "backtest" / "BTCUSDT-1m-sample.csv"
#: the month the issue names: "a month of 1-minute data in seconds"
WEEKS = 4


def strategy() -> StrategyConfig:
    return StrategyConfig.model_validate(
        {
            "name": "bench-backtest",
            "symbol": "BTC/USDT",
            "grid": {"mode": "long", "priceInterval": "250", "orderQuantity": "0.01",
                     "buyWindow": 5, "sellWindow": 5},
            "risk": {"maxMovePercent": "50", "staleDataSeconds": 3600},
        }
    )  # fmt: skip


def month(weeks: int) -> list[PricePoint]:
    week = read_prices([SAMPLE], verify_checksums=False).points
    span = timedelta(days=7)
    return [
        PricePoint(point.time + span * copy, point.price) for copy in range(weeks) for point in week
    ]


async def run(weeks: int = WEEKS, live_ticks: int = 100_000) -> Result:
    result = Result("backtest")
    began = time.perf_counter()
    read_prices([SAMPLE])  # the week's 10,080 candles, checksum verified
    read_seconds = time.perf_counter() - began
    points = month(weeks)
    started = time.perf_counter()
    backtest = await run_backtest(strategy(), points, MarketRules())
    elapsed = time.perf_counter() - started
    live = await ticks.engine_ticks(live_ticks)
    simulated_days = (points[-1].time - points[0].time).total_seconds() / 86_400
    prices_per_second = len(points) / elapsed
    result.params = {
        "data": f"{SAMPLE.name} x {weeks} ({len(points)} prices, {simulated_days:.1f} days of "
        "one-minute candles, candle path nearest)",
        "strategy": "long grid 250 apart, 0.01 each, buyWindow/sellWindow 5, fee 0.1 %",
        "tick": "engine checks and a sample every simulated 60 s",
        "live": f"bench engine: {live_ticks} ticks on the instant fake exchange",
    }
    result.details = {
        "seconds": elapsed,
        "prices": len(points),
        "samples": len(backtest.samples),
        "fills": len(backtest.fills),
        "orders": len(backtest.orders),
        "live_engine": live,
    }
    result.add("read a week of one-minute klines (10,080 rows)", read_seconds, "s", 0.5, "<=")
    result.add("backtest prices/s", prices_per_second, "prices/s")
    result.add("backtest simulated days per second", simulated_days / elapsed, "days/s")
    if weeks == WEEKS:
        result.add("a month of one-minute candles", elapsed, "s", 60.0, "<=")
    result.add("live engine ticks/s (engine benchmark)", live["ticks_per_second"], "ticks/s")
    result.add("backtest / live engine", prices_per_second / live["ticks_per_second"] * 100, "%")
    result.add("fills in the backtest", len(backtest.fills), "fills")
    return result
