"""The strategy config: the brief's example, defaults, typos, the environment."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from gridops.market_maker.config import ConfigError, load_config
from gridops.spec import StrategyConfig, StrategySpec

BRIEF_EXAMPLE = """
name: btc-grid
connector: 127.0.0.1:50051
symbol: BTC/USDT
grid: {mode: long, priceInterval: "50", orderQuantity: "0.001", buyWindow: 5, sellWindow: 5}
risk: {maxMovePercent: "5", moveWindowSeconds: 1, maxPosition: "0.1", cooldownSeconds: 300}
engine: {type: durable, databaseUrl: "sqlite:///var/btc-grid.db"}
paused: false
"""


def test_the_brief_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(BRIEF_EXAMPLE)
    config = load_config(path)
    assert config.grid.price_interval == Decimal("50")
    assert isinstance(config.grid.order_quantity, Decimal)
    assert config.risk.max_position == Decimal("0.1")
    assert config.database_url == "sqlite:///var/btc-grid.db"


def test_only_name_symbol_interval_and_quantity_are_required() -> None:
    config = StrategyConfig.model_validate(
        {"name": "g", "symbol": "ETH/USDT", "grid": {"priceInterval": "1", "orderQuantity": "1"}}
    )
    assert config.engine.type == "durable"
    assert config.database_url == "sqlite:///data/g.db"
    assert config.grid.mode == "long"
    assert config.risk.max_move_percent == Decimal(5)
    with pytest.raises(ValueError, match="priceInterval"):
        StrategyConfig.model_validate({"name": "g", "symbol": "ETH/USDT", "grid": {}})


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"grid": {"priceInterval": "0", "orderQuantity": "1"}}, "grid.priceInterval"),
        ({"grid": {"priceInterval": "abc", "orderQuantity": "1"}}, "grid.priceInterval"),
        ({"grid": {"priceInterval": "1", "orderQuantity": "1", "mode": "short"}}, "grid.mode"),
        ({"symbol": "BTCUSDT"}, "symbol"),
        ({"name": "Bad_Name"}, "name"),
        ({"risk": {"maxMovePercent": "-1"}}, "risk.maxMovePercent"),
        ({"engine": {"type": "fast"}}, "engine.type"),
        ({"paused": "maybe"}, "paused"),
        ({"grdi": {}}, "grdi"),
    ],
)
def test_a_bad_value_is_an_error_naming_the_field(
    tmp_path: Path, change: dict[str, object], field: str
) -> None:
    import yaml

    data = {"name": "g", "symbol": "BTC/USDT", "grid": {"priceInterval": "1", "orderQuantity": "1"}}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({**data, **change}))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert f"  {field}:" in str(info.value)


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(BRIEF_EXAMPLE)
    monkeypatch.setenv("GRIDOPS_GRID__BUY_WINDOW", "7")
    monkeypatch.setenv("GRIDOPS_PAUSED", "true")
    monkeypatch.setenv("GRIDOPS_CONNECTOR_PORT", "1")  # another component's: ignored
    config = load_config(path)
    assert config.grid.buy_window == 7
    assert config.paused is True
    assert config.connector == "127.0.0.1:50051"


def test_spec_schema_uses_the_camel_case_names() -> None:
    schema = StrategySpec.model_json_schema(by_alias=True)
    assert {"symbol", "grid", "risk", "engine", "exchange", "liveServer", "paused"} <= set(
        schema["properties"]
    )
    grid = schema["$defs"]["GridSettings"]["properties"]
    assert {"priceInterval", "orderQuantity", "buyWindow", "sellWindow"} <= set(grid)


def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.upper().startswith("GRIDOPS_"):
            monkeypatch.delenv(key)


def test_a_bad_environment_value_names_the_variable_not_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clean_environment(monkeypatch)
    path = tmp_path / "c.yaml"
    path.write_text(BRIEF_EXAMPLE)
    monkeypatch.setenv("GRIDOPS_GRID__BUY_WINDOW", "abc")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    lines = str(info.value).splitlines()
    assert lines[0] == f"invalid config {path} with GRIDOPS_* environment variables over it:"
    assert lines[1].startswith("  grid.buyWindow: Input should be a valid integer")
    assert lines[1].endswith("(set by the environment variable GRIDOPS_GRID__BUY_WINDOW)")


def test_a_bad_file_value_is_still_the_file_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clean_environment(monkeypatch)
    path = tmp_path / "c.yaml"
    path.write_text(BRIEF_EXAMPLE.replace("buyWindow: 5", "buyWindow: abc"))
    monkeypatch.setenv("GRIDOPS_PAUSED", "true")  # fine, and not to blame
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).splitlines()[0] == f"invalid config {path}:"
    assert "environment" not in str(info.value)


def test_a_whole_section_as_bad_json_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clean_environment(monkeypatch)
    path = tmp_path / "c.yaml"
    path.write_text(BRIEF_EXAMPLE)
    monkeypatch.setenv("GRIDOPS_GRID", "{not json")
    with pytest.raises(ConfigError, match="environment variable GRIDOPS_GRID is not valid JSON"):
        load_config(path)


def test_no_config_at_all_says_what_is_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    _clean_environment(monkeypatch)
    with pytest.raises(ConfigError) as info:
        load_config(None)
    message = str(info.value)
    assert message.startswith("no strategy config: pass --config FILE")
    assert "GRIDOPS_SYMBOL" in message
    monkeypatch.setenv("GRIDOPS_NAME", "g")
    monkeypatch.setenv("GRIDOPS_SYMBOL", "BTC/USDT")
    monkeypatch.setenv("GRIDOPS_GRID__PRICE_INTERVAL", "150")
    monkeypatch.setenv("GRIDOPS_GRID__ORDER_QUANTITY", "0.001")
    assert load_config(None).grid.price_interval == Decimal(150)
