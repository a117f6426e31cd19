"""`gridops check-config`: the file, then the exchange's rules through a real connector."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.support.connector import ConnectorProcess

from .cli import clean_env, gridops

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "btc-grid-sim.yaml"


def config(path: Path, **changes: Any) -> Path:
    document: dict[str, Any] = {
        "name": "btc-grid",
        "symbol": "BTC/USDT",
        "grid": {"mode": "long", "priceInterval": "150", "orderQuantity": "0.001", "buyWindow": 5},
    }
    for key, value in changes.items():
        document[key] = {**document.get(key, {}), **value} if isinstance(value, dict) else value
    path.write_text(yaml.safe_dump(document))
    return path


def test_the_example_passes_against_the_exchange(exchange: ConnectorProcess) -> None:
    done = gridops("check-config", str(EXAMPLE), "--connector", exchange.address)
    assert done.code == 0, done.out
    lines = done.out.splitlines()
    assert lines[0].startswith(f"{EXAMPLE}: valid (strategy btc-grid, BTC/USDT, long grid")
    assert lines[1] == (
        f"exchange: BTC/USDT on {exchange.address}: price 50000 USDT, tick 0.01, step 0.00001, "
        "min quantity 0.00001, min notional 5 USDT, maker fee 0.1 %"
    )
    assert lines[-1] == f"{EXAMPLE}: 0 errors, 0 warnings"


def test_a_step_below_the_fees_is_a_warning_not_an_error(
    tmp_path: Path, exchange: ConnectorProcess
) -> None:
    path = config(tmp_path / "thin.yaml", grid={"priceInterval": "25"})
    done = gridops("check-config", str(path), "--connector", exchange.address)
    assert done.code == 0, done.out
    assert "warning: grid.priceInterval: 25 is 0.05 % of the price 50000" in done.out
    assert "use a priceInterval above 100" in done.out
    assert done.out.splitlines()[-1] == f"{path}: 0 errors, 1 warning"


def test_every_exchange_rule_broken_at_once(tmp_path: Path, exchange: ConnectorProcess) -> None:
    path = config(
        tmp_path / "off.yaml",
        grid={"priceInterval": "150.005", "orderQuantity": "0.000095", "anchorPrice": "0.001"},
    )
    done = gridops("check-config", str(path), "--connector", exchange.address)
    assert done.code == 2
    errors = [line for line in done.out.splitlines() if line.startswith("error: ")]
    assert [e.split(":")[1].strip() for e in errors] == [
        "grid.priceInterval",
        "grid.anchorPrice",
        "grid.orderQuantity",
        "grid.orderQuantity",
    ]
    assert "tick size 0.01" in errors[0]
    assert "step size 0.00001" in errors[2]
    assert "below the min notional 5 USDT" in errors[3]
    assert done.out.splitlines()[-1] == f"{path}: 4 errors, 0 warnings"


def test_an_unlisted_symbol(tmp_path: Path, exchange: ConnectorProcess) -> None:
    path = config(tmp_path / "doge.yaml", symbol="DOGE/USDT")
    done = gridops("check-config", str(path), "--connector", exchange.address)
    assert done.code == 2
    assert f"error: symbol: DOGE/USDT is not listed on the connector at {exchange.address}" in (
        done.out
    )


def test_file_problems_and_an_unreachable_connector_all_at_once(tmp_path: Path) -> None:
    path = config(tmp_path / "bad.yaml", grid={"buyWindow": 500}, risk={"cooldownSeconds": -1})
    done = gridops("check-config", str(path), "--connector", "127.0.0.1:1")
    assert done.code == 2
    lines = done.out.splitlines()
    assert lines[0] == f"invalid config {path}:"
    assert lines[1].startswith("  grid.buyWindow: ")
    assert lines[2].startswith("  risk.cooldownSeconds: ")
    assert any(line.startswith("error: ") and "127.0.0.1:1" in line and "--connector" in line
               for line in lines), lines  # fmt: skip
    assert lines[-1] == f"{path}: 3 errors, 0 warnings"


def test_the_same_words_as_the_market_maker_itself(tmp_path: Path) -> None:
    bad = {
        "name": "Bad_Name",
        "symbol": "BTCUSDT",
        "grid": {"mode": "short", "priceInterval": 0.5, "orderQuantity": "1e-3"},
        "engine": {"type": "fast"},
        "grdi": {},
    }
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    checked = gridops("check-config", str(path))
    assert checked.code == 2
    started = gridops("market-maker", "--config", str(path), "--http-port", "0", env=clean_env())
    assert started.code == 2
    said = [line.removeprefix("gridops: ") for line in started.err.strip().splitlines()]
    assert checked.out.splitlines()[: len(said)] == said
    assert len(said) == 8  # the heading and the seven problems


def test_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    done = gridops("check-config", str(tmp_path / "none.yaml"))
    assert done.code == 2
    assert done.error_line.startswith(f"gridops: cannot read config {tmp_path / 'none.yaml'}")
