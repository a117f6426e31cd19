"""`gridops backtest --sweep`: the same backtest over a small grid of parameters.

A SPEC such as `priceInterval=100,150;orderQuantity=0.001,0.002;risk.maxPosition=0.1`
names fields of the strategy file by their YAML (camelCase) names: a bare name is a field
of `grid`, a dotted one a path from the top of the file. Every combination is validated by
the strategy model itself, so a sweep can only run configs a live engine would accept.

Combinations run in worker processes (spawned, not forked: a forked child would inherit
the parent's event loop and locks). The prices go to each worker once, by the pool's
initializer, instead of once per combination.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import math
import multiprocessing
import types
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from gridops.spec import StrategyConfig

from .data import PricePoint
from .report import build_report, to_json
from .runner import MarketRules, run_backtest

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: a sweep is a search over a few values each, not an optimizer: beyond this, say so
MAX_COMBINATIONS = 200
#: report.json metric -> whether higher is better
METRICS: dict[str, bool] = {
    "returnPercent": True,
    "realizedPnl": True,
    "roundTrips": True,
    "maxDrawdown": False,
    "fees": False,
}
#: at most this many bars when more than two parameters vary
TOP = 20

Override = dict[str, str]
Combination = tuple[Override, StrategyConfig]
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class SweepResult:
    """One combination's outcome: its report.json, or why it has none."""

    index: int  #: position among the combinations: ties rank in this order
    overrides: Override
    report: dict[str, Any] | None = None
    error: str | None = None

    def value(self, metric: str) -> Decimal | None:
        if self.report is None:
            return None
        return Decimal(str(self.report[metric]))

    def rank_value(self, metric: str) -> Decimal | None:
        """The figure to rank by: the report's, except returnPercent, taken from the
        exact total PnL (the report rounds it to 0.01 %, where short runs tie)."""
        if self.report is None or metric != "returnPercent":
            return self.value(metric)
        start = Decimal(str(self.report["startEquity"]))
        if start <= 0:
            return self.value(metric)
        return Decimal(str(self.report["totalPnl"])) / start * 100

    def to_json(self) -> dict[str, Any]:
        return {"overrides": self.overrides, "report": self.report, "error": self.error}


# ---- the SPEC ------------------------------------------------------------------------


def parse_sweep(spec: str) -> dict[str, list[str]]:
    """`KEY=V1,V2;KEY=V1` -> {KEY: [V1, V2], ...}; ValueError naming the part that is
    wrong (syntax, an unknown field, a value given twice, too many combinations)."""
    sweep: dict[str, list[str]] = {}
    paths: dict[tuple[str, ...], str] = {}
    for part in (piece.strip() for piece in spec.split(";")):
        if not part:  # "a=1;" or "a=1;;b=2": an empty part says nothing
            continue
        key, values = _parse_part(part)
        path = field_path(key)
        if path in paths:
            raise ValueError(f"{part!r}: {'.'.join(path)} is already swept by {paths[path]!r}")
        paths[path] = key
        sweep[key] = values
    if not sweep:
        raise ValueError(f"{spec!r}: nothing to sweep; expected KEY=V1,V2;KEY=V1,...")
    count = math.prod(len(values) for values in sweep.values())
    if count > MAX_COMBINATIONS:
        raise ValueError(
            f"{count} combinations; at most {MAX_COMBINATIONS} (sweep fewer values at once)"
        )
    return sweep


def _parse_part(part: str) -> tuple[str, list[str]]:
    key, equals, listed = part.partition("=")
    key = key.strip()
    if not equals or not key:
        raise ValueError(f"{part!r}: expected KEY=VALUE[,VALUE...]")
    values = [value.strip() for value in listed.split(",")]
    if any(not value for value in values):
        raise ValueError(f"{part!r}: an empty value (expected KEY=VALUE[,VALUE...])")
    repeated = sorted({value for value in values if values.count(value) > 1})
    if repeated:
        raise ValueError(f"{part!r}: {', '.join(repeated)} given more than once")
    return key, values


