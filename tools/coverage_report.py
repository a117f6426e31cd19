"""Print the unit tier's coverage by area, and hold the pure layers to their floor.

`make unit` runs the unit tests under pytest-cov, then this. Two figures:

- all code: what the unit tier alone executes. Servers, the CLI, the operator's kopf
  handlers and the ccxt transport are tested in real processes by the integration and
  E2E tiers, which this does not see, so it is printed, not held to a floor;
- the pure layers: the modules the import-layer contracts (pyproject.toml) keep free of
  I/O, plus the durable store and the operator's manifests and conditions. They are what
  the unit tier is for, and hold every money-and-state rule (grid slots, risk, rounding,
  fencing, reconcile planning): at least FLOOR percent, or this exits 1.

Usage: python tools/coverage_report.py [--data-file .coverage]
"""

from __future__ import annotations

import argparse
import io
import sys
from collections import defaultdict
from pathlib import Path

import coverage

FLOOR = 80.0

PURE_LAYERS = [
    "gridops/decimals.py",
    "gridops/errors.py",
    "gridops/grpc_status.py",
    "gridops/lograte.py",
    "gridops/models.py",
    "gridops/order_ids.py",
    "gridops/precision.py",
    "gridops/retry.py",
    "gridops/wire.py",
    "gridops/spec/*",
    "gridops/simexchange/*",
    "services/market_maker/domain/*",
    "services/market_maker/store/*",
    "services/connector/fencing.py",
    "services/connector/sim/*",
    "services/connector/ccxt/convert.py",
    "services/connector/ccxt/endpoints.py",
    "services/connector/ccxt/index.py",
    "services/connector/ccxt/markets.py",
    "services/connector/ccxt/polling.py",
    "services/venue/audit.py",
    "services/venue/binance_json.py",
    "services/venue/errors.py",
    "services/venue/events_json.py",
    "services/venue/rules.py",
    "services/venue/signing.py",
    "services/venue/venue.py",
    "services/venue/weights.py",
    "operator/*",
    "gridops/backtest/data.py",
    "gridops/backtest/report.py",
]
# the operator's I/O: kopf handlers, the API client, HTTP to the engines
NOT_PURE = [
    "operator/handlers.py",
    "operator/main.py",
    "operator/kube.py",
    "operator/engine_http.py",
]


def _area(path: str) -> str:
    parts = Path(path).parts
    return "/".join(parts[:3]) if len(parts) > 3 else "/".join(parts[:2])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-file", default=".coverage")
    ns = parser.parse_args()
    if not Path(ns.data_file).exists():
        print(
            f"coverage: no data file {ns.data_file}: run the unit tests with --cov", file=sys.stderr
        )
        return 2
    cov = coverage.Coverage(data_file=ns.data_file)
    cov.load()
    root = Path.cwd()
    statements: dict[str, int] = defaultdict(int)
    missing: dict[str, int] = defaultdict(int)
    for measured in cov.get_data().measured_files():
        try:
            path = Path(measured).resolve().relative_to(root).as_posix()
        except ValueError:
            continue
        _, executable, _, not_run, _ = cov.analysis2(measured)
        statements[_area(path)] += len(executable)
        missing[_area(path)] += len(not_run)

    print("coverage of the unit tier, by area not fully covered (statements, missed, covered):")
    for area in sorted(
        statements, key=lambda a: (statements[a] - missing[a]) / max(statements[a], 1)
    ):
        total = statements[area]
        if not missing[area]:
            continue
        share = 100.0 * (total - missing[area]) / total if total else 100.0
        print(f"  {area:<44} {total:>6} {missing[area]:>6} {share:>6.1f} %")
    quiet = io.StringIO()
    everything = cov.report(file=quiet)
    pure = cov.report(include=PURE_LAYERS, omit=NOT_PURE, file=quiet)
    print(f"coverage: all code {everything:.1f} % (the integration and E2E tiers test the rest)")
    print(f"coverage: the pure layers {pure:.1f} % (floor {FLOOR:.0f} %)")
    if pure < FLOOR:
        print(f"coverage: the pure layers are below {FLOOR:.0f} %", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
