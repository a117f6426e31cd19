"""Quantization of what gridops shows and sends: tick for prices and quote, step for base."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

from gridops.live_server import views
from gridops.models import Fill, Position, Side, SymbolInfo
from gridops.precision import Precision, market_maker_status

T = datetime(2030, 1, 1, tzinfo=UTC)
BTC = SymbolInfo("BTC/USDT", "BTC", "USDT", D("0.01"), D("0.00001"), D(0), D(5))
ETH = SymbolInfo("ETH/BTC", "ETH", "BTC", D("0.000001"), D("0.001"), D(0), D(0))


def test_the_issue_s_position_is_sent_to_the_tick() -> None:
    position = Position(
        "BTC/USDT", D("0.003"), D("50291.46453333333333333333333"), D("50300"),
        D("0.02639999999999999999999999"), D("-9.050002000000000000000000015"), T,
    )  # fmt: skip
    sent = views.position(position, Precision([BTC]))
    assert sent["entryPrice"] == "50291.46"
    assert sent["realizedPnl"] == "-9.05"
    assert sent["unrealizedPnl"] == "0.03"
    assert sent["quantity"] == "0.003"


def test_fees_follow_the_asset_they_are_charged_in() -> None:
    p = Precision([BTC])
    fill = Fill("t-1", "o-1", "g-1-B-1", "BTC/USDT", Side.BUY, D("49950"), D("0.001"),
                D("0.04995"), "USDT", True, T)  # fmt: skip
    assert views.fill(fill, p)["fee"] == "0.05"
    in_base = Fill("t-2", "o-2", "g-1-B-2", "BTC/USDT", Side.BUY, D("49950"), D("0.001"),
                   D("0.000001234"), "BTC", True, T)  # fmt: skip
    assert views.fill(in_base, p)["fee"] == "0"
    assert views.fill(in_base, p)["strategy"] == "g"


def test_an_asset_takes_its_finest_known_precision() -> None:
    p = Precision([BTC, ETH])
    # BTC: the step of BTC/USDT (0.00001) and the tick of ETH/BTC (0.000001): the finer
    assert p.asset("BTC", D("0.1234567891")) == "0.123457"
    assert p.asset("USDT", D("99949.95005")) == "99949.95"
    assert p.asset("DOGE", D("1.23456789")) == "1.23456789"  # unknown: as it is


def test_unknown_symbols_pass_unrounded() -> None:
    assert Precision().price("BTC/USDT", D("1.23456")) == "1.23456"


def test_market_maker_status_is_quantized_by_field() -> None:
    document = {
        "name": "g", "symbol": "BTC/USDT", "lastPrice": "50000.004", "position": "0.0010000001",
        "pnl": {"realized": "-0.03996", "unrealized": "0.001", "fees": "0.09996"},
        "openOrders": [{"clientOrderId": "g-1-B-1", "price": "49950.001",
                        "quantity": "0.001000001", "filled": "0", "pending": False}],
        "slots": [{"level": 1, "holding": "0.0010000001", "averageEntry": "49950.005",
                   "realizedPnl": "n/a"}],
    }  # fmt: skip
    sent = market_maker_status(document, Precision([BTC]))
    assert sent["lastPrice"] == "50000"
    assert sent["position"] == "0.001"
    assert sent["pnl"] == {"realized": "-0.04", "unrealized": "0", "fees": "0.1"}
    assert sent["openOrders"][0] == {**document["openOrders"][0], "price": "49950",  # type: ignore[index]
                                     "quantity": "0.001"}  # fmt: skip
    assert sent["slots"][0]["averageEntry"] == "49950"  # half to even
    assert sent["slots"][0]["realizedPnl"] == "n/a"  # not a number: untouched
    assert document["pnl"]["fees"] == "0.09996"  # type: ignore[index]  # the input is not changed