def field_path(key: str) -> tuple[str, ...]:
    """The camelCase path into the strategy file a SPEC key names; ValueError if none."""
    parts = tuple(key.split(".")) if "." in key else ("grid", key)
    model: type[BaseModel] = StrategyConfig
    for depth, part in enumerate(parts):
        fields = {info.alias or name: info for name, info in model.model_fields.items()}
        if part not in fields:
            where = ".".join(parts[:depth]) or "the strategy file"
            raise ValueError(f"{key!r}: {where} has no field {part!r} ({', '.join(fields)})")
        section = _model_in(fields[part].annotation)
        if depth == len(parts) - 1:
            if section is not None:
                raise ValueError(f"{key!r} is a section; name one of its fields")
            return parts
        if section is None:
            raise ValueError(f"{key!r}: {'.'.join(parts[: depth + 1])} has no fields")
        model = section
    raise AssertionError("unreachable: the loop returns at the last part")  # pragma: no cover


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (`Model` or `Model | None`), or None for a plain value."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        for member in get_args(annotation):
            found = _model_in(member)
            if found is not None:
                return found
    return None


# ---- the combinations ------------------------------------------------------------------


def combinations(base: StrategyConfig, sweep: dict[str, list[str]]) -> list[Combination]:
    """Every combination of the swept values, in SPEC order (the last key varies
    fastest), each validated by the strategy model. ValueError names a combination the
    model rejects, and the field it rejects."""
    keys = list(sweep)
    paths = [field_path(key) for key in keys]
    data = base.model_dump(by_alias=True, mode="json")
    result: list[Combination] = []
    for values in itertools.product(*(sweep[key] for key in keys)):
        overrides = dict(zip(keys, values, strict=True))
        candidate = copy.deepcopy(data)
        for path, value in zip(paths, values, strict=True):
            _set(candidate, path, value)
        try:
            config = StrategyConfig.model_validate(candidate)
        except ValidationError as error:
            raise ValueError(f"combination {label(overrides)}: {_problems(error)}") from None
        result.append((overrides, config))
    return result


def _set(data: dict[str, Any], path: tuple[str, ...], value: str) -> None:
    for part in path[:-1]:
        if data.get(part) is None:  # an unset optional section, e.g. exchange.sim
            data[part] = {}
        data = data[part]
    data[path[-1]] = value


def _problems(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
        for problem in error.errors()
    )


def label(overrides: Override) -> str:
    return ", ".join(f"{key}={value}" for key, value in overrides.items())


# ---- running them --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Work:
    """What every combination of one sweep shares: set once per worker process."""

    points: tuple[PricePoint, ...]
    rules: MarketRules
    tick_seconds: float


_shared: _Work | None = None


def _init_worker(work: _Work) -> None:
    global _shared
    _shared = work


def _in_worker(index: int, overrides: Override, config: StrategyConfig) -> SweepResult:
    assert _shared is not None, "the pool's initializer sets the shared work"
    return _evaluate(index, overrides, config, _shared)


def _evaluate(index: int, overrides: Override, config: StrategyConfig, work: _Work) -> SweepResult:
    """One combination's backtest and report. Any error is that combination's result,
    not the sweep's end: one config the engine chokes on must not cost the other 99."""
    try:
        run = asyncio.run(
            run_backtest(config, work.points, work.rules, tick_seconds=work.tick_seconds)
        )
        return SweepResult(index, overrides, to_json(build_report(run)))
    except Exception as error:
        return SweepResult(index, overrides, error=f"{type(error).__name__}: {error}")


def run_sweep(
    configs: Sequence[Combination],
    points: Sequence[PricePoint],
    rules: MarketRules,
    *,
    processes: int,
    tick_seconds: float = 60.0,
    progress: Progress | None = None,
) -> list[SweepResult]:
    """Backtest each (overrides, config) of `combinations()`, in up to `processes`
    worker processes (1: in this process). Results come back in the combinations' order;
    `rank` orders them by a metric."""
    work = _Work(tuple(points), rules, tick_seconds)
    workers = min(processes, len(configs))
    if workers <= 1:
        return _run_here(configs, work, progress)
    return _run_pool(configs, work, workers, progress)


def _run_here(
    configs: Sequence[Combination], work: _Work, progress: Progress | None
) -> list[SweepResult]:
    results = []
    for index, (overrides, config) in enumerate(configs):
        results.append(_evaluate(index, overrides, config, work))
        if progress is not None:
            progress(index + 1, len(configs))
    return results


