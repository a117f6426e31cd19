"""What changed between two REST snapshots of an account: the event stream of a venue
whose websocket messages the connector does not read (any ccxt id but Binance's family).

Pure: snapshots in, gridops events out. An order that left the open list is reported by
id only; the caller asks the venue for its final state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gridops.models import Balance, Order, Ticker


@dataclass(slots=True)
class Snapshot:
    #: open orders by venue order id
    orders: dict[str, Order] = field(default_factory=dict)
    balances: dict[str, Balance] = field(default_factory=dict)
    prices: dict[str, Ticker] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Changes:
    #: open orders that are new or changed (filled quantity, status)
    orders: list[Order]
    #: ids of orders no longer open: filled or cancelled since the last snapshot
    closed: list[str]
    #: assets whose balance changed
    assets: list[str]
    tickers: list[Ticker]


def _order_changed(before: Order | None, after: Order) -> bool:
    return before is None or (before.filled_quantity, before.status) != (
        after.filled_quantity,
        after.status,
    )


def diff(before: Snapshot, after: Snapshot) -> Changes:
    orders = [o for oid, o in after.orders.items() if _order_changed(before.orders.get(oid), o)]
    closed = [oid for oid in before.orders if oid not in after.orders]
    assets = sorted(
        asset
        for asset in set(before.balances) | set(after.balances)
        if _total(before.balances, asset) != _total(after.balances, asset)
        or _locked(before.balances, asset) != _locked(after.balances, asset)
    )
    tickers = [
        t
        for symbol, t in after.prices.items()
        if symbol not in before.prices or before.prices[symbol].price != t.price
    ]
    return Changes(orders, closed, assets, tickers)


def _total(balances: Mapping[str, Balance], asset: str) -> object:
    balance = balances.get(asset)
    return None if balance is None else balance.total


def _locked(balances: Mapping[str, Balance], asset: str) -> object:
    balance = balances.get(asset)
    return None if balance is None else balance.locked
