"""The plots from a real backtest run: valid PNGs of the expected size, and the figures
they are drawn from (drawdown, grid levels) right."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from matplotlib.image import imread

from gridops.backtest import plots
from gridops.backtest.report import build_report
from gridops.backtest.runner import BacktestError, MarketRules, Run, run_backtest

from .support import PNG_SIGNATURE, strategy, swing


@pytest.fixture(scope="module")
def run() -> Run:
    return asyncio.run(run_backtest(strategy(), swing(), MarketRules()))


def test_writes_two_valid_pngs_of_about_1400_by_800(run: Run, tmp_path: Path) -> None:
    paths = plots.write_plots(run, build_report(run), tmp_path)
    assert [path.name for path in paths] == ["equity.png", "price.png"]
    for path in paths:
        assert path.read_bytes()[:8] == PNG_SIGNATURE
        height, width = imread(path).shape[:2]
        assert 1300 <= width <= 1500, path
        assert 700 <= height <= 900, path


def test_drawdown_panel_bottoms_at_the_reports_max_drawdown(run: Run) -> None:
    report = build_report(run)
    fall = plots.drawdown_percent(run.start_equity, plots.equity_curve(run))
    assert len(fall) == len(run.samples)
    assert max(fall) == 0.0
    assert min(fall) == pytest.approx(-float(report.max_drawdown.percent))
    assert report.max_drawdown.percent > 0  # the path has a drawdown to show


def test_grid_levels_are_the_accepted_orders_distinct_prices(run: Run) -> None:
    levels = plots.grid_levels(run)
    assert levels == sorted({order.price for order in run.orders.values()})
    assert len(levels) <= plots.MAX_LEVELS


def test_many_levels_keep_only_those_in_the_traded_range(run: Run) -> None:
    template = next(iter(run.orders.values()))
    far = {
        f"far-{k}": replace(template, client_order_id=f"far-{k}", price=Decimal(10_000 + 10 * k))
        for k in range(plots.MAX_LEVELS + 1)
    }
    wide = replace(run, orders={**run.orders, **far})
    levels = plots.grid_levels(wide)
    low = min(s.price for s in run.samples)
    high = max(s.price for s in run.samples)
    assert len(levels) < len(plots.grid_levels(run)) + len(far)
    assert all(low <= level <= high for level in levels)
    assert levels == [level for level in plots.grid_levels(run) if low <= level <= high]


def test_missing_matplotlib_is_a_backtest_error_saying_what_to_install(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # None in sys.modules makes the import fail as if matplotlib were not installed
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(BacktestError, match=r"matplotlib.*pip install 'gridops\[backtest\]'"):
        plots.write_plots(run, build_report(run), tmp_path)
    assert not list(tmp_path.iterdir())


def test_a_run_without_samples_is_refused(run: Run, tmp_path: Path) -> None:
    empty = replace(run, samples=[])
    with pytest.raises(BacktestError, match="nothing to plot"):
        plots.write_plots(empty, build_report(run), tmp_path)


def test_importing_the_module_does_not_import_matplotlib() -> None:
    # a fresh interpreter: this test process has matplotlib loaded already
    code = "import sys, gridops.backtest.plots; print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
