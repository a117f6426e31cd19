"""gridops.market_maker.state_dir.state_dir: which directory an engine writes, and its setting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gridops.market_maker.state_dir import state_dir
from gridops.spec import StrategyConfig


def config(**engine: Any) -> StrategyConfig:
    return StrategyConfig.model_validate(
        {
            "name": "btc-grid",
            "symbol": "BTC/USDT",
            "grid": {"priceInterval": "50", "orderQuantity": "0.001"},
            "engine": engine,
        }
    )


@pytest.mark.parametrize("engine_type", ["simple", "durable"])
def test_the_data_dir_by_default(engine_type: str) -> None:
    where = state_dir(config(type=engine_type, dataDir="/var/lib/gridops"))
    assert where is not None
    assert where.path == Path("/var/lib/gridops")
    assert (where.setting, where.env) == ("engine.dataDir", "GRIDOPS_ENGINE__DATA_DIR")


def test_the_default_data_dir_is_relative() -> None:
    where = state_dir(config())
    assert where is not None
    assert where.path == Path("data")


def test_an_sqlite_url_names_its_own_directory_and_setting() -> None:
    where = state_dir(config(databaseUrl="sqlite:////srv/state/btc.db", dataDir="/elsewhere"))
    assert where is not None
    assert where.path == Path("/srv/state")
    assert (where.setting, where.env) == ("engine.databaseUrl", "GRIDOPS_ENGINE__DATABASE_URL")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://gridops@db/gridops",
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///file::memory:?cache=shared",
    ],
)
def test_no_directory_when_nothing_is_written_to_disk(url: str) -> None:
    assert state_dir(config(databaseUrl=url)) is None
