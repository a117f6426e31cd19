"""A grid's round trip against its fees, and the warning for a step that cannot earn."""

from __future__ import annotations

from decimal import Decimal as D

from gridops.models import SymbolInfo
from gridops.spec.economics import fee_warning, round_trip


def info(fee: str = "0.001") -> SymbolInfo:
    return SymbolInfo(
        symbol="BTC/USDT",
        base_asset="BTC",
        quote_asset="USDT",
        tick_size=D("0.01"),
        step_size=D("0.00001"),
        min_quantity=D("0.00001"),
        min_notional=D("5"),
        maker_fee=D(fee),
        taker_fee=D(fee),
    )


def test_the_old_demo_step_loses_about_fifteen_cents_a_trip() -> None:
    trip = round_trip(D("25"), D("0.002"), D("50000"), info())
    assert trip.gross == D("0.05")
    assert trip.fees == D("0.20005")
    assert trip.net.quantize(D("0.01")) == D("-0.15")


def test_a_step_below_the_fees_is_named_with_what_would_earn() -> None:
    warning = fee_warning(D("25"), D("0.002"), D("50000"), info())
    assert warning is not None
    assert warning.startswith("grid.priceInterval 25 is 0.05 % of the price 50000")
    assert "0.2 %" in warning
    assert "nets -0.15 USDT" in warning
    assert "above 100" in warning


def test_a_step_above_the_fees_is_fine_and_so_is_a_venue_without_fees() -> None:
    assert fee_warning(D("150"), D("0.001"), D("50000"), info()) is None
    assert fee_warning(D("25"), D("0.002"), D("50000"), info("0")) is None
    assert fee_warning(D("25"), D("0.002"), D("0"), info()) is None


def test_exactly_at_the_fees_earns_nothing_and_is_warned() -> None:
    # 2 x 0.1 % of ~50000 is ~100: 100 leaves the fee on the exit's extra 100 unpaid
    assert fee_warning(D("100"), D("1"), D("50000"), info()) is not None
    assert fee_warning(D("101"), D("1"), D("50000"), info()) is None
