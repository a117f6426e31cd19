"""fills.csv from a real backtest run: one row per fill, exact header, decimal strings."""

from __future__ import annotations

import asyncio
import csv
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from gridops.backtest.data import PricePoint
from gridops.backtest.fills_csv import HEADER, write_fills_csv
from gridops.backtest.runner import MarketRules, Run, run_backtest

from .support import START, strategy, swing


@pytest.fixture(scope="module")
def run() -> Run:
    # a fee rate with more digits than the tick: the fee column must keep them
    rules = MarketRules(maker_fee=Decimal("0.00075"))
    return asyncio.run(run_backtest(strategy(), swing(), rules))


def _read(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as source:
        return list(csv.reader(source))


def test_one_row_per_fill_under_the_exact_header(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "fills.csv"
    write_fills_csv(run, path)
    header, *rows = _read(path)
    assert header == [
        "time",
        "clientOrderId",
        "side",
        "price",
        "quantity",
        "fee",
        "feeAsset",
        "maker",
    ]
    assert list(HEADER) == header
    assert len(run.fills) > 10  # the path swings through the grid: a test with fills
    assert len(rows) == len(run.fills)


def test_rows_round_trip_to_the_fills(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "fills.csv"
    write_fills_csv(run, path)
    _, *rows = _read(path)
    for row, fill in zip(rows, run.fills, strict=True):
        time, client_order_id, side, price, quantity, fee, fee_asset, maker = row
        assert datetime.fromisoformat(time) == fill.time
        assert time.endswith("+00:00")
        assert (client_order_id, side, fee_asset) == (fill.client_order_id, fill.side.value, "USDT")
        assert Decimal(price) == fill.price
        assert Decimal(quantity) == fill.quantity
        assert Decimal(fee) == fill.fee  # exact, not rounded to the tick
        assert maker == "true"
        assert "E" not in price + quantity + fee.upper()
    fees = sum((Decimal(row[5]) for row in rows), Decimal(0))
    assert fees == sum((fill.fee for fill in run.fills), Decimal(0))
    assert any(Decimal(row[5]) != Decimal(row[5]).quantize(Decimal("0.01")) for row in rows)


def test_prices_and_quantities_are_quantized_to_the_rules(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "fills.csv"
    write_fills_csv(run, path)
    _, *rows = _read(path)
    for row in rows:
        assert Decimal(row[3]) == Decimal(row[3]).quantize(Decimal("0.01"))  # the tick
        assert Decimal(row[4]) == Decimal(row[4]).quantize(Decimal("0.00001"))  # the step


def test_a_run_without_fills_writes_the_header_only(tmp_path: Path) -> None:
    flat = [PricePoint(START + timedelta(minutes=i), Decimal("30050")) for i in range(5)]
    run = asyncio.run(run_backtest(strategy(), flat, MarketRules()))
    path = tmp_path / "fills.csv"
    write_fills_csv(run, path)
    assert _read(path) == [list(HEADER)]
