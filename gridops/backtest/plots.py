"""The backtest's plots: equity with drawdown, and price with the grid and its fills.

matplotlib is imported on first use, not at import: `gridops` starts without it (the CLI
imports this module), and a missing install is a BacktestError that says what to install.
Figures are drawn on matplotlib's `Figure` directly, never through pyplot: no GUI backend,
no global figure registry to leak between runs, so PNGs come from the Agg renderer even
where a display is configured.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from gridops.decimals import fmt
from gridops.models import Side

from .report import HUNDRED, Report
from .runner import BacktestError, Run

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: 1400 x 800 pixels: legible on a laptop screen and in a README
SIZE = (14.0, 8.0)
DPI = 100
#: above this many distinct order prices, only the levels inside the traded range are drawn
MAX_LEVELS = 60
INSTALL = "pip install 'gridops[backtest]'"


def new_figure() -> Figure:
    """An empty figure at the plots' size, or a BacktestError if matplotlib is missing."""
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise BacktestError(f"plots need matplotlib: {INSTALL}") from error
    return Figure(figsize=SIZE, dpi=DPI, layout="constrained")


# matplotlib.dates has no annotations (3.11 still): its three calls below are the only
# untyped ones in these plots, kept to these two functions.


def date_axis(axes: Axes) -> None:
    """Dates as short as they can be told apart (the data may span minutes or years)."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]


def date_numbers(times: Sequence[datetime]) -> list[float]:
    """matplotlib's date numbers: what its typed API takes for a time axis."""
    from matplotlib.dates import date2num

    return [float(number) for number in date2num(list(times))]  # type: ignore[no-untyped-call]


def write_plots(run: Run, report: Report, out_dir: Path) -> list[Path]:
    """Write equity.png and price.png into `out_dir`; return their paths."""
    if not run.samples:
        raise BacktestError("a run without samples has nothing to plot")
    equity_png = out_dir / "equity.png"
    price_png = out_dir / "price.png"
    _save(equity_figure(run, report), equity_png)
    _save(price_figure(run, report), price_png)
    return [equity_png, price_png]


def _save(figure: Figure, path: Path) -> None:
    figure.savefig(path, format="png", dpi=DPI)


def equity_curve(run: Run) -> list[Decimal]:
    """Equity at each sample, as the report measures it: start + realized + unrealized."""
    return [run.start_equity + s.realized_pnl + s.unrealized_pnl for s in run.samples]


def drawdown_percent(start: Decimal, equity: Sequence[Decimal]) -> list[float]:
    """Each value's distance below the running peak, in percent (0 or negative).

    The peak starts at the start equity, as in report.max_drawdown, so the panel's lowest
    point is the report's max drawdown percent."""
    peak = start
    fall: list[float] = []
    for value in equity:
        peak = max(peak, value)
        fall.append(float((value - peak) / peak * HUNDRED) if peak > 0 else 0.0)
    return fall


def equity_figure(run: Run, report: Report) -> Figure:
    figure = new_figure()
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    times = date_numbers([sample.time for sample in run.samples])
    equity = equity_curve(run)
    quote = report.symbol.split("/")[1]
    top.plot(times, [float(value) for value in equity], color="tab:blue", lw=1.3, label="equity")
    top.axhline(float(run.start_equity), color="grey", lw=0.8, ls="--", label="start equity")
    # plain numbers: equity near 100,000 would otherwise read "+1e5" above the axis
    top.ticklabel_format(axis="y", style="plain", useOffset=False)
    top.set_ylabel(f"equity ({quote})")
    top.grid(alpha=0.3)
    top.legend(loc="upper left")
    top.set_title(_equity_title(report, run.rules.tick_size))
    fall = drawdown_percent(run.start_equity, equity)
    bottom.fill_between(times, fall, 0.0, color="tab:red", alpha=0.4, lw=0)
    bottom.plot(times, fall, color="tab:red", lw=0.8)
    bottom.set_ylabel("drawdown (%)")
    bottom.set_ylim(top=0.0)
    bottom.grid(alpha=0.3)
    date_axis(bottom)
    return figure


def _equity_title(report: Report, tick: Decimal) -> str:
    # a title reads amounts at the price's tick; report.json keeps the exact figures
    quote = report.symbol.split("/")[1]
    drawdown = report.max_drawdown
    return (
        f"{report.strategy} · {report.symbol} ({report.mode}): "
        f"return {_pct(report.return_percent)} %, "
        f"max drawdown {fmt(drawdown.amount.quantize(tick))} {quote} "
        f"({_pct(drawdown.percent)} %)"
    )


def _pct(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def grid_levels(run: Run) -> list[Decimal]:
    """The distinct prices of the orders the exchange accepted: the grid as it was laid.

    A long run over a trending market lays hundreds of levels; drawn all, they hide the
    price. Above MAX_LEVELS only those inside the traded range are kept."""
    levels = sorted({order.price for order in run.orders.values()})
    if len(levels) <= MAX_LEVELS:
        return levels
    traded = [s.price for s in run.samples] + [fill.price for fill in run.fills]
    low, high = min(traded), max(traded)
    return [level for level in levels if low <= level <= high]


def price_figure(run: Run, report: Report) -> Figure:
    figure = new_figure()
    axes = figure.subplots()
    levels = grid_levels(run)
    for index, level in enumerate(levels):
        label = f"grid levels ({len(levels)})" if index == 0 else "_nolegend_"
        axes.axhline(float(level), color="0.75", lw=0.5, zorder=1, label=label)
    times = date_numbers([sample.time for sample in run.samples])
    prices = [float(sample.price) for sample in run.samples]
    axes.plot(times, prices, color="tab:blue", lw=1.0, zorder=2, label="price")
    buys, sells = _fill_points(run, Side.BUY), _fill_points(run, Side.SELL)
    size = 40 if len(run.fills) <= 300 else 14  # thousands of big markers become a smear
    axes.scatter(*buys, marker="^", color="tab:green", s=size, zorder=3, label="buy fill")
    axes.scatter(*sells, marker="v", color="tab:red", s=size, zorder=3, label="sell fill")
    axes.ticklabel_format(axis="y", style="plain", useOffset=False)
    axes.set_ylabel(f"price ({report.symbol.split('/')[1]})")
    axes.set_title(
        f"{report.strategy} · {report.symbol}: price, grid levels and fills "
        f"({len(buys[0])} buys, {len(sells[0])} sells)"
    )
    axes.legend(loc="upper left")
    date_axis(axes)
    return figure


def _fill_points(run: Run, side: Side) -> tuple[list[float], list[float]]:
    fills = [fill for fill in run.fills if fill.side is side]
    return date_numbers([fill.time for fill in fills]), [float(fill.price) for fill in fills]
