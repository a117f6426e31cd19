"""The live engine over a hand-computable price path: exact PnL, fees and round trips.

A long grid 100 apart, 0.01 BTC a level, fee 0.1 %. The price walks from 50050 down
three levels to 49750 and back up to 50150:

- buys fill at 50000, 49900, 49800 (fees 0.5 + 0.499 + 0.498);
- each one's exit sells one level up: 49900, 50000, 50100 (fees 0.499 + 0.5 + 0.501);
- three round trips of 100 x 0.01 = 1 each, fees 2.997: realized 3 - 2.997 = 0.003;
- the deepest point: three held (cost 1497) marked at 49750 (1492.5) after 1.497 of fees:
  equity 5.997 below the start, the max drawdown.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from gridops.backtest.data import PricePoint
from gridops.backtest.report import build_report, to_json
from gridops.backtest.runner import BacktestError, MarketRules, Run, run_backtest
from gridops.spec import StrategyConfig

T0 = datetime(2024, 1, 1, tzinfo=UTC)
DOWN_THREE_AND_BACK = ["50050", "49950", "49850", "49750", "49850", "49950", "50050", "50150"]


def strategy(mode: str = "long", **risk: str) -> StrategyConfig:
    return StrategyConfig.model_validate(
        {
            "name": "known",
            "symbol": "BTC/USDT",
            "grid": {"mode": mode, "priceInterval": "100", "orderQuantity": "0.01",
                     "buyWindow": 3, "sellWindow": 3},
            "risk": {"maxMovePercent": "50", "staleDataSeconds": 3600, **risk},
        }
    )  # fmt: skip


def points(prices: list[str], minutes: float = 1.0) -> list[PricePoint]:
    return [
        PricePoint(T0 + timedelta(minutes=i * minutes), Decimal(p)) for i, p in enumerate(prices)
    ]


def backtest(config: StrategyConfig, prices: list[str], **rules: Decimal) -> Run:
    return asyncio.run(run_backtest(config, points(prices), MarketRules(**rules)))  # type: ignore[arg-type]


def test_down_three_levels_and_back_gives_the_exact_pnl_fees_and_round_trips() -> None:
    run = backtest(strategy(), DOWN_THREE_AND_BACK)

    fills = [(f.side.value, f.price, f.fee) for f in run.fills]
    assert fills == [
        ("BUY", Decimal(50000), Decimal("0.5")),
        ("BUY", Decimal(49900), Decimal("0.499")),
        ("BUY", Decimal(49800), Decimal("0.498")),
        ("SELL", Decimal(49900), Decimal("0.499")),
        ("SELL", Decimal(50000), Decimal("0.5")),
        ("SELL", Decimal(50100), Decimal("0.501")),
    ]
    report = to_json(build_report(run))
    assert report["realizedPnl"] == "0.003"
    assert report["fees"] == "2.997"
    assert report["roundTrips"] == 3
    assert report["fills"] == 6
    assert report["finalPosition"] == "0"
    assert report["unrealizedPnl"] == "0"
    assert report["maxDrawdown"] == "5.997"
    assert report["returnPercent"] == "0"  # 0.003 of 100,000
    assert report["startEquity"] == "100000"
    # held from the first buy (minute 1) to the last sell (minute 7): 6 of 7 minutes
    assert report["timeInMarketPercent"] == "85.71"
    assert report["halts"] == []


def test_without_fees_the_three_round_trips_earn_three_interval_steps() -> None:
    run = backtest(strategy(), DOWN_THREE_AND_BACK, maker_fee=Decimal(0), taker_fee=Decimal(0))
    report = to_json(build_report(run))
    assert report["realizedPnl"] == "3"
    assert report["fees"] == "0"
    assert report["maxDrawdown"] == "4.5"  # 0.03 held at cost 1497, marked at 1492.5


def test_a_move_beyond_the_circuit_breaker_is_a_halt_in_the_report() -> None:
    # 50050 -> 47000 within the move window: more than the 5 % allowed
    run = backtest(
        strategy(maxMovePercent="5", moveWindowSeconds="600", cooldownSeconds="3600"),
        ["50050", "49950", "47000", "46900", "46950"],
    )
    report = build_report(run)
    assert len(report.halts) == 1
    assert report.halts[0].since == T0 + timedelta(minutes=2)
    assert "move" in report.halts[0].reason
    # no entry after the halt: every buy placed before minute 2
    late_buys = [
        o
        for o in run.orders.values()
        if o.side.value == "BUY" and o.created_at >= T0 + timedelta(minutes=2)
    ]
    assert late_buys == []


def test_the_same_history_gives_the_same_run() -> None:
    first = backtest(strategy("neutral"), DOWN_THREE_AND_BACK * 3)
    second = backtest(strategy("neutral"), DOWN_THREE_AND_BACK * 3)
    assert to_json(build_report(first)) == to_json(build_report(second))
    assert [f.client_order_id for f in first.fills] == [f.client_order_id for f in second.fills]
    assert first.fills  # a neutral grid trades on this path too


def test_no_prices_is_an_error_not_an_empty_report() -> None:
    with pytest.raises(BacktestError, match="no prices"):
        backtest(strategy(), [])
