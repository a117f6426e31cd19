"""Smoke runs of every benchmark at tiny sizes: each must finish and produce figures.

No figure is checked against its target here: that depends on the machine and its load
(see docs/benchmarks.md). These only keep the suite runnable as the code changes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable
from pathlib import Path

import pytest

from bench import (
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
from bench.report import Result, table, write

pytestmark = [pytest.mark.bench, pytest.mark.timeout(120)]


def _check(result: Result, tmp_path: Path) -> None:
    assert result.figures, f"{result.name} produced no figures"
    assert all(not math.isnan(f.value) for f in result.figures), table([result])
    path = write(result, tmp_path, [0.0, 0.0, 0.0])
    saved = json.loads(path.read_text())
    assert saved["machine"]["cpu_count"]
    assert saved["machine"]["grpcio"]
    assert len(saved["figures"]) == len(result.figures)


async def _smoke(run: Awaitable[Result], tmp_path: Path) -> Result:
    result = await run
    _check(result, tmp_path)
    return result


async def test_unary(tmp_path: Path) -> None:
    result = await _smoke(unary.run(samples=50, warmup=10, block=25), tmp_path)
    assert result.details["get_account"]["n"] == 50


async def test_fencing(tmp_path: Path) -> None:
    result = await _smoke(fencing.run(samples=50, warmup=10, block=25, check_calls=1_000), tmp_path)
    assert result.details["open"]["n"] == result.details["held"]["n"] == 50
    assert result.details["token_less_call_refused"] is True
    gate = next(f for f in result.figures if f.gate)
    assert (gate.label, gate.target) == ("fencing adds to PlaceOrder p50", 20.0)
    shown = fencing.side_by_side(result)
    assert "no token, no claim" in shown
    assert "claimed, with token" in shown


def test_a_missed_gate_fails_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench import cli

    async def missed() -> Result:
        result = Result("gated")
        result.add("within the bound", 30.0, "us", 20.0, gate=True)
        result.add("a figure that only reports", 30.0, "us", 20.0)
        return result

    async def reported_only() -> Result:
        result = Result("reported")
        result.add("a figure that only reports", 30.0, "us", 20.0)
        return result

    args = ["--no-plots", "--out", str(tmp_path)]
    monkeypatch.setattr(cli, "_plan", lambda _: {"gated": missed})
    with pytest.raises(SystemExit) as exited:
        cli.main(args)
    assert exited.value.code == 1
    assert "gate(s) missed, the run fails: within the bound" in capsys.readouterr().err
    monkeypatch.setattr(cli, "_plan", lambda _: {"reported": reported_only})
    cli.main(args)  # an ordinary miss is reported, never fatal


async def test_fanout(tmp_path: Path) -> None:
    result = await _smoke(fanout.run({1: 50, 10: 20, 100: 5}), tmp_path)
    details = result.details
    for case in (*details["cases"], *details["unbatched"], details["connector_client"]):
        assert case["lost"] == 0, case
    assert all(case["sequence_gaps"] == 0 for case in details["cases"] + details["unbatched"])
    assert all(case["mean_batch"] == 1 for case in details["unbatched"])
    assert result.value("100 sub: total updates/s") > 0


async def test_load(tmp_path: Path) -> None:
    result = await _smoke(load.run(duration=1, warmup=0.3, clients=3), tmp_path)
    assert result.samples["delivery_latency_s"]


async def test_memory(tmp_path: Path) -> None:
    result = await _smoke(memory.run(duration=1, warmup=0.5, parallel=3), tmp_path)
    assert result.details["streams_opened"] > 0


async def test_engine(tmp_path: Path) -> None:
    result = await _smoke(ticks.run(1_000), tmp_path)
    assert result.value("Engine ticks/s") > 0


async def test_reconcile(tmp_path: Path) -> None:
    await _smoke(reconcile.run((5, 20), repeats=1), tmp_path)


async def test_simstate(tmp_path: Path) -> None:
    result = await _smoke(simstate.run(fills=200, window=50, workers=4), tmp_path)
    assert result.details["fills_counted_by_the_exchange"] >= 200
    assert result.value("fills not streamed to the subscriber") == 0
    assert len(result.samples["fills_per_s_by_window"]) == 4


async def test_soak(tmp_path: Path) -> None:
    result = await _smoke(soak.run(4.5, clients=3), tmp_path)
    assert result.samples["series"]


def test_plots(tmp_path: Path) -> None:
    from bench.plots import fanout as fanout_plot
    from bench.plots import latency

    cases = ("bare_echo", "get_account", "place_order")
    unary_result = Result("unary", samples={k: [0.001, 0.002, 0.003] for k in cases})
    fan = Result(
        "fanout",
        samples={
            "subscribers": [1, 10],
            "total_per_second": [1.0, 2.0],
            "per_subscriber_per_second": [1.0, 0.2],
            "bare_total_per_second": [2.0, 3.0],
        },
    )
    assert latency(unary_result, None, tmp_path) is not None
    assert fanout_plot(fan, tmp_path) is not None
    assert (tmp_path / "latency.png").stat().st_size > 0


async def test_venue(tmp_path: Path) -> None:
    result = await _smoke(venue.run(samples=10, burst=10, pause=0), tmp_path)
    assert result.details["ccxt"]["place_order"]["n"] == 10
    assert result.value("ccxt: order events/s (burst)") > 0


async def test_backtest(tmp_path: Path) -> None:
    result = await _smoke(backtest.run(weeks=1, live_ticks=2_000), tmp_path)
    assert result.details["prices"] > 10_000  # the shipped week of one-minute candles
    assert result.details["fills"] > 0
