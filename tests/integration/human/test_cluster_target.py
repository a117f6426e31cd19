"""TARGET as a GridStrategy name, against a stand-in API server and a real market maker.

What is checked here: the kubeconfig's server, credentials and namespace are used, the
two paths are the ones the API server serves, and each failure is one line. That the
real API server answers these paths is the E2E tier's job (tests/e2e/test_cli_cluster.py).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from gridops.client import SimulatorClient
from tests.support.connector import ConnectorProcess
from tests.support.market_maker import MarketMakerProcess, write_config

from .cli import clean_env, gridops_async
from .conftest import grid_up, url_of
from .fake_api import TOKEN, FakeApiServer, grid_strategy, write_kubeconfig


@pytest.fixture
async def api() -> AsyncIterator[FakeApiServer]:
    server = await FakeApiServer().start()
    server.strategies[("trading", "btc-grid")] = grid_strategy(
        "btc-grid", "trading", price="50010", position="0", realizedPnl="0",
        unrealizedPnl="0", openOrders=5,
    )  # fmt: skip
    yield server
    await server.stop()


@pytest.fixture
def btc_grid(tmp_path: Path, exchange: ConnectorProcess) -> Iterator[MarketMakerProcess]:
    config = write_config(tmp_path / "btc-grid.yaml", name="btc-grid")
    process = MarketMakerProcess(config, exchange.address)
    yield process
    process.stop()


def env_for(tmp_path: Path, server: str, namespace: str | None = "trading") -> dict[str, str]:
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", server, namespace)
    return clean_env(KUBECONFIG=str(kubeconfig), HOME=str(tmp_path))


async def test_status_of_a_grid_strategy_reads_it_and_its_engine_through_the_api(
    tmp_path: Path, api: FakeApiServer, sim: SimulatorClient, btc_grid: MarketMakerProcess
) -> None:
    await grid_up(sim, btc_grid)
    api.engines[("trading", "btc-grid")] = url_of(btc_grid)
    env = env_for(tmp_path, api.url)
    done = await gridops_async("status", "btc-grid", env=env)
    assert done.code == 0, done.err
    lines = done.out.splitlines()
    assert lines[0] == "btc-grid  BTC/USDT  durable engine  GridStrategy trading/btc-grid"
    assert "phase       running, synced" in lines
    assert "cluster     phase Running" in lines
    assert "orders      5 open: 5 buy, 0 sell" in lines
    assert api.requests == [
        ("/apis/gridops.io/v1alpha1/namespaces/trading/gridstrategies/btc-grid", f"Bearer {TOKEN}"),
        ("/api/v1/namespaces/trading/services/btc-grid-mm:8080/proxy/status", f"Bearer {TOKEN}"),
    ]

    document = json.loads((await gridops_async("status", "btc-grid", "--json", env=env)).out)
    assert document["namespace"] == "trading"
    assert document["gridStrategy"]["status"]["phase"] == "Running"
    assert document["marketMaker"]["synced"] is True
    assert document["marketMakerError"] is None

    orders = await gridops_async("orders", "btc-grid", env=env)
    assert orders.code == 0, orders.err
    assert orders.out.count("btc-grid-") == 5


async def test_a_halt_under_the_operator_is_cleared_with_kubectl(
    tmp_path: Path, api: FakeApiServer, sim: SimulatorClient, btc_grid: MarketMakerProcess
) -> None:
    await grid_up(sim, btc_grid)
    await sim.set_price("BTC/USDT", "52610")
    btc_grid.wait_status(lambda s: s["risk"]["halted"], message="halted")
    api.engines[("trading", "btc-grid")] = url_of(btc_grid)
    done = await gridops_async("status", "btc-grid", env=env_for(tmp_path, api.url))
    assert "clear now: kubectl -n trading annotate gs btc-grid gridops.io/clear-halt=now" in (
        done.out
    )


async def test_fills_of_a_grid_strategy_come_from_the_connector_given(
    tmp_path: Path,
    api: FakeApiServer,
    sim: SimulatorClient,
    exchange: ConnectorProcess,
    btc_grid: MarketMakerProcess,
) -> None:
    await grid_up(sim, btc_grid)
    await sim.fill_order("btc-grid-1000-B-1")
    env = env_for(tmp_path, api.url)
    done = await gridops_async("fills", "btc-grid", "--connector", exchange.address, env=env)
    assert done.code == 0, done.err
    assert "btc-grid-1000-B-1" in done.out
    assert done.out.splitlines()[-1].startswith("1 fill: bought 0.001 BTC")
    # only the GridStrategy was read: the engine is not needed for fills
    assert [path for path, _ in api.requests] == [
        "/apis/gridops.io/v1alpha1/namespaces/trading/gridstrategies/btc-grid"
    ]
    missing = await gridops_async("fills", "btc-grid", "--connector", "127.0.0.1:1", env=env)
    assert missing.code == 2
    assert "kubectl -n trading port-forward svc/gridops-connector-sim-demo 50051:50051" in (
        missing.error_line
    )


async def test_without_its_engine_the_operators_figures_stand_in(
    tmp_path: Path, api: FakeApiServer
) -> None:
    env = env_for(tmp_path, api.url)
    done = await gridops_async("status", "btc-grid", env=env)
    assert done.code == 0, done.err
    assert "price       50010 USDT" in done.out
    assert "orders      5 open" in done.out
    assert (
        "engine      /status not read: GET service btc-grid-mm:8080/status through the API: "
        in (done.out)
    )
    assert "HTTP 503" in done.out
    assert "not Ready" in done.out
    orders = await gridops_async("orders", "btc-grid", env=env)
    assert orders.code == 2
    assert orders.error_line.startswith("gridops: cannot read btc-grid's market maker: ")


async def test_an_unknown_name_another_namespace_and_a_cluster_without_the_crd(
    tmp_path: Path, api: FakeApiServer
) -> None:
    env = env_for(tmp_path, api.url)
    done = await gridops_async("status", "eth-grid", env=env)
    assert done.code == 2
    assert done.error_line == (
        "gridops: no GridStrategy 'eth-grid' in namespace trading (kubectl get gs -n trading; "
        "-n NAMESPACE picks another)"
    )
    done = await gridops_async("status", "btc-grid", "-n", "other", env=env)
    assert done.code == 2
    assert "no GridStrategy 'btc-grid' in namespace other" in done.error_line
    # a context without a namespace means "default"
    done = await gridops_async("status", "btc-grid", env=env_for(tmp_path, api.url, None))
    assert "in namespace default" in done.error_line
    api.crd_installed = False
    done = await gridops_async("status", "btc-grid", env=env)
    assert done.code == 2
    assert "the gridops CRD is not installed" in done.error_line


async def test_refused_credentials_and_an_api_server_that_is_not_there(
    tmp_path: Path, api: FakeApiServer
) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", api.url)
    kubeconfig.write_text(kubeconfig.read_text().replace(TOKEN, "wrong"))
    env = clean_env(KUBECONFIG=str(kubeconfig), HOME=str(tmp_path))
    done = await gridops_async("status", "btc-grid", env=env)
    assert done.code == 2
    assert done.error_line == (
        "gridops: reading GridStrategy trading/btc-grid: HTTP 401: Unauthorized"
    )
    done = await gridops_async("status", "btc-grid", env=env_for(tmp_path, "http://127.0.0.1:1"))
    assert done.code == 2
    assert done.error_line.startswith(
        f"gridops: the Kubernetes API at http://127.0.0.1:1 (kubeconfig {tmp_path / 'kubeconfig'}) "
        "is unreachable"
    )
