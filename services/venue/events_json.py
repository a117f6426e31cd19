"""Binance's stream events for the simulated market: user data (executionReport,
outboundAccountPosition) and market streams (tickers, book ticker, trades). Pure: no I/O.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gridops.models import Account, Fill, Order, OrderStatus

from .binance_json import market_id, ms, num, order_number, public_client_id, trade_number


def _quote_filled(order: Order) -> Decimal:
    return order.average_fill_price * order.filled_quantity


# ---- user data stream events ---------------------------------------------------------


def execution_report(
    order: Order, fill: Fill | None, event_ms: int, *, execution: str
) -> dict[str, Any]:
    """The `executionReport` event: one per order state change, one per fill."""
    zero = num(Decimal(0))
    return {
        "e": "executionReport",
        "E": event_ms,
        "s": market_id(order.symbol),
        "c": public_client_id(order.client_order_id),
        "S": order.side.value,
        "o": order.type.value,
        "f": "GTC",
        "q": num(order.quantity),
        "p": num(order.price),
        "P": zero,
        "F": zero,
        "g": -1,
        "C": public_client_id(order.client_order_id)
        if order.status is OrderStatus.CANCELED
        else "",
        "x": execution,
        "X": order.status.value,
        "r": "NONE",
        "i": order_number(order.order_id),
        "l": num(fill.quantity) if fill else zero,
        "z": num(order.filled_quantity),
        "L": num(fill.price) if fill else zero,
        "n": num(fill.fee) if fill else zero,
        "N": fill.fee_asset if fill else None,
        "T": ms(fill.time) if fill else ms(order.updated_at),
        "t": trade_number(fill.trade_id) if fill else -1,
        "I": 0,
        "w": order.is_open,
        "m": fill.maker if fill else False,
        "M": False,
        "O": ms(order.created_at),
        "Z": num(_quote_filled(order)),
        "Y": num(fill.price * fill.quantity) if fill else zero,
        "Q": zero,
        "W": ms(order.created_at),
        "V": "EXPIRE_MAKER",
    }


def account_position(acct: Account, event_ms: int) -> dict[str, Any]:
    return {
        "e": "outboundAccountPosition",
        "E": event_ms,
        "u": ms(acct.updated_at),
        "B": [{"a": b.asset, "f": num(b.free), "l": num(b.locked)} for b in acct.balances],
    }


# ---- market stream events ------------------------------------------------------------


def ticker_event(symbol: str, price: Decimal, event_ms: int) -> dict[str, Any]:
    zero = num(Decimal(0))
    last = num(price)
    return {
        "e": "24hrTicker",
        "E": event_ms,
        "s": market_id(symbol),
        "p": zero,
        "P": "0.000",
        "w": last,
        "x": last,
        "c": last,
        "Q": zero,
        "b": last,
        "B": zero,
        "a": last,
        "A": zero,
        "o": last,
        "h": last,
        "l": last,
        "v": zero,
        "q": zero,
        "O": event_ms - 86_400_000,
        "C": event_ms,
        "F": -1,
        "L": -1,
        "n": 0,
    }


def mini_ticker_event(symbol: str, price: Decimal, event_ms: int) -> dict[str, Any]:
    zero = num(Decimal(0))
    last = num(price)
    return {
        "e": "24hrMiniTicker",
        "E": event_ms,
        "s": market_id(symbol),
        "c": last,
        "o": last,
        "h": last,
        "l": last,
        "v": zero,
        "q": zero,
    }


def book_ticker_event(symbol: str, price: Decimal, update_id: int) -> dict[str, Any]:
    zero = num(Decimal(0))
    last = num(price)
    return {"u": update_id, "s": market_id(symbol), "b": last, "B": zero, "a": last, "A": zero}


def trade_event(
    symbol: str, trade_id: int, price: Decimal, quantity: Decimal, event_ms: int, buyer_maker: bool
) -> dict[str, Any]:
    return {
        "e": "trade",
        "E": event_ms,
        "s": market_id(symbol),
        "t": trade_id,
        "p": num(price),
        "q": num(quantity),
        "T": event_ms,
        "m": buyer_maker,
        "M": True,
    }


def agg_trade_event(trade: dict[str, Any]) -> dict[str, Any]:
    """The aggTrade twin of a `trade_event` (one trade per aggregate here)."""
    return {
        "e": "aggTrade",
        "E": trade["E"],
        "s": trade["s"],
        "a": trade["t"],
        "p": trade["p"],
        "q": trade["q"],
        "f": trade["t"],
        "l": trade["t"],
        "T": trade["T"],
        "m": trade["m"],
        "M": True,
    }
