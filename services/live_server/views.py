"""Domain values as the JSON documents of the live server's API (camelCase, decimal strings).

Every amount is quantized to its symbol's precision on the way out (see precision.py):
prices and quote amounts to the tick, quantities to the step.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gridops import order_ids
from gridops.models import Account, Fill, Order, Position, Ticker
from gridops.precision import Precision


def _t(value: datetime) -> str:
    return value.isoformat()


def account(a: Account, p: Precision) -> dict[str, Any]:
    return {
        "balances": [
            {
                "asset": b.asset,
                "free": p.asset(b.asset, b.free),
                "locked": p.asset(b.asset, b.locked),
            }
            for b in a.balances
        ],
        "equity": p.asset(a.quote_asset, a.equity),
        "quoteAsset": a.quote_asset,
        "updatedAt": _t(a.updated_at),
    }


def position(x: Position, p: Precision) -> dict[str, Any]:
    s = x.symbol
    return {
        "symbol": s,
        "quantity": p.quantity(s, x.quantity),
        "entryPrice": p.price(s, x.entry_price),
        "markPrice": p.price(s, x.mark_price),
        "unrealizedPnl": p.quote(s, x.unrealized_pnl),
        "realizedPnl": p.quote(s, x.realized_pnl),
        "updatedAt": _t(x.updated_at),
    }


def order(o: Order, p: Precision) -> dict[str, Any]:
    s = o.symbol
    return {
        "orderId": o.order_id,
        "clientOrderId": o.client_order_id,
        "strategy": order_ids.strategy_of(o.client_order_id),
        "symbol": s,
        "side": o.side.value,
        "type": o.type.value,
        "price": p.price(s, o.price),
        "quantity": p.quantity(s, o.quantity),
        "filledQuantity": p.quantity(s, o.filled_quantity),
        "averageFillPrice": p.price(s, o.average_fill_price),
        "status": o.status.value,
        "createdAt": _t(o.created_at),
        "updatedAt": _t(o.updated_at),
    }


def fill(f: Fill, p: Precision) -> dict[str, Any]:
    s = f.symbol
    return {
        "tradeId": f.trade_id,
        "orderId": f.order_id,
        "clientOrderId": f.client_order_id,
        "strategy": order_ids.strategy_of(f.client_order_id),
        "symbol": s,
        "side": f.side.value,
        "price": p.price(s, f.price),
        "quantity": p.quantity(s, f.quantity),
        "fee": p.fee(s, f.fee_asset, f.fee),
        "feeAsset": f.fee_asset,
        "maker": f.maker,
        "time": _t(f.time),
    }


def price(t: Ticker, p: Precision) -> dict[str, Any]:
    return {"symbol": t.symbol, "price": p.price(t.symbol, t.price), "time": _t(t.time)}
