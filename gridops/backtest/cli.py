"""`gridops backtest`: the command line around the runner (BRIEF §2, docs/backtest.md)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # the modules load when the command runs: `gridops --help` stays fast
    from collections.abc import Sequence

    from gridops.spec import StrategyConfig

    from .data import PricePoint
    from .report import Report
    from .runner import MarketRules, Run

METRICS = ("returnPercent", "realizedPnl", "roundTrips", "maxDrawdown", "fees")


class UsageError(Exception):
    """A flag or file that cannot be used: `gridops backtest: <message>`, exit 2."""


def _decimal(text: str, flag: str, *, positive: bool = True) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise UsageError(f"{flag} {text!r}: not a decimal number") from None
    if not value.is_finite() or (value <= 0 if positive else value < 0):
        raise UsageError(f"{flag} {text}: must be {'above' if positive else 'at least'} 0")
    return value


def _balances(items: list[str]) -> dict[str, Decimal]:
    balances: dict[str, Decimal] = {}
    for item in items:
        asset, sep, amount = item.partition("=")
        if not sep or not asset.strip():
            raise UsageError(f"--balance {item!r}: expected ASSET=AMOUNT, e.g. USDT=10000")
        balances[asset.strip().upper()] = _decimal(amount, "--balance", positive=False)
    return balances


class _Progress:
    """One line on stderr, rewritten: only on a terminal (a log file gets nothing)."""

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream = stream
        self.label = label
        self.started = time.monotonic()
        self.enabled = stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        width = 30
        filled = width * done // max(total, 1)
        bar = "#" * filled + "-" * (width - filled)
        elapsed = time.monotonic() - self.started
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total} {elapsed:.1f}s")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def _table(rows: list[tuple[str, str]]) -> str:
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"  {label:<{width}}  {value}" for label, value in rows)


def run(ns: argparse.Namespace) -> None:
    try:
        _run(ns)
    except UsageError as error:
        print(f"gridops backtest: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def _run(ns: argparse.Namespace) -> None:
    from gridops.market_maker.config import ConfigError, load_config

    from .data import CandlePath, DataError, read_prices
    from .report import build_report, summary_rows, to_json
    from .runner import BacktestError, MarketRules, run_backtest

    # The engine logs every order for an operator; over a month of history that is
    # noise (the report counts them). Warnings and errors still show.
    logging.getLogger("gridops").setLevel(max(logging.WARNING, logging.getLogger().level))
    logging.getLogger("gridops.market_maker.actions").setLevel(logging.ERROR)
    try:
        config = load_config(ns.config)
    except ConfigError as error:
        raise UsageError(str(error)) from None
    rules = MarketRules(
        tick_size=_decimal(ns.tick_size, "--tick-size"),
        step_size=_decimal(ns.step_size, "--step-size"),
        min_notional=_decimal(ns.min_notional, "--min-notional", positive=False),
        maker_fee=_decimal(ns.fee, "--fee", positive=False),
        taker_fee=_decimal(ns.fee, "--fee", positive=False),
        balances=_balances(ns.balance),
    )
    if ns.tick_seconds <= 0:
        raise UsageError(f"--tick-seconds {ns.tick_seconds}: must be above 0")
    if ns.out is not None:  # before the run: a bad --out must not cost the run
        try:
            ns.out.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            reason = error.strerror or error
            raise UsageError(f"--out {ns.out}: cannot create it: {reason}") from None
    started = time.monotonic()
    try:
        series = read_prices(
            ns.data,
            candle_path=CandlePath(ns.candle_path),
            mode=str(config.grid.mode),
            verify_checksums=not ns.no_verify_checksums,
        )
    except DataError as error:
        raise UsageError(str(error)) from None
    if not series.points:
        raise UsageError("--data: no prices in the files given")
    read_in = time.monotonic() - started
    print(
        f"gridops backtest: {config.name} ({config.symbol}, {config.grid.mode} grid, "
        f"{config.grid.price_interval} apart, {config.grid.order_quantity} each) over "
        f"{len(series.points)} prices from {', '.join(series.formats)} "
        f"(read in {read_in:.1f}s; candle path: {ns.candle_path})"
    )
    for gap in series.gaps[:5]:
        print(
            f"  gap in the data: {gap.seconds:.0f}s from {gap.after:%Y-%m-%d %H:%M} "
            f"to {gap.before:%Y-%m-%d %H:%M} ({gap.source})"
        )
    if len(series.gaps) > 5:
        print(f"  ... and {len(series.gaps) - 5} more gaps")
    if ns.sweep:
        _sweep(ns, config, series.points, rules)
        return
    progress = _Progress(sys.stderr, "backtest")
    try:
        result = asyncio.run(
            run_backtest(
                config, series.points, rules, tick_seconds=ns.tick_seconds, progress=progress
            )
        )
    except BacktestError as error:
        raise UsageError(str(error)) from None
    report = build_report(result)
    took = time.monotonic() - started
    print(_table(summary_rows(report)))
    print(f"  {'ran in':<32}  {took:.1f}s ({len(series.points) / max(took, 1e-9):,.0f} prices/s)")
    if ns.out is not None:
        _write(ns.out, result, report, to_json(report))


def _write(out: Path, result: Run, report: Report, data: dict[str, object]) -> None:
    from .fills_csv import write_fills_csv
    from .plots import write_plots
    from .runner import BacktestError

    (out / "report.json").write_text(json.dumps(data, indent=2) + "\n")
    write_fills_csv(result, out / "fills.csv")
    written = [out / "report.json", out / "fills.csv"]
    try:
        written += write_plots(result, report, out)
    except BacktestError as error:
        print(f"gridops backtest: no plots: {error}", file=sys.stderr)
    print("  wrote " + ", ".join(str(path) for path in written))


def _sweep(
    ns: argparse.Namespace,
    config: StrategyConfig,
    points: Sequence[PricePoint],
    rules: MarketRules,
) -> None:
    from .sweep import combinations, parse_sweep, rank, run_sweep, table_rows, write_heatmap

    try:
        spec = parse_sweep(ns.sweep)
        combos = combinations(config, spec)
    except ValueError as error:
        raise UsageError(f"--sweep: {error}") from None
    processes = ns.processes or os.cpu_count() or 1
    print(f"  sweeping {len(combos)} combinations in {processes} processes, ranked by {ns.rank_by}")
    progress = _Progress(sys.stderr, "sweep")
    results = run_sweep(
        combos,
        points,
        rules,
        processes=processes,
        tick_seconds=ns.tick_seconds,
        progress=progress,
    )
    ranked = rank(results, ns.rank_by)
    for row in table_rows(ranked, ns.rank_by, 20):
        print("  " + "  ".join(row))
    if ns.out is not None:
        (ns.out / "sweep.json").write_text(
            json.dumps([r.to_json() for r in ranked], indent=2) + "\n"
        )
        write_heatmap(ranked, spec, ns.rank_by, ns.out / "sweep.png")
        print(f"  wrote {ns.out / 'sweep.json'}, {ns.out / 'sweep.png'}")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backtest = sub.add_parser(
        "backtest",
        help="the live engine replayed over historical prices",
        description="Run a strategy file's grid, with the market maker's own engine, over "
        "historical prices on the simulated exchange, on the data's clock (nothing "
        "sleeps). Prints a summary; with --out writes report.json, fills.csv and plots. "
        "See docs/backtest.md.",
    )
    backtest.add_argument(
        "--config", type=Path, required=True, metavar="FILE", help="strategy file (YAML)"
    )
    backtest.add_argument(
        "--data",
        type=Path,
        nargs="+",
        required=True,
        metavar="FILE",
        help="Binance public-data kline or aggTrades CSV (zipped or not; a FILE.CHECKSUM "
        "beside it is verified), or a timestamp,price CSV; several files make one series",
    )
    backtest.add_argument("--out", type=Path, metavar="DIR", help="write the report files here")
    backtest.add_argument(
        "--candle-path",
        choices=["nearest", "ohlc", "olhc", "pessimistic"],
        default="nearest",
        help="order of a candle's high and low (default nearest: the extreme nearer the "
        "open first; pessimistic: no round trip inside a candle)",
    )
    backtest.add_argument(
        "--balance",
        action="append",
        default=[],
        metavar="ASSET=AMOUNT",
        help="starting balance (repeatable); default 100000 of the quote asset, plus that "
        "much in base for short and neutral grids",
    )
    backtest.add_argument("--fee", default="0.001", help="maker and taker fee rate (0.001)")
    backtest.add_argument("--tick-size", default="0.01", help="price tick (default 0.01)")
    backtest.add_argument("--step-size", default="0.00001", help="quantity step (default 0.00001)")
    backtest.add_argument(
        "--min-notional", default="5", help="smallest order value in quote (default 5)"
    )
    backtest.add_argument(
        "--tick-seconds",
        type=float,
        default=60.0,
        help="data-time seconds between the engine's periodic checks and samples (60)",
    )
    backtest.add_argument(
        "--no-verify-checksums", action="store_true", help="skip FILE.CHECKSUM checks"
    )
    backtest.add_argument(
        "--sweep",
        metavar="SPEC",
        help="run a grid of parameters, e.g. 'priceInterval=100,150,200;buyWindow=3,5'",
    )
    backtest.add_argument(
        "--rank-by", choices=METRICS, default="returnPercent", help="sweep ranking metric"
    )
    backtest.add_argument(
        "--processes", type=int, default=0, help="sweep worker processes (default: CPUs)"
    )
    backtest.set_defaults(run=run)
