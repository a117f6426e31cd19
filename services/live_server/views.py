"""Domain values as the JSON documents of the live server's API (camelCase, decimal strings)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from gridops.decimals import fmt
from gridops.models import Account, Fill, Order, Position, Ticker


def _t(value: datetime) -> str:
    return value.isoformat()


def _d(value: Decimal) -> str:
    return fmt(value)


def account(a: Account) -> dict[str, Any]:
    return {
        "balances": [
            {"asset": b.asset, "free": _d(b.free), "locked": _d(b.locked)} for b in a.balances
        ],
        "equity": _d(a.equity),
        "quoteAsset": a.quote_asset,
        "updatedAt": _t(a.updated_at),
    }


def position(p: Position) -> dict[str, Any]:
    return {
        "symbol": p.symbol,
        "quantity": _d(p.quantity),
        "entryPrice": _d(p.entry_price),
        "markPrice": _d(p.mark_price),
        "unrealizedPnl": _d(p.unrealized_pnl),
        "realizedPnl": _d(p.realized_pnl),
        "updatedAt": _t(p.updated_at),
    }


def order(o: Order) -> dict[str, Any]:
    return {
        "orderId": o.order_id,
        "clientOrderId": o.client_order_id,
        "symbol": o.symbol,
        "side": o.side.value,
        "type": o.type.value,
        "price": _d(o.price),
        "quantity": _d(o.quantity),
        "filledQuantity": _d(o.filled_quantity),
        "averageFillPrice": _d(o.average_fill_price),
        "status": o.status.value,
        "createdAt": _t(o.created_at),
        "updatedAt": _t(o.updated_at),
    }


def fill(f: Fill) -> dict[str, Any]:
    return {
        "tradeId": f.trade_id,
        "orderId": f.order_id,
        "clientOrderId": f.client_order_id,
        "symbol": f.symbol,
        "side": f.side.value,
        "price": _d(f.price),
        "quantity": _d(f.quantity),
        "fee": _d(f.fee),
        "feeAsset": f.fee_asset,
        "maker": f.maker,
        "time": _t(f.time),
    }


def price(t: Ticker) -> dict[str, Any]:
    return {"symbol": t.symbol, "price": _d(t.price), "time": _t(t.time)}
