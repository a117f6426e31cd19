"""--sweep: the SPEC, its combinations, runs in worker processes equal to single runs,
ranking, the terminal table and the plot."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from matplotlib.image import imread

from gridops.backtest import sweep
from gridops.backtest.report import build_report, to_json
from gridops.backtest.runner import MarketRules, run_backtest
from gridops.backtest.sweep import SweepResult

from .support import PNG_SIGNATURE, strategy, swing

# ---- parse_sweep ---------------------------------------------------------------------


def test_parse_sweep_reads_keys_and_values_in_order() -> None:
    spec = " priceInterval=100, 150,200 ;orderQuantity=0.001,0.002;buyWindow=3,5;"
    assert sweep.parse_sweep(spec) == {
        "priceInterval": ["100", "150", "200"],
        "orderQuantity": ["0.001", "0.002"],
        "buyWindow": ["3", "5"],
    }


def test_parse_sweep_takes_dotted_paths_into_the_config() -> None:
    assert sweep.parse_sweep("risk.maxPosition=0.1,0.2;grid.sellWindow=2") == {
        "risk.maxPosition": ["0.1", "0.2"],
        "grid.sellWindow": ["2"],
    }


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("priceInterval", r"'priceInterval': expected KEY=VALUE"),
        ("=100", r"'=100': expected KEY=VALUE"),
        ("priceInterval=100,,200", r"'priceInterval=100,,200': an empty value"),
        ("buyWindow=3;priceInterval=", r"'priceInterval=': an empty value"),
        ("pricInterval=1", r"'pricInterval': grid has no field 'pricInterval' \(mode, price"),
        ("risk.maxPositon=1", r"'risk.maxPositon': risk has no field 'maxPositon'"),
        ("risks.maxPosition=1", r"'risks.maxPosition': the strategy file has no field 'risks'"),
        ("exchange.sim=1", r"'exchange.sim' is a section"),
        ("symbol.x=1", r"'symbol.x': symbol has no fields"),
        ("buyWindow=3,5,3", r"'buyWindow=3,5,3': 3 given more than once"),
        ("priceInterval=1;grid.priceInterval=2", r"grid.priceInterval is already swept"),
        (" ; ", r"nothing to sweep"),
    ],
)
def test_parse_sweep_errors_name_the_wrong_part(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sweep.parse_sweep(spec)


def test_parse_sweep_refuses_too_many_combinations_naming_the_count() -> None:
    values = ",".join(str(n) for n in range(1, 22))  # 21 x 10 = 210
    with pytest.raises(ValueError, match=r"^210 combinations; at most 200"):
        sweep.parse_sweep(f"priceInterval={values};buyWindow=1,2,3,4,5,6,7,8,9,10")
    assert len(sweep.combinations(strategy(), sweep.parse_sweep(f"priceInterval={values}"))) == 21


# ---- combinations --------------------------------------------------------------------


def test_combinations_override_their_paths_last_key_fastest() -> None:
    base = strategy()
    combos = sweep.combinations(
        base, sweep.parse_sweep("priceInterval=100,200;risk.maxPosition=0.5,1")
    )
    assert [overrides for overrides, _ in combos] == [
        {"priceInterval": "100", "risk.maxPosition": "0.5"},
        {"priceInterval": "100", "risk.maxPosition": "1"},
        {"priceInterval": "200", "risk.maxPosition": "0.5"},
        {"priceInterval": "200", "risk.maxPosition": "1"},
    ]
    _, last = combos[-1]
    assert last.grid.price_interval == Decimal(200)
    assert last.risk.max_position == Decimal(1)
    # everything not swept is the base's
    assert last.grid.order_quantity == base.grid.order_quantity
    assert last.risk.stale_data_seconds == base.risk.stale_data_seconds
    assert last.name == base.name
    assert base.grid.price_interval == Decimal(100)  # the base is not touched


def test_combinations_convert_values_to_the_fields_types() -> None:
    [(_, config)] = sweep.combinations(strategy(), {"buyWindow": ["7"], "postOnly": ["false"]})
    assert config.grid.buy_window == 7
    assert config.grid.post_only is False


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("priceInterval=100,-5", r"combination priceInterval=-5: grid\.priceInterval: "),
        ("buyWindow=3,500", r"combination buyWindow=500: grid\.buyWindow: .*200"),
        ("buyWindow=0", r"combination buyWindow=0: grid: .*buy"),
        ("risk.staleDataSeconds=soon", r"combination risk\.staleDataSeconds=soon: risk\.stale"),
    ],
)
def test_combinations_reject_an_invalid_combination_naming_it_and_the_field(
    spec: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        sweep.combinations(strategy(), sweep.parse_sweep(spec))


# ---- run_sweep -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def combos() -> list[sweep.Combination]:
    return sweep.combinations(strategy(), sweep.parse_sweep("priceInterval=100,150;buyWindow=2,5"))


@pytest.fixture(scope="module")
def swept(combos: list[sweep.Combination]) -> list[SweepResult]:
    calls: list[tuple[int, int]] = []
    results = sweep.run_sweep(
        combos, swing(200), MarketRules(), processes=2, tick_seconds=60.0, progress=_record(calls)
    )
    assert [done for done, _ in calls] == [1, 2, 3, 4]
    assert {total for _, total in calls} == {4}
    return results


def _record(calls: list[tuple[int, int]]) -> sweep.Progress:
    return lambda done, total: calls.append((done, total))


def test_run_sweep_in_two_processes_equals_single_runs(
    combos: list[sweep.Combination], swept: list[SweepResult]
) -> None:
    assert [result.index for result in swept] == [0, 1, 2, 3]
    for result, (overrides, config) in zip(swept, combos, strict=True):
        assert result.error is None
        assert result.overrides == overrides
        alone = asyncio.run(run_backtest(config, swing(200), MarketRules()))
        assert result.report == to_json(build_report(alone))
    realized = {result.report["realizedPnl"] for result in swept if result.report}
    assert len(realized) > 1  # the intervals differ in outcome: the comparison means something
    assert all(result.report and result.report["roundTrips"] > 0 for result in swept)


def test_ranked_sweep_results_follow_the_metric(swept: list[SweepResult]) -> None:
    ranked = sweep.rank(swept, "realizedPnl")
    assert len(ranked) == 4
    values = [Decimal(r.report["realizedPnl"]) for r in ranked if r.report]
    assert values == sorted(values, reverse=True)


def test_a_failing_combination_is_its_results_error_not_the_sweeps(
    combos: list[sweep.Combination],
) -> None:
    # no prices: every run fails the same way, each reported on its own row
    results = sweep.run_sweep(combos[:2], [], MarketRules(), processes=1)
    assert [result.report for result in results] == [None, None]
    assert all(result.error == "BacktestError: no prices to run over" for result in results)


def test_heatmap_for_two_parameters_is_a_png(swept: list[SweepResult], tmp_path: Path) -> None:
    spec = sweep.parse_sweep("priceInterval=100,150;buyWindow=2,5")
    path = tmp_path / "sweep.png"
    sweep.write_heatmap(swept, spec, "returnPercent", path)
    _assert_png(path)


# ---- rank, table and plots on hand-made results ------------------------------------


def _result(index: int, error: str | None = None, **figures: Any) -> SweepResult:
    report = {
        "startEquity": "100000",
        "totalPnl": "0",
        "returnPercent": "0",
        "realizedPnl": "0",
        "roundTrips": 0,
        "maxDrawdown": "0",
        "fees": "0",
        **figures,
    }
    overrides = {"priceInterval": str(100 + 50 * index), "buyWindow": str(index % 2 + 2)}
    return SweepResult(index, overrides, None if error else report, error)


HAND = [
    _result(0, realizedPnl="5", roundTrips=3, maxDrawdown="40", fees="2", totalPnl="1"),
    _result(1, realizedPnl="9", roundTrips=3, maxDrawdown="10", fees="5", totalPnl="3"),
    _result(2, error="BacktestError: boom"),
    _result(3, realizedPnl="-1", roundTrips=7, maxDrawdown="10", fees="1", totalPnl="2"),
]


@pytest.mark.parametrize(
    ("metric", "order"),
    [
        ("realizedPnl", [1, 0, 3, 2]),
        ("roundTrips", [3, 0, 1, 2]),  # 0 and 1 tie at 3: combination order
        ("maxDrawdown", [1, 3, 0, 2]),  # lower is better; 1 and 3 tie
        ("fees", [3, 0, 1, 2]),  # lower is better
        ("returnPercent", [1, 3, 0, 2]),  # all "0" in the report: the exact total PnL decides
    ],
)
def test_rank_orders_by_the_metric_errors_last(metric: str, order: list[int]) -> None:
    assert [result.index for result in sweep.rank(HAND, metric)] == order
    assert [r.index for r in sweep.rank(list(reversed(HAND)), metric)] == order


def test_rank_refuses_an_unknown_metric() -> None:
    with pytest.raises(ValueError, match=r"unknown metric 'sharpe'; one of returnPercent"):
        sweep.rank(HAND, "sharpe")


def test_table_rows_header_then_the_best_aligned() -> None:
    rows = sweep.table_rows(HAND, "fees", 3)
    assert [cell.strip() for cell in rows[0]] == [
        "#", "priceInterval", "buyWindow",
        "fees", "returnPercent", "realizedPnl", "roundTrips", "maxDrawdown",
    ]  # fmt: skip
    assert len(rows) == 4
    assert [row[1].strip() for row in rows[1:]] == ["250", "100", "150"]
    assert len({tuple(len(cell) for cell in row) for row in rows}) == 1  # aligned columns
    errored = sweep.table_rows(HAND, "fees", 10)[-1]
    assert errored[-1] == "error: BacktestError: boom"
    assert errored[3].strip() == "-"


@pytest.mark.parametrize(
    "spec",
    [
        {"priceInterval": ["100", "150", "200", "250"]},
        {"priceInterval": ["100", "150", "200", "250"], "buyWindow": ["2"]},
        {"priceInterval": ["100", "150", "200", "250"], "buyWindow": ["2", "3"], "x.y": ["1", "2"]},
    ],
    ids=["one-parameter-bars", "one-varying", "three-top-bars"],
)
def test_other_sweep_shapes_plot_too(spec: dict[str, list[str]], tmp_path: Path) -> None:
    results = [SweepResult(r.index, {**r.overrides, "x.y": "1"}, r.report, r.error) for r in HAND]
    path = tmp_path / "sweep.png"
    sweep.write_heatmap(results, spec, "realizedPnl", path)
    _assert_png(path)


def _assert_png(path: Path) -> None:
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    height, width = imread(path).shape[:2]
    assert 1300 <= width <= 1500
    assert 700 <= height <= 900
