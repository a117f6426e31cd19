"""The alert rules and the Grafana dashboard the chart ships: promtool checks the rules and
fires each alert from synthetic series; the dashboard is valid and every panel queries
the data source variable. (tests/integration/test_monitoring_metrics.py checks the
metric names they use against running components.)"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.support.monitoring import (
    ALERTS,
    ALERTS_TEST,
    DASHBOARD,
    ROOT,
    alert_rules,
    dashboard_exprs,
    dashboard_panels,
    metric_names,
    missing,
    promtool,
)

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}

EXPECTED_ALERTS = {
    "GridopsStrategyHalted",
    "GridopsMarketMakerNotSynced",
    "GridopsMarketMakerFenced",
    "GridopsConnectorUpstreamDown",
    "GridopsStalePrice",
    "GridopsOrderRejectionsSpiking",
    "GridopsDrawdownNearLimit",
}


def run_promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *args], capture_output=True, text=True, timeout=60, cwd=ROOT, check=False
    )


def test_promtool_checks_the_rules() -> None:
    result = run_promtool("check", "rules", str(ALERTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(EXPECTED_ALERTS)} rules found" in result.stdout


def test_promtool_fires_each_alert_from_synthetic_series() -> None:
    result = run_promtool("test", "rules", str(ALERTS_TEST))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_each_alert_is_unit_tested() -> None:
    tested = {
        line.split(":", 1)[1].strip()
        for line in ALERTS_TEST.read_text().splitlines()
        if line.strip().startswith("alertname:")
    }
    assert tested == EXPECTED_ALERTS


def test_each_alert_has_a_severity_and_says_what_to_do() -> None:
    rules = alert_rules()
    assert {rule["alert"] for rule in rules} == EXPECTED_ALERTS
    for rule in rules:
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert len(rule["annotations"]["description"]) > 80, rule["alert"]


@pytest.mark.parametrize(
    ("link", "target"),
    [
        ("deploy/prometheus/alerts.yaml", ALERTS),
        ("deploy/grafana/gridops.json", DASHBOARD),
    ],
)
def test_compose_reads_the_charts_files_through_relative_links(link: str, target: object) -> None:
    path = ROOT / link
    assert path.is_symlink()
    assert not os.path.isabs(os.readlink(path))
    assert path.resolve() == target


def test_the_dashboard_is_valid_json_with_its_variables() -> None:
    document = json.loads(DASHBOARD.read_text())
    assert document["uid"] == "gridops"
    assert document["schemaVersion"] >= 39
    variables = {v["name"]: v for v in document["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert variables["strategy"]["datasource"] == DATASOURCE
    assert variables["strategy"]["query"]["query"] == "label_values(gridops_mm_position, strategy)"


def test_every_panel_queries_the_datasource_variable() -> None:
    panels = dashboard_panels()
    assert len({p["id"] for p in panels}) == len(panels)
    for panel in panels:
        assert panel["datasource"] == DATASOURCE, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE, panel["title"]
            assert target["expr"].strip(), panel["title"]
        assert len({t["refId"] for t in panel["targets"]}) == len(panel["targets"])


def test_every_market_maker_query_follows_the_strategy_variable() -> None:
    for expr in dashboard_exprs():
        for name in metric_names([expr]):
            if name.startswith("gridops_mm_"):
                assert f'{name}{{strategy=~"$strategy"}}' in expr, expr


def test_the_dashboard_draws_what_operators_look_for() -> None:
    used = metric_names(dashboard_exprs())
    wanted = {
        "gridops_mm_last_price", "gridops_mm_grid_price", "gridops_mm_fills_total",
        "gridops_mm_position", "gridops_mm_realized_pnl", "gridops_mm_unrealized_pnl",
        "gridops_mm_orders_placed_total", "gridops_mm_orders_rejected_total",
        "gridops_connector_upstream_connections", "gridops_connector_subscribers",
        "gridops_connector_rpc_duration_seconds_bucket", "gridops_mm_reconcile_seconds_bucket",
        "gridops_mm_risk_halts_total", "gridops_mm_synced", "gridops_mm_fenced",
        "gridops_mm_paused", "gridops_live_ws_clients",
    }  # fmt: skip
    assert wanted <= used


def test_missing_knows_prometheus_suffixes() -> None:
    exported = {"gridops_mm_fills", "gridops_mm_fills_total", "gridops_x_seconds"}
    used = ["gridops_mm_fills_total", "gridops_x_seconds_bucket", "gridops_x_seconds_count"]
    assert missing(used, exported) == set()
    assert missing(["gridops_mm_fill_total", "gridops_y_sum"], exported) == {
        "gridops_mm_fill_total",
        "gridops_y_sum",
    }
