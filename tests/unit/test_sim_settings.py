"""SimSettings: documented defaults, YAML loading, errors that name the field."""

from __future__ import annotations

import re
from decimal import Decimal as D
from pathlib import Path

import pytest
from pydantic import ValidationError

from gridops.simexchange.settings import (
    SimSettings,
    SimSettingsError,
    create_market,
    load_sim_settings,
)


def test_defaults() -> None:
    settings = SimSettings()
    btc, eth = settings.symbols
    assert (btc.symbol, btc.price, btc.tick_size, btc.step_size) == (
        "BTC/USDT",
        D("50000"),
        D("0.01"),
        D("0.00001"),
    )
    assert (btc.min_quantity, btc.min_notional) == (D("0.00001"), D("5"))
    assert (eth.symbol, eth.price, eth.step_size, eth.min_notional) == (
        "ETH/USDT",
        D("3000"),
        D("0.0001"),
        D("5"),
    )
    assert settings.balances == {"USDT": D("100000"), "BTC": D("1"), "ETH": D("10")}
    assert settings.tick_interval == 1.0
    assert settings.maker_fee == settings.taker_fee == D("0.001")
    assert settings.partial_fill_probability == 0
    assert settings.quote_asset == "USDT"


def test_every_field_is_documented() -> None:
    for model in (SimSettings, type(SimSettings().symbols[0])):
        for name, info in model.model_fields.items():
            assert info.description, f"{model.__name__}.{name} has no description"


def test_yaml_in_camel_case_with_decimal_strings(tmp_path: Path) -> None:
    path = tmp_path / "sim.yaml"
    path.write_text(
        """
symbols:
  - {symbol: SOL/USDT, price: "150.5", tickSize: "0.1", stepSize: "0.01", minNotional: "1"}
balances: {USDT: "2500.75"}
seed: 9
tickInterval: 0
makerFee: "0.0002"
partialFillProbability: 0.25
""",
        encoding="utf-8",
    )
    settings = load_sim_settings(path)
    (sol,) = settings.symbols
    assert (sol.price, sol.tick_size, sol.min_notional) == (D("150.5"), D("0.1"), D("1"))
    assert settings.balances == {"USDT": D("2500.75")}
    assert (settings.seed, settings.tick_interval) == (9, 0)
    assert settings.maker_fee == D("0.0002")
    market = create_market(settings)
    assert market.symbols() == ["SOL/USDT"]
    assert market.config.partial_fill_probability == 0.25


def test_snake_case_is_accepted_too() -> None:
    assert SimSettings.model_validate({"tick_interval": 0.5}).tick_interval == 0.5


def test_an_empty_file_means_defaults(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("", encoding="utf-8")
    assert load_sim_settings(path) == SimSettings()


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("seeed: 3", "seeed"),
        ("tickInterval: -1", "tickInterval"),
        ("makerFee: '1.5'", "makerFee"),
        ("balances: {USDT: '-5'}", "balances.USDT"),
        ("symbols: [{symbol: BTCUSDT, price: 1, tickSize: 1, stepSize: 1}]", "symbols.0"),
        ("symbols: [{symbol: A/B, price: '1.05', tickSize: '0.1', stepSize: 1}]", "symbols.0"),
        ("symbols: [{symbol: A/B, price: 1, tickSize: 0, stepSize: 1}]", "symbols.0.tickSize"),
    ],
)
def test_errors_name_the_field(tmp_path: Path, text: str, named: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SimSettingsError, match=f"{re.escape(str(path))}: .*{named}"):
        load_sim_settings(path)


def test_duplicate_symbols_are_refused() -> None:
    symbol = {"symbol": "A/B", "price": "1", "tickSize": "1", "stepSize": "1"}
    with pytest.raises(ValidationError, match="listed more than once: A/B"):
        SimSettings.model_validate({"symbols": [symbol, symbol]})


def test_unreadable_or_non_mapping_files(tmp_path: Path) -> None:
    with pytest.raises(SimSettingsError, match=r"missing\.yaml"):
        load_sim_settings(tmp_path / "missing.yaml")
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n", encoding="utf-8")
    with pytest.raises(SimSettingsError, match="expected a mapping"):
        load_sim_settings(path)


def test_symbol_info_carries_the_fee_rates() -> None:
    market = create_market(SimSettings(maker_fee=D("0.0002"), taker_fee=D("0.0007")))
    info = market.symbol_info("BTC/USDT")
    assert (info.maker_fee, info.taker_fee) == (D("0.0002"), D("0.0007"))
