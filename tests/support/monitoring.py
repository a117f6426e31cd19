"""The Grafana dashboard and the Prometheus alert rules the chart ships, as tests read them:
their files, their PromQL expressions and the gridops metric names those use."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART_FILES = ROOT / "charts" / "gridops" / "files"
DASHBOARD = CHART_FILES / "grafana" / "gridops.json"
ALERTS = CHART_FILES / "prometheus" / "alerts.yaml"
ALERTS_TEST = ROOT / "deploy" / "prometheus" / "alerts.test.yaml"

#: what Prometheus adds to a family's name in its samples (the text format's suffixes)
SUFFIXES = ("_total", "_bucket", "_sum", "_count", "_created")
_NAME = re.compile(r"\bgridops_[A-Za-z0-9_:]+")


def promtool() -> str:
    cached = (
        Path(os.environ.get("GRIDOPS_CACHE_DIR", Path.home() / ".cache" / "gridops"))
        / "bin"
        / "current"
        / "promtool"
    )
    found = str(cached) if cached.exists() else shutil.which("promtool")
    if not found:
        pytest.fail(
            "no promtool: run `make prereqs` (hack/prometheus.sh puts it in the tool cache)",
            pytrace=False,
        )
    return found


def _panels(panels: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))  # the panels of a collapsed row


def dashboard_panels() -> list[dict[str, Any]]:
    document = yaml.safe_load(DASHBOARD.read_text())  # JSON is YAML; json would do too
    return list(_panels(document["panels"]))


def dashboard_exprs() -> list[str]:
    return [t["expr"] for p in dashboard_panels() for t in p.get("targets", [])]


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def alert_exprs() -> list[str]:
    return [str(rule["expr"]) for rule in alert_rules()]


def metric_names(exprs: Iterable[str]) -> set[str]:
    """Every gridops metric name the expressions read, as written (suffixes kept)."""
    return {name for expr in exprs for name in _NAME.findall(expr)}


def missing(used: Iterable[str], exported: set[str]) -> set[str]:
    """The names in `used` that are neither an exported family or sample name nor such a
    family with one of Prometheus' suffixes (a counter's _total, a histogram's _bucket...)."""

    def known(name: str) -> bool:
        if name in exported:
            return True
        return any(name.endswith(s) and name.removesuffix(s) in exported for s in SUFFIXES)

    return {name for name in used if not known(name)}
