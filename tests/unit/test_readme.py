"""The README's configuration example is one a user can copy: it loads, it earns after
the default fees, it does not pose as the demo's strategy, its SQLite path is absolute."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from gridops.demo import DEMO_NAME
from gridops.market_maker.config import load_config
from gridops.simexchange.settings import create_market
from gridops.spec.economics import fee_warning
from gridops.spec.sim import SimSettings

README = Path(__file__).resolve().parents[2] / "README.md"


def _example(tmp_path: Path) -> Path:
    section = README.read_text().split("## Configuration", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block is not None
    path = tmp_path / "example.yaml"
    path.write_text(block.group(1))
    return path


def test_the_configuration_example_is_sound(tmp_path: Path) -> None:
    config = load_config(_example(tmp_path))
    assert config.name != DEMO_NAME
    assert config.database_url.startswith("sqlite:////"), "an absolute path: four slashes"
    info = create_market(SimSettings()).symbol_info(config.symbol)
    grid = config.grid
    assert fee_warning(grid.price_interval, grid.order_quantity, Decimal(50000), info) is None


def test_the_readme_says_a_second_strategy_shares_the_demo_account() -> None:
    text = " ".join(README.read_text().split())
    assert "trades the demo's simulated account" in text
    assert "show up on the demo's dashboard" in text
    assert "gridops cancel --connector 127.0.0.1:50051 --prefix my-grid" in text
