"""Every gridops metric the Grafana dashboard and the alert rules read is exported by a
running component: the real connector, market maker and live server processes, scraped
like Prometheus scrapes them. A renamed or dropped metric fails here, not on a blank
panel or an alert that can never fire."""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from prometheus_client.parser import text_string_to_metric_families

from gridops.client import SimulatorClient
from tests.support.connector import ConnectorProcess
from tests.support.live_server import LiveServerProcess
from tests.support.market_maker import MarketMakerProcess, write_config
from tests.support.monitoring import alert_exprs, dashboard_exprs, metric_names, missing
from tests.support.poll import wait_until


@dataclass
class Scraped:
    #: component -> its family names and sample names (a counter's family `x` has the
    #: sample `x_total`, a histogram's `x` has `x_bucket`, `x_sum`, `x_count`)
    names: dict[str, set[str]]
    #: (sample name, labels) -> value, every component's
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float]

    @property
    def exported(self) -> set[str]:
        return set().union(*self.names.values())


def scrape(url: str) -> tuple[set[str], dict[tuple[str, frozenset[tuple[str, str]]], float]]:
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
        text = response.read().decode()
    names: set[str] = set()
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        for sample in family.samples:
            names.add(sample.name)
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return names, samples


async def _set_price(connector: ConnectorProcess, price: str) -> None:
    sim = SimulatorClient(connector.address)
    try:
        await sim.set_price("BTC/USDT", price)
    finally:
        await sim.close()


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scraped]:
    """The three components trading on the sim, scraped once the grid is up (once for the
    module: the tests read the same scrape)."""
    tmp_path = tmp_path_factory.mktemp("monitoring")
    connector = ConnectorProcess(metrics=True)
    mm: MarketMakerProcess | None = None
    live: LiveServerProcess | None = None
    try:
        connector.start()
        asyncio.run(_set_price(connector, "50010"))
        config = write_config(tmp_path / "mm.yaml", risk={"maxDrawdown": "100"})
        mm = MarketMakerProcess(config, connector.address).start()
        mm.wait_status(lambda s: s["synced"] and len(s["openOrders"]) == 5, message="grid up")
        live = LiveServerProcess(connector.address, [f"http://127.0.0.1:{mm.port}"]).start()
        wait_until(lambda: live.get("/readyz")[0] == 200, message="live server ready")
        components = {
            "connector": f"http://127.0.0.1:{connector.metrics_port}/metrics",
            "market maker": f"http://127.0.0.1:{mm.port}/metrics",
            "live server": f"{live.url}/metrics",
        }
        names: dict[str, set[str]] = {}
        samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
        for component, url in components.items():
            names[component], found = scrape(url)
            samples.update(found)
        yield Scraped(names, samples)
    finally:
        for process in (live, mm, connector):
            if process is not None:
                process.stop()


def test_every_metric_of_the_dashboard_is_exported(scraped: Scraped) -> None:
    used = metric_names(dashboard_exprs())
    assert len(used) > 20  # the extraction finds the names at all
    assert missing(used, scraped.exported) == set(), scraped.names


def test_every_metric_of_the_alert_rules_is_exported(scraped: Scraped) -> None:
    used = metric_names(alert_exprs())
    assert len(used) >= 8
    assert missing(used, scraped.exported) == set(), scraped.names


def test_each_component_exports_its_own_metrics(scraped: Scraped) -> None:
    prefixes = {
        "connector": "gridops_connector_",
        "market maker": "gridops_mm_",
        "live server": "gridops_live_",
    }
    for component, prefix in prefixes.items():
        assert any(name.startswith(prefix) for name in scraped.names[component]), component
    # ...and a name nobody exports is missing: the check can fail
    assert missing(
        {"gridops_mm_orders_placed_total", "gridops_mm_orderz_total"}, scraped.exported
    ) == {"gridops_mm_orderz_total"}


def test_the_alerting_metrics_have_values_on_a_trading_engine(scraped: Scraped) -> None:
    def value(name: str, **labels: str) -> float | None:
        return scraped.samples.get((name, frozenset(labels.items())))

    strategy = {"strategy": "t-grid"}
    assert value("gridops_connector_upstream_connections", exchange="sim") == 1
    assert value("gridops_mm_synced", **strategy) == 1
    assert value("gridops_mm_max_drawdown", **strategy) == 100
    assert value("gridops_mm_drawdown", **strategy) == 0
    assert value("gridops_mm_risk_halts_total", **strategy) == 0
    priced_at = value("gridops_mm_last_price_timestamp_seconds", **strategy)
    assert priced_at is not None
    assert priced_at > 1.7e9
    # the long grid's five buys below 50010, every 50: 50000 down to 49800
    assert value("gridops_mm_grid_price", edge="nearest_buy", **strategy) == 50000
    assert value("gridops_mm_grid_price", edge="farthest_buy", **strategy) == 49800
    assert value("gridops_mm_grid_price", edge="nearest_sell", **strategy) is None