def _run_pool(
    configs: Sequence[Combination], work: _Work, workers: int, progress: Progress | None
) -> list[SweepResult]:
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(work,),
    )
    results: list[SweepResult] = []
    try:
        futures: dict[Future[SweepResult], tuple[int, Override]] = {
            pool.submit(_in_worker, index, overrides, config): (index, overrides)
            for index, (overrides, config) in enumerate(configs)
        }
        for future in as_completed(futures):
            results.append(_outcome(future, *futures[future]))
            if progress is not None:
                progress(len(results), len(configs))
    finally:
        # on Ctrl-C (or any error here) drop the queued combinations instead of
        # waiting for all of them; on success there are none left
        pool.shutdown(wait=True, cancel_futures=True)
    return sorted(results, key=lambda result: result.index)


def _outcome(future: Future[SweepResult], index: int, overrides: Override) -> SweepResult:
    try:
        return future.result()
    except Exception as error:  # the worker process died (BrokenProcessPool), not the run
        return SweepResult(index, overrides, error=f"{type(error).__name__}: {error}")


# ---- ranking and showing -------------------------------------------------------------


def rank(results: Sequence[SweepResult], metric: str) -> list[SweepResult]:
    """Best first by `metric` (higher is better, except maxDrawdown and fees); equal
    values in combination order; combinations without a report last."""
    higher = _higher_is_better(metric)

    def key(result: SweepResult) -> tuple[int, Decimal, int]:
        value = result.rank_value(metric)
        if value is None:
            return (1, Decimal(0), result.index)
        return (0, -value if higher else value, result.index)

    return sorted(results, key=key)


def _higher_is_better(metric: str) -> bool:
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; one of {', '.join(METRICS)}")
    return METRICS[metric]


def table_rows(results: Sequence[SweepResult], metric: str, limit: int) -> list[list[str]]:
    """The `limit` best by `metric`, under a header row; each cell padded to its column's
    width (to the right: the cells are numbers), so a row joined with spaces lines the
    table up. A combination without a report says why in a last column."""
    ranked = rank(results, metric)[:limit]
    keys = list(ranked[0].overrides) if ranked else []
    metrics = [metric, *(name for name in METRICS if name != metric)]
    header = ["#", *keys, *metrics]
    body = [_row(position, result, keys, metrics) for position, result in enumerate(ranked, 1)]
    widths = [max(len(row[column]) for row in [header, *body]) for column in range(len(header))]
    table = [_pad(header, widths)]
    for row, result in zip(body, ranked, strict=True):
        padded = _pad(row, widths)
        table.append(padded if result.error is None else [*padded, f"error: {result.error}"])
    return table


def _row(position: int, result: SweepResult, keys: list[str], metrics: list[str]) -> list[str]:
    figures = [str(result.report[name]) if result.report else "-" for name in metrics]
    return [str(position), *(result.overrides.get(key, "") for key in keys), *figures]


def _pad(row: list[str], widths: list[int]) -> list[str]:
    return [cell.rjust(width) for cell, width in zip(row, widths, strict=True)]


# ---- the plot --------------------------------------------------------------------------


def write_heatmap(
    results: Sequence[SweepResult], sweep: dict[str, list[str]], metric: str, path: Path
) -> None:
    """`metric` over the swept parameters, as a PNG: a heat map when two vary, bars over
    the values when one does, the best TOP as horizontal bars when more do."""
    from .plots import new_figure  # matplotlib on first use, as for the run's plots

    varying = [key for key, values in sweep.items() if len(values) > 1]
    figure = new_figure()
    axes = figure.subplots()
    if len(varying) == 2:
        _heatmap(figure, axes, results, sweep, varying, metric)
    elif len(varying) <= 1:
        _bars(axes, results, varying[0] if varying else next(iter(sweep)), metric)
    else:
        _top(axes, results, varying, metric)
    figure.savefig(path, format="png")


def _better(metric: str) -> str:
    return "higher is better" if _higher_is_better(metric) else "lower is better"


