"""`gridops backtest` as a trader runs it: docs/backtest.md's worked example, and bad input."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "examples" / "backtest" / "btc-grid.yaml"
DATA = REPO / "examples" / "backtest" / "BTCUSDT-1m-sample.csv"
PNG = b"\x89PNG\r\n\x1a\n"

pytestmark = pytest.mark.timeout(180)


def backtest(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gridops", "backtest", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=150,
        cwd=cwd,
    )


def test_the_documented_example_runs_in_under_a_minute_and_writes_its_files(
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    done = backtest("--config", CONFIG, "--data", DATA, "--out", tmp_path / "out")
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert took < 60, f"the worked example took {took:.0f} s"
    assert "Traceback" not in done.stderr
    for label in ("return", "realized PnL (net of fees)", "fees", "max drawdown", "round trips",
                  "time in market", "risk halts"):  # fmt: skip
        assert f"  {label} " in done.stdout, done.stdout

    out = tmp_path / "out"
    report = json.loads((out / "report.json").read_text())
    for key in ("realizedPnl", "fees", "maxDrawdown", "returnPercent", "unrealizedPnl"):
        assert isinstance(report[key], str), key
        Decimal(report[key])  # a decimal string, never a float
    assert report["roundTrips"] > 10
    assert report["fills"] >= 2 * report["roundTrips"] - 10
    assert report["start"].startswith("2024-01-01T00:00")
    # every round trip sells one level (250) above its buy, 0.01 BTC: 2.50; realized is
    # net of every fee paid, the held entries' too
    gross = Decimal("2.5") * report["roundTrips"]
    assert Decimal(report["realizedPnl"]) == gross - Decimal(report["fees"])
    with (out / "fills.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == report["fills"]
    assert sum(Decimal(r["fee"]) for r in rows) == Decimal(report["fees"])
    for name in ("equity.png", "price.png"):
        assert (out / name).read_bytes()[:8] == PNG, name


def test_the_pessimistic_candle_path_completes_fewer_round_trips_than_the_other_order(
    tmp_path: Path,
) -> None:
    # levels 30 apart: inside the range of many one-minute candles, so the order of a
    # candle's high and low decides fills (250 apart, as in the example, it rarely does)
    config = tmp_path / "fine.yaml"
    config.write_text(
        CONFIG.read_text()
        .replace('priceInterval: "250"', 'priceInterval: "30"')
        .replace('orderQuantity: "0.01"', 'orderQuantity: "0.001"')
    )
    reports = {}
    # for a long grid pessimistic is high first; the other order, low first, lets a buy at
    # the low and its sell at the high both fill inside one candle
    for path in ("olhc", "pessimistic"):
        done = backtest("--config", config, "--data", DATA, "--candle-path", path,
                        "--out", tmp_path / path)  # fmt: skip
        assert done.returncode == 0, done.stderr
        reports[path] = json.loads((tmp_path / path / "report.json").read_text())
    assert reports["pessimistic"]["roundTrips"] < reports["olhc"]["roundTrips"], reports


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "/nonexistent/prices.csv"], "/nonexistent/prices.csv: no such file"),
        (["--fee", "cheap"], "--fee 'cheap': not a decimal number"),
        (["--balance", "USDT"], "--balance 'USDT': expected ASSET=AMOUNT"),
        (["--out", "/proc/gridops-backtest"], "--out /proc/gridops-backtest: cannot create it"),
    ],
)
def test_bad_input_exits_2_naming_it(args: list[str], message: str) -> None:
    base = {"--config": str(CONFIG), "--data": str(DATA)}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    done = backtest(*[part for pair in base.items() for part in pair])
    assert done.returncode == 2, done.stdout
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_row_is_named_by_file_and_line(tmp_path: Path) -> None:
    data = tmp_path / "prices.csv"
    data.write_text("timestamp,price\n2024-01-01T00:00:00Z,50000\n2024-01-01T00:01:00Z,-3\n")
    done = backtest("--config", CONFIG, "--data", data)
    assert done.returncode == 2
    assert f"{data}:3:" in done.stderr


def test_a_bad_strategy_field_is_named(tmp_path: Path) -> None:
    config = tmp_path / "grid.yaml"
    config.write_text(CONFIG.read_text().replace('priceInterval: "250"', 'priceInterval: "-1"'))
    done = backtest("--config", config, "--data", DATA)
    assert done.returncode == 2
    assert "grid.priceInterval" in done.stderr


def test_a_sweep_ranks_its_combinations_and_writes_the_heat_map(tmp_path: Path) -> None:
    done = backtest("--config", CONFIG, "--data", DATA, "--sweep", "priceInterval=150,250",
                    "--rank-by", "realizedPnl", "--processes", "2", "--out", tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    ranked = json.loads((tmp_path / "sweep.json").read_text())
    assert sorted(r["overrides"]["priceInterval"] for r in ranked) == ["150", "250"]
    values = [Decimal(r["report"]["realizedPnl"]) for r in ranked]
    assert len(values) == 2
    assert values == sorted(values, reverse=True)
    assert (tmp_path / "sweep.png").read_bytes()[:8] == PNG
    assert "priceInterval" in done.stdout
