"""`python -m bench`: run benchmarks, print the table, write JSON and plots."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from . import (
    backtest,
    fanout,
    fencing,
    load,
    memory,
    reconcile,
    simstate,
    soak,
    ticks,
    unary,
    venue,
)
from .machine import load_average, machine_info
from .plots import all_plots
from .report import RESULTS, Result, table, write

ORDER = (
    "unary", "fencing", "fanout", "load", "memory", "engine", "reconcile", "simstate", "venue",
    "backtest",
)  # fmt: skip
SOAK_DEFAULT = 300.0
DOCS_IMG = Path(__file__).resolve().parents[1] / "docs" / "img"


def _plan(args: argparse.Namespace) -> dict[str, Callable[[], Awaitable[Result]]]:
    """Each benchmark at its full size, or at smoke size with --quick."""
    q = args.quick
    plan: dict[str, Callable[[], Awaitable[Result]]] = {
        "unary": lambda: (
            unary.run(samples=200, warmup=50, block=100)
            if q
            else unary.run(uvloop_server=args.uvloop)
        ),
        "fencing": lambda: (
            fencing.run(samples=200, warmup=50, block=100, check_calls=10_000)
            if q
            else fencing.run()
        ),
        "fanout": lambda: fanout.run({1: 200, 10: 50, 100: 10} if q else None, args.uvloop),
        "load": lambda: load.run(duration=2, warmup=0.5) if q else load.run(args.duration),
        "memory": lambda: (
            memory.run(duration=2, warmup=1) if q else memory.run(args.memory_seconds)
        ),
        "engine": lambda: ticks.run(2_000 if q else args.ticks),
        "reconcile": lambda: reconcile.run((10, 50), repeats=1) if q else reconcile.run(),
        "simstate": lambda: (
            simstate.run(fills=400, window=100, workers=4) if q else simstate.run(args.sim_fills)
        ),
        "venue": lambda: venue.run(samples=20, burst=20, pause=0) if q else venue.run(),
        "backtest": lambda: backtest.run(weeks=1, live_ticks=2_000) if q else backtest.run(),
    }
    chosen = args.benchmarks or list(ORDER)
    selected = {name: plan[name] for name in ORDER if name in chosen}
    # `--soak S` adds a soak to whatever runs; naming `soak` alone runs only the soak.
    seconds = args.soak or (SOAK_DEFAULT if "soak" in chosen else 0.0)
    if seconds:
        selected["soak"] = lambda: soak.run(4.5 if q else seconds)
    return selected


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("benchmarks", nargs="*", metavar="BENCHMARK",
                        help=f"which to run (default: all of {', '.join(ORDER)}; "
                        "'soak' alone: only the soak, 300 s unless --soak)")  # fmt: skip
    parser.add_argument("--duration", type=float, default=60.0,
                        help="seconds of the 15-client load case (the seed's: 300)")  # fmt: skip
    parser.add_argument("--memory-seconds", type=float, default=60.0)
    parser.add_argument("--ticks", type=int, default=100_000, help="engine benchmark ticks")
    parser.add_argument("--sim-fills", type=int, default=100_000,
                        help="fills of the simstate benchmark (--sim-state)")  # fmt: skip
    parser.add_argument("--soak", type=float, default=0.0, metavar="SECONDS",
                        help="also run a bounded soak this long")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--uvloop", action="store_true",
                        help="servers under test on uvloop (if installed)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    parser.add_argument("--no-plots", action="store_true")
    parser.add_argument("--publish", action="store_true",
                        help="also copy the PNGs to docs/img (for docs/benchmarks.md)")  # fmt: skip
    args = parser.parse_args(argv)
    unknown = sorted(set(args.benchmarks) - {*ORDER, "soak"})
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(ORDER)}")
    return args


async def run_all(args: argparse.Namespace) -> dict[str, Result]:
    results: dict[str, Result] = {}
    for name, start in _plan(args).items():
        before = load_average()
        began = time.perf_counter()
        print(f"== {name} (load average {before}) ...", flush=True)
        result = await start()
        result.params["wall_seconds"] = round(time.perf_counter() - began, 1)
        results[name] = result
        path = write(result, args.out, before)
        print(table([result]))
        if name == "fencing":
            print(fencing.side_by_side(result))
        print(f"   -> {path}\n", flush=True)
    return results


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    started = time.perf_counter()
    results = asyncio.run(run_all(args))
    print("== summary")
    print(table(list(results.values())))
    summary = {
        "machine": machine_info(),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "figures": {name: [f.as_dict() for f in r.figures] for name, r in results.items()},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    if not args.no_plots:
        for path in all_plots(results, args.out):
            print(f"plot: {path}")
            if args.publish:
                DOCS_IMG.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, DOCS_IMG / path.name)
    misses = [f.label for r in results.values() for f in r.figures if f.ok is False]
    print(f"machine: {summary['machine']}")
    print(f"{len(misses)} target(s) missed" + (f": {', '.join(misses)}" if misses else ""))
    print(f"total {summary['wall_seconds']} s")
    sys.stdout.flush()
    gates = [f.label for r in results.values() for f in r.figures if f.gate and f.ok is False]
    if gates:
        print(f"gate(s) missed, the run fails: {', '.join(gates)}", file=sys.stderr)
        raise SystemExit(1)
