"""check-config on the file alone: every problem at once, in the loader's words."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from gridops.human.check_config import check_document, read_document, report
from gridops.human.errors import CliError
from gridops.human.rules import error, warning
from gridops.market_maker.config import ConfigError, load_config
from tests.support.bad_specs import BAD_SPECS, BadSpec, good_spec

BAD_FILE: dict[str, Any] = {
    "name": "Bad_Name",
    "symbol": "BTCUSDT",
    "grid": {"mode": "short", "priceInterval": 0.5, "orderQuantity": "1e-3", "buyWindow": 500},
    "risk": {"moveWindowSeconds": 0},
    "engine": {"type": "fast"},
    "grdi": {},
}


def loader_lines(path: Path) -> list[str]:
    """What `gridops market-maker --config` says about the same file."""
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return str(info.value).splitlines()


def test_every_problem_at_once_worded_as_the_market_maker_loader_words_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [k for k in os.environ if k.startswith("GRIDOPS_")]:
        monkeypatch.delenv(key)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(BAD_FILE))
    check = check_document(read_document(path), str(path))
    lines = report(check, [], "", connector_given=False)
    expected = loader_lines(path)
    assert lines[: len(expected)] == expected
    assert len(check.model_errors) == 9
    for field in ("name", "symbol", "grid.mode", "grid.priceInterval", "grid.orderQuantity",
                  "grid.buyWindow", "risk.moveWindowSeconds", "engine.type", "grdi"):  # fmt: skip
        assert any(line.startswith(f"{field}: ") for line in check.model_errors), field
    assert lines[-1] == f"{path}: 9 errors, 0 warnings"
    assert not check.valid


@pytest.mark.parametrize("bad", BAD_SPECS, ids=lambda b: b.id)
def test_each_bad_grid_strategy_spec_is_named_by_its_field(bad: BadSpec) -> None:
    manifest = {
        "apiVersion": "gridops.io/v1alpha1",
        "kind": "GridStrategy",
        "metadata": {"name": "btc-grid"},
        "spec": bad.spec(),
    }
    check = check_document(manifest, "gs.yaml")
    assert not check.valid
    # a cross-field rule is reported on its section, naming the field in its message
    section, _, last = bad.field.rpartition(".")
    assert any(
        line.startswith(bad.field) or (line.startswith(section) and last in line)
        for line in check.model_errors
    ), check.model_errors


def test_a_good_manifest_and_a_bad_name() -> None:
    manifest = {"kind": "GridStrategy", "metadata": {"name": "btc-grid"}, "spec": good_spec()}
    check = check_document(manifest, "gs.yaml")
    assert check.valid
    assert check.symbol == "BTC/USDT"
    assert check.grid is not None
    manifest["metadata"] = {"name": "BTC"}
    assert check_document(manifest, "gs.yaml").model_errors == [
        "metadata.name: 'BTC' is not a DNS label (e.g. btc-grid)"
    ]


def test_a_valid_config_is_summed_up_and_warns_of_a_relative_sqlite_path() -> None:
    config = {"name": "btc-grid", **good_spec(), "engine": {"databaseUrl": "sqlite:///var/x.db"}}
    check = check_document(config, "btc.yaml")
    assert check.valid
    lines = report(check, [], "", connector_given=False)
    assert lines[0] == (
        "btc.yaml: valid (strategy btc-grid, BTC/USDT, long grid: levels 50 apart, 0.001 each, "
        "3 buy / 0 sell levels, durable engine)"
    )
    assert lines[1] == (
        "warning: engine.databaseUrl: sqlite:///var/x.db is a path relative to the market "
        "maker's working directory; sqlite:////var/x.db is absolute"
    )
    assert lines[2].startswith("exchange rules (tick, step, min notional, fees) not checked")
    assert "(this file's connector: 127.0.0.1:50051)" in lines[2]
    assert lines[3] == "btc.yaml: 0 errors, 1 warning"


def test_the_symbol_and_grid_survive_another_sections_error() -> None:
    config = {"name": "btc-grid", **good_spec(), "risk": {"cooldownSeconds": -1}}
    check = check_document(config, "btc.yaml")
    assert not check.valid
    assert check.symbol == "BTC/USDT"  # so the exchange can still be asked about them
    assert check.grid is not None


def test_exchange_findings_are_listed_errors_first() -> None:
    check = check_document({"name": "g", **good_spec()}, "g.yaml")
    found = [warning("grid.priceInterval", "below fees"), error("symbol", "not listed")]
    lines = report(check, found, "exchange: BTC/USDT on x:1", connector_given=True)
    assert lines[1:] == [
        "exchange: BTC/USDT on x:1",
        "error: symbol: not listed",
        "warning: grid.priceInterval: below fees",
        "g.yaml: 1 error, 1 warning",
    ]


def test_unreadable_files_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(CliError, match=r"cannot read config .*missing\.yaml"):
        read_document(tmp_path / "missing.yaml")
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n")
    with pytest.raises(CliError, match="expected a mapping, got list"):
        read_document(listed)


EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.mark.parametrize("name", ["btc-grid-sim.yaml", "btc-grid-venue.yaml"])
def test_every_example_strategy_is_valid(name: str) -> None:
    # btc-grid-venue.yaml carries its credentials Secret first: the strategy is found.
    check = check_document(read_document(EXAMPLES / name), name)
    assert check.model_errors == []
    assert report(check, [], "", connector_given=False)[-1] == f"{name}: 0 errors, 0 warnings"


def test_a_manifest_of_several_documents_needs_exactly_one_strategy(tmp_path: Path) -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "keys"}}
    strategy = {"apiVersion": "gridops.io/v1alpha1", "kind": "GridStrategy",
                "metadata": {"name": "btc-grid"}, "spec": good_spec()}  # fmt: skip
    path = tmp_path / "stack.yaml"
    path.write_text(yaml.safe_dump_all([secret, strategy]))
    assert read_document(path) == strategy
    path.write_text(yaml.safe_dump_all([secret, strategy, strategy]))
    with pytest.raises(CliError, match="3 YAML documents with 2 GridStrategy among them"):
        read_document(path)
