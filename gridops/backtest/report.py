"""What a backtest run amounts to: the figures of the summary table and of report.json.

Pure: computed from the run's samples, fills and orders only. Amounts are Decimals,
quantized to the symbol's precision when shown (quote amounts to the tick size, base
amounts to the step size), and strings in JSON.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from gridops.decimals import ZERO, fmt
from gridops.market_maker.domain.ids import parse_client_order_id, strategy_prefix
from gridops.models import Fill, Order

from .runner import Halt, Run, Sample

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Drawdown:
    amount: Decimal  #: quote, peak equity minus the lowest equity after it
    percent: Decimal  #: of that peak
    peak_at: datetime | None = None
    trough_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Report:
    strategy: str
    symbol: str
    mode: str
    start: datetime
    end: datetime
    points: int
    start_equity: Decimal
    end_equity: Decimal
    realized_pnl: Decimal  #: net of fees
    unrealized_pnl: Decimal
    fees: Decimal
    return_percent: Decimal
    max_drawdown: Drawdown
    round_trips: int
    fills: int
    orders_placed: int
    orders_rejected: int
    time_in_market_percent: Decimal
    final_position: Decimal
    last_price: Decimal
    halts: tuple[Halt, ...]
    quote_precision: Decimal
    base_precision: Decimal

    @property
    def total_pnl(self) -> Decimal:
        return self.realized_pnl + self.unrealized_pnl


def max_drawdown(start_equity: Decimal, samples: list[Sample]) -> Drawdown:
    """The largest fall of equity (start + realized + unrealized) from a previous peak."""
    peak, peak_at = start_equity, samples[0].time if samples else None
    worst = Drawdown(ZERO, ZERO)
    for sample in samples:
        value = start_equity + sample.realized_pnl + sample.unrealized_pnl
        if value > peak:
            peak, peak_at = value, sample.time
        fall = peak - value
        if fall > worst.amount:
            percent = fall / peak * HUNDRED if peak > 0 else ZERO
            worst = Drawdown(fall, percent, peak_at, sample.time)
    return worst


def round_trips(fills: list[Fill], orders: dict[str, Order], prefix: str) -> int:
    """Exit orders filled in full: each closes one entry at the next level, a profit."""
    filled: defaultdict[str, Decimal] = defaultdict(lambda: ZERO)
    for fill in fills:
        filled[fill.client_order_id] += fill.quantity
    count = 0
    for client_order_id, quantity in filled.items():
        parsed = parse_client_order_id(prefix, client_order_id)
        order = orders.get(client_order_id)
        if parsed is None or order is None:
            continue
        _, direction, _ = parsed
        if order.side is direction.exit_side and quantity >= order.quantity:
            count += 1
    return count


def time_in_market(samples: list[Sample]) -> Decimal:
    """Share of the time (by the data's clock) with a position open, in percent."""
    if len(samples) < 2:
        return ZERO
    held = ZERO
    total = ZERO
    for before, after in itertools.pairwise(samples):
        seconds = Decimal(str((after.time - before.time).total_seconds()))
        total += seconds
        if before.position != 0:
            held += seconds
    return held / total * HUNDRED if total else ZERO


def build_report(run: Run) -> Report:
    samples = run.samples
    if not samples:
        raise ValueError("a run without samples has no report")
    last = samples[-1]
    end_equity = run.start_equity + last.realized_pnl + last.unrealized_pnl
    pnl = last.realized_pnl + last.unrealized_pnl
    return Report(
        strategy=run.config.name,
        symbol=run.config.symbol,
        mode=str(run.config.grid.mode),
        start=samples[0].time,
        end=last.time,
        points=len(samples),
        start_equity=run.start_equity,
        end_equity=end_equity,
        realized_pnl=last.realized_pnl,
        unrealized_pnl=last.unrealized_pnl,
        fees=last.fees,
        return_percent=pnl / run.start_equity * HUNDRED if run.start_equity else ZERO,
        max_drawdown=max_drawdown(run.start_equity, samples),
        round_trips=round_trips(run.fills, run.orders, strategy_prefix(run.config.name)),
        fills=len(run.fills),
        orders_placed=len(run.orders),
        orders_rejected=run.rejected,
        time_in_market_percent=time_in_market(samples),
        final_position=last.position,
        last_price=last.price,
        halts=tuple(run.halts),
        quote_precision=run.rules.quote_precision,
        base_precision=run.rules.step_size,
    )


def _q(value: Decimal, precision: Decimal) -> str:
    return fmt(value.quantize(precision))


PERCENT = Decimal("0.01")


def to_json(report: Report) -> dict[str, Any]:
    """report.json: camelCase, amounts as decimal strings (BRIEF §2)."""
    quote, base = report.quote_precision, report.base_precision
    return {
        "strategy": report.strategy,
        "symbol": report.symbol,
        "mode": report.mode,
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "points": report.points,
        "startEquity": _q(report.start_equity, quote),
        "endEquity": _q(report.end_equity, quote),
        "realizedPnl": _q(report.realized_pnl, quote),
        "unrealizedPnl": _q(report.unrealized_pnl, quote),
        "totalPnl": _q(report.total_pnl, quote),
        "fees": _q(report.fees, quote),
        "returnPercent": _q(report.return_percent, PERCENT),
        "maxDrawdown": _q(report.max_drawdown.amount, quote),
        "maxDrawdownPercent": _q(report.max_drawdown.percent, PERCENT),
        "roundTrips": report.round_trips,
        "fills": report.fills,
        "ordersPlaced": report.orders_placed,
        "ordersRejected": report.orders_rejected,
        "timeInMarketPercent": _q(report.time_in_market_percent, PERCENT),
        "finalPosition": _q(report.final_position, base),
        "lastPrice": fmt(report.last_price),
        "halts": [
            {
                "since": halt.since.isoformat(),
                "until": halt.until.isoformat() if halt.until else None,
                "reason": halt.reason,
            }
            for halt in report.halts
        ],
    }


def summary_rows(report: Report) -> list[tuple[str, str]]:
    """The terminal table: (what, value) rows, amounts with their asset."""
    quote = report.symbol.split("/")[1]
    base = report.symbol.split("/")[0]
    qp, bp = report.quote_precision, report.base_precision
    drawdown = report.max_drawdown
    period = f"{report.start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M} UTC"
    held = f"{_q(report.final_position, bp)} {base} at {fmt(report.last_price)}"
    counts = f"{report.fills} / {report.orders_placed} / {report.orders_rejected}"
    capital = f"{_q(report.start_equity, qp)} {quote}"
    return [
        ("period", f"{period} ({report.points} samples)"),
        ("return", f"{_q(report.return_percent, PERCENT)} % of {capital}"),
        ("realized PnL (net of fees)", f"{_q(report.realized_pnl, qp)} {quote}"),
        ("unrealized PnL", f"{_q(report.unrealized_pnl, qp)} {quote} ({held})"),
        ("fees", f"{_q(report.fees, qp)} {quote}"),
        ("max drawdown", f"{_q(drawdown.amount, qp)} {quote} ({_q(drawdown.percent, PERCENT)} %)"),
        ("round trips", str(report.round_trips)),
        ("fills / orders placed / rejected", counts),
        ("time in market", f"{_q(report.time_in_market_percent, PERCENT)} %"),
        ("risk halts", _halts(report.halts)),
    ]  # fmt: skip


def _halts(halts: tuple[Halt, ...]) -> str:
    if not halts:
        return "0"
    first = halts[0]
    return f"{len(halts)} (first {first.since:%Y-%m-%d %H:%M}: {first.reason})"
