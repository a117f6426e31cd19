"""What a grid earns per round trip against the exchange's fees (pure).

A long grid buys `orderQuantity` at a level and sells it one `priceInterval` higher: the
round trip earns `interval x quantity` and pays a fee on both fills. Entries are post-only
(maker); an exit is a plain limit order that rests, so maker too, unless the price already
passed it. A step at or below the round trip's fees loses money on every trade it makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from gridops.decimals import fmt
from gridops.models import SymbolInfo


@dataclass(frozen=True, slots=True)
class RoundTrip:
    gross: Decimal  #: interval x quantity (quote asset)
    fees: Decimal  #: both fills at the maker rate (quote asset)

    @property
    def net(self) -> Decimal:
        return self.gross - self.fees


def round_trip(interval: Decimal, quantity: Decimal, price: Decimal, info: SymbolInfo) -> RoundTrip:
    """One buy at `price` and its sell one interval up, both at the maker fee."""
    fees = (price + price + interval) * quantity * info.maker_fee
    return RoundTrip(gross=interval * quantity, fees=fees)


def fee_warning(
    interval: Decimal, quantity: Decimal, price: Decimal, info: SymbolInfo
) -> str | None:
    """A warning naming grid.priceInterval when a round trip does not beat its fees."""
    if price <= 0 or info.maker_fee <= 0:
        return None
    trip = round_trip(interval, quantity, price, info)
    if trip.net > 0:
        return None
    step = fmt((interval / price * 100).quantize(Decimal("0.0001")))
    cost = fmt((2 * info.maker_fee * 100).quantize(Decimal("0.0001")))
    net = fmt(trip.net.quantize(info.tick_size) if info.tick_size > 0 else trip.net)
    wanted = (price * 2 * info.maker_fee).quantize(info.tick_size or Decimal(1))
    return (
        f"grid.priceInterval {fmt(interval)} is {step} % of the price {fmt(price)}, not above "
        f"a round trip's fees ({cost} %: two fills at the maker fee "
        f"{fmt(info.maker_fee * 100)} %): each buy-then-sell nets {net} {info.quote_asset}; "
        f"use a priceInterval above {fmt(wanted)}"
    )