def _heatmap(
    figure: Figure,
    axes: Axes,
    results: Sequence[SweepResult],
    sweep: dict[str, list[str]],
    keys: list[str],
    metric: str,
) -> None:
    rows, columns = sweep[keys[0]], sweep[keys[1]]
    by_cell = {(r.overrides[keys[0]], r.overrides[keys[1]]): r for r in results}
    cells = [[by_cell.get((row, column)) for column in columns] for row in rows]
    values = [[_number(cell, metric) for cell in line] for line in cells]
    # green is good whichever way the metric points; NaN (no report) is left blank
    colours = "RdYlGn" if _higher_is_better(metric) else "RdYlGn_r"
    image = axes.imshow(values, cmap=colours, aspect="auto", origin="lower")
    figure.colorbar(image, ax=axes, label=metric)
    for y, line in enumerate(cells):
        for x, cell in enumerate(line):
            text = "error" if cell is None or cell.report is None else str(cell.report[metric])
            shade = _shade(values, values[y][x])
            # the map's ends are dark: white text there, black in its light middle
            ink = "white" if shade < 0.2 or shade > 0.8 else "black"
            axes.text(x, y, text, ha="center", va="center", fontsize=11, color=ink)
    axes.set_xticks(range(len(columns)), columns)
    axes.set_yticks(range(len(rows)), rows)
    axes.set_xlabel(keys[1])
    axes.set_ylabel(keys[0])
    axes.set_title(f"{metric} by {keys[0]} and {keys[1]} ({_better(metric)})")


def _bars(axes: Axes, results: Sequence[SweepResult], key: str, metric: str) -> None:
    ordered = sorted(results, key=lambda result: result.index)
    labels = [result.overrides[key] for result in ordered]
    heights = [_number(result, metric) for result in ordered]
    axes.bar(labels, [0.0 if math.isnan(h) else h for h in heights], color=_colours(heights))
    for x, (result, height) in enumerate(zip(ordered, heights, strict=True)):
        text = "error" if result.report is None else str(result.report[metric])
        below = height < 0  # the label sits past the bar's end, away from zero
        at = 0.0 if math.isnan(height) else height
        axes.annotate(
            text,
            (x, at),
            ha="center",
            va="top" if below else "bottom",
            xytext=(0, -3 if below else 3),
            textcoords="offset points",
        )
    axes.margins(y=0.1)  # room for the labels past the longest bars
    axes.axhline(0.0, color="grey", lw=0.8)
    axes.set_xlabel(key)
    axes.set_ylabel(metric)
    axes.set_title(f"{metric} by {key} ({_better(metric)})")


def _top(axes: Axes, results: Sequence[SweepResult], keys: list[str], metric: str) -> None:
    best = [result for result in rank(results, metric) if result.report is not None][:TOP]
    labels = [", ".join(f"{key}={result.overrides[key]}" for key in keys) for result in best]
    widths = [_number(result, metric) for result in best]
    positions = list(range(len(best)))
    axes.barh(positions, widths, color=_colours(widths))
    axes.set_yticks(positions, labels)
    axes.invert_yaxis()  # the best on top
    for y, result in enumerate(best):
        assert result.report is not None
        left = widths[y] < 0  # the label sits past the bar's end, away from zero
        axes.annotate(
            str(result.report[metric]),
            (widths[y], y),
            va="center",
            ha="right" if left else "left",
            xytext=(-4 if left else 4, 0),
            textcoords="offset points",
        )
    axes.margins(x=0.1)
    axes.axvline(0.0, color="grey", lw=0.8)
    axes.set_xlabel(metric)
    axes.set_title(f"the best {len(best)} of {len(results)} by {metric} ({_better(metric)})")


def _shade(values: list[list[float]], value: float) -> float:
    """Where `value` sits on the colour scale (imshow spans the finite values), 0 to 1."""
    finite = [v for line in values for v in line if not math.isnan(v)]
    if math.isnan(value) or not finite or max(finite) == min(finite):
        return 0.5
    return (value - min(finite)) / (max(finite) - min(finite))


def _number(result: SweepResult | None, metric: str) -> float:
    value = None if result is None else result.value(metric)
    return math.nan if value is None else float(value)


def _colours(values: list[float]) -> list[str]:
    return ["tab:red" if value < 0 else "tab:blue" for value in values]
