"""fills.csv: every fill of a backtest run, one row each, for a spreadsheet or pandas.

Amounts are decimal strings, never floats: prices at the symbol's tick size, quantities at
its step size, fees exact (a fee is a rate times a notional and has more digits than the
tick; rounding it would make the column not add up to the report's fees).
"""

from __future__ import annotations

import csv
from datetime import UTC
from pathlib import Path

from gridops.decimals import fmt
from gridops.models import Fill

from .runner import MarketRules, Run

HEADER = ("time", "clientOrderId", "side", "price", "quantity", "fee", "feeAsset", "maker")


def fill_row(fill: Fill, rules: MarketRules) -> list[str]:
    return [
        fill.time.astimezone(UTC).isoformat(),
        fill.client_order_id,
        fill.side.value,
        fmt(fill.price.quantize(rules.tick_size)),
        fmt(fill.quantity.quantize(rules.step_size)),
        fmt(fill.fee),
        fill.fee_asset,
        "true" if fill.maker else "false",
    ]


def write_fills_csv(run: Run, path: Path) -> None:
    """Write `run`'s fills in the order the exchange made them."""
    # newline="": the csv module writes its own line endings (RFC 4180's \r\n)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(fill_row(fill, run.rules) for fill in run.fills)
