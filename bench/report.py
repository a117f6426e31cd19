"""A benchmark's result: figures, targets, a printed table and a JSON file."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .machine import load_average, machine_info

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(slots=True)
class Figure:
    """One measured number; `target` and `op` say what it must reach, when it must."""

    label: str
    value: float
    unit: str
    target: float | None = None
    op: str = "<="
    #: a miss fails the run (`python -m bench` exits 1), not only the table's verdict
    gate: bool = False

    @property
    def ok(self) -> bool | None:
        if self.target is None:
            return None
        if math.isnan(self.value):
            return False
        return self.value <= self.target if self.op == "<=" else self.value >= self.target

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "value": self.value,
            "unit": self.unit,
            "target": self.target,
            "op": self.op if self.target is not None else None,
            "ok": self.ok,
            "gate": self.gate,
        }


@dataclass(slots=True)
class Result:
    name: str
    #: how it was run (sizes, durations, what drives it): enough to repeat it
    params: dict[str, Any] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    #: everything else worth keeping (per-case breakdowns), JSON-able
    details: dict[str, Any] = field(default_factory=dict)
    #: raw samples for the plots (seconds or counts), JSON-able
    samples: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(
        self,
        label: str,
        value: float,
        unit: str,
        target: float | None = None,
        op: str = "<=",
        *,
        gate: bool = False,
    ) -> Figure:
        figure = Figure(label, value, unit, target, op, gate)
        self.figures.append(figure)
        return figure

    def value(self, label: str) -> float:
        return next(f.value for f in self.figures if f.label == label)


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def table(results: list[Result]) -> str:
    """Plain-text table: benchmark, figure, measured, target, verdict."""
    rows = [("benchmark", "figure", "measured", "target", "")]
    for result in results:
        for f in result.figures:
            target = "" if f.target is None else f"{f.op} {_fmt(f.target)} {f.unit}"
            verdict = {None: "", True: "ok", False: "MISS"}[f.ok]
            if f.gate and f.ok is False:
                verdict = "MISS (gate: the run fails)"
            rows.append((result.name, f.label, f"{_fmt(f.value)} {f.unit}", target, verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def write(result: Result, out: Path, started_load: list[float]) -> Path:
    """results/<name>.json: the machine, the load before and after, and every figure."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{result.name}.json"
    payload = {
        "benchmark": result.name,
        "machine": machine_info(),
        "load_average_before": started_load,
        "load_average_after": load_average(),
        "params": result.params,
        "figures": [f.as_dict() for f in result.figures],
        "details": result.details,
        "notes": result.notes,
        "samples": result.samples,
    }
    path.write_text(json.dumps(payload, indent=1, default=str))
    return path
