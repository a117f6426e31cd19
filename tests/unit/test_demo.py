"""The demo's settings: a grid that earns after fees, in a market that trades it soon."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from gridops.demo import DEMO_GRID, DEMO_SIM, demo_strategy, prepare_strategy, reset
from gridops.simexchange.settings import create_market
from gridops.spec.economics import fee_warning, round_trip
from gridops.spec.sim import SimSettings
from gridops.startup import StartupError

SETTINGS = SimSettings.model_validate(DEMO_SIM)
INTERVAL = Decimal(str(DEMO_GRID["priceInterval"]))
QUANTITY = Decimal(str(DEMO_GRID["orderQuantity"]))
START = next(s.price for s in SETTINGS.symbols if s.symbol == "BTC/USDT")


def test_a_round_trip_of_the_demo_grid_nets_a_profit_after_fees() -> None:
    # The symbol info the demo's connector serves, fee rates included.
    info = create_market(SETTINGS).symbol_info("BTC/USDT")
    assert info.maker_fee == Decimal("0.001")  # honest fees: Binance's standard rate
    trip = round_trip(INTERVAL, QUANTITY, START, info)
    assert trip.gross == Decimal("2.5")
    assert trip.fees == Decimal("1.0025")
    assert trip.net > Decimal("1.49")
    assert fee_warning(INTERVAL, QUANTITY, START, info) is None
    # and it keeps earning well away from the start: a quarter down, a quarter up
    for price in (START * Decimal("0.75"), START * Decimal("1.25")):
        assert round_trip(INTERVAL, QUANTITY, price, info).net > 0


def test_the_demo_strategy_is_the_demo_grid() -> None:
    strategy = demo_strategy("127.0.0.1:50051", Path("/tmp/demo"))
    assert strategy["grid"] == DEMO_GRID
    assert strategy["symbol"] == "BTC/USDT"


def test_the_seeded_walk_trades_the_grid_within_the_first_minute() -> None:
    """Replay the demo's price walk as its connector steps it (every symbol, every tick):
    a buy level is crossed, then the level above it, well inside a minute or two."""
    market = create_market(SETTINGS)
    tick = SETTINGS.tick_interval
    window = int(str(DEMO_GRID["buyWindow"]))
    lowest = START - window * INTERVAL  # the deepest buy the grid places at the start
    bought: Decimal | None = None  # the level of the first buy that filled
    first_fill = first_trip = None
    for step in range(1, int(120 / tick) + 1):
        for symbol in market.symbols():
            market.step(symbol, tick)
        price = market.last_price("BTC/USDT")
        if bought is None and price < START and price >= lowest:
            bought = (price / INTERVAL).to_integral_value(rounding="ROUND_CEILING") * INTERVAL
            first_fill = step * tick
        elif bought is not None and price >= bought + INTERVAL:
            first_trip = step * tick
            break
    assert first_fill is not None
    assert first_fill <= 60
    assert first_trip is not None
    assert first_trip <= 120


def test_a_strategy_file_of_the_user_is_checked_like_the_market_maker_s(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\nsymbol: BTC/USDT\ngrid: {priceInterval: '0'}\n")
    with pytest.raises(
        StartupError, match=r"(?s)demo --config: invalid config .*grid\.priceInterval"
    ):
        prepare_strategy(path, "127.0.0.1:1", tmp_path)
    path.write_text(
        "name: mine\nsymbol: SOL/USDT\ngrid: {priceInterval: '1', orderQuantity: '1'}\n"
    )
    with pytest.raises(StartupError, match="SOL/USDT is not on the demo's simulated exchange"):
        prepare_strategy(path, "127.0.0.1:1", tmp_path)
    path.write_text(
        "name: mine\nsymbol: ETH/USDT\ngrid: {priceInterval: '15', orderQuantity: '1'}\n"
    )
    text = path.read_text()
    strategy = prepare_strategy(path, "127.0.0.1:1", tmp_path / "data")
    assert (strategy.name, strategy.symbol, strategy.written) == ("mine", "ETH/USDT", False)
    assert path.read_text() == text  # never rewritten


def test_reset_removes_exchange_strategy_state_and_prices_and_says_what(
    tmp_path: Path,
) -> None:
    strategy = prepare_strategy(None, "127.0.0.1:1", tmp_path)
    assert strategy.written
    assert strategy.path == tmp_path / "btc-demo.yaml"
    assert reset(tmp_path, strategy) == []
    for name in ("exchange.db", "exchange.db-wal", "exchange.json", "btc-demo.db",
                 "btc-demo.db-wal", "notes.txt"):  # fmt: skip
        (tmp_path / name).write_text("x")
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "connector.log").write_text("kept")
    (tmp_path / "live").mkdir()
    (tmp_path / "live" / "BTC%2FUSDT.prices.jsonl").write_text("x")
    (tmp_path / "live" / "lock").write_text("")
    removed = reset(tmp_path, strategy)
    assert removed == [
        str(tmp_path / n)
        for n in (
            "exchange.db",
            "exchange.db-wal",
            "exchange.json",
            "live/BTC%2FUSDT.prices.jsonl",
            "btc-demo.db",
            "btc-demo.db-wal",
        )
    ]
    assert (tmp_path / "notes.txt").exists()
    assert (tmp_path / "logs" / "connector.log").exists()
