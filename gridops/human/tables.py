"""Tables of open orders and fills (pure: documents and models in, lines out)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from decimal import Decimal, InvalidOperation
from typing import Any

from gridops.decimals import ZERO, fmt
from gridops.models import Fill, Order, Side

from .render import Cell, Style, count, table


def _decimal(text: object) -> Decimal | None:
    try:
        return Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None


def _side(side: str, style: Style) -> Cell:
    return Cell(side, style.green if side == "BUY" else style.red if side == "SELL" else str)


def orders_table(
    orders: Sequence[dict[str, Any]],
    last_price: str | None,
    style: Style,
    *,
    each_side: int | None = None,
    indent: str = "",
) -> list[str]:
    """The engine's open orders, highest price first, the last price marked between them.

    `each_side`: show only that many orders above and below the last price (the nearest);
    a line says how many more there are.
    """
    if not orders:
        return [f"{indent}no open orders"]
    ranked = sorted(orders, key=lambda o: _decimal(o.get("price")) or ZERO, reverse=True)
    mark = _decimal(last_price) if last_price else None
    above = [o for o in ranked if mark is not None and (_decimal(o.get("price")) or ZERO) > mark]
    below = ranked[len(above) :]
    hidden = 0
    if each_side is not None:
        hidden = max(0, len(above) - each_side) + max(0, len(below) - each_side)
        above = above[len(above) - each_side :] if len(above) > each_side else above
        below = below[:each_side]
    rows: list[list[str | Cell]] = [_order_row(o, style) for o in above]
    if mark is not None:
        rows.append([Cell("-", style.dim), Cell(str(last_price), style.bold), "", "", "last price"])
    rows += [_order_row(o, style) for o in below]
    lines = table(
        ["SIDE", "PRICE", "QUANTITY", "FILLED", "CLIENT ORDER ID"],
        rows,
        right=(1, 2, 3),
        style=style,
        indent=indent,
    )
    if hidden:
        lines.append(f"{indent}... and {hidden} more further from the price (gridops orders)")
    return lines


def _order_row(order: dict[str, Any], style: Style) -> list[str | Cell]:
    cid = str(order.get("clientOrderId", ""))
    if order.get("pending"):
        cid = f"{cid} (pending)"
    return [
        _side(str(order.get("side", "")), style),
        str(order.get("price", "")),
        str(order.get("quantity", "")),
        str(order.get("filled", "")),
        Cell(cid, style.dim) if order.get("pending") else cid,
    ]


def orders_summary(orders: Sequence[dict[str, Any]]) -> str:
    """'5 open: 4 buy, 1 sell (1 pending)'."""
    buys = sum(1 for o in orders if o.get("side") == "BUY")
    sells = sum(1 for o in orders if o.get("side") == "SELL")
    pending = sum(1 for o in orders if o.get("pending"))
    text = f"{len(orders)} open: {buys} buy, {sells} sell"
    return text + (f" ({pending} pending: placed, not yet confirmed)" if pending else "")


def fill_document(fill: Fill) -> dict[str, Any]:
    """A fill as JSON: camelCase, amounts as decimal strings."""
    return {
        "time": fill.time.isoformat(),
        "tradeId": fill.trade_id,
        "orderId": fill.order_id,
        "clientOrderId": fill.client_order_id,
        "symbol": fill.symbol,
        "side": fill.side.value,
        "price": fmt(fill.price),
        "quantity": fmt(fill.quantity),
        "fee": fmt(fill.fee),
        "feeAsset": fill.fee_asset,
        "maker": fill.maker,
    }


def fills_table(fills: Sequence[Fill], style: Style) -> list[str]:
    """Fills oldest first, one line each."""
    if not fills:
        return ["no fills"]
    rows: list[list[str | Cell]] = [
        [
            f.time.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            _side(f.side.value, style),
            fmt(f.price),
            fmt(f.quantity),
            f"{fmt(f.fee)} {f.fee_asset}".rstrip(),
            "maker" if f.maker else "taker",
            f.client_order_id,
        ]
        for f in fills
    ]
    return table(
        ["TIME (UTC)", "SIDE", "PRICE", "QUANTITY", "FEE", "ROLE", "CLIENT ORDER ID"],
        rows,
        right=(2, 3, 4),
        style=style,
    )


def fills_summary(fills: Sequence[Fill], total: int, base: str) -> str:
    """'12 fills: bought 0.006 BTC, sold 0.005 BTC; fees 0.3 USDT' (fees per asset)."""
    bought = sum((f.quantity for f in fills if f.side is Side.BUY), ZERO)
    sold = sum((f.quantity for f in fills if f.side is Side.SELL), ZERO)
    fees: dict[str, Decimal] = {}
    for f in fills:
        fees[f.fee_asset] = fees.get(f.fee_asset, ZERO) + f.fee
    paid = ", ".join(f"{fmt(v)} {k}".rstrip() for k, v in fees.items()) or "0"
    shown = (
        f"the last {len(fills)} of {total} fills" if total > len(fills) else count(total, "fill")
    )
    unit = f" {base}" if base else ""
    return f"{shown}: bought {fmt(bought)}{unit}, sold {fmt(sold)}{unit}; fees {paid}"


def exchange_orders_table(orders: Sequence[Order], style: Style) -> list[str]:
    """Orders as the connector has them (symbol and status included), highest price first."""
    ranked = sorted(orders, key=lambda o: (o.symbol, -o.price, o.client_order_id))
    rows: list[list[str | Cell]] = [
        [
            o.symbol,
            _side(o.side.value, style),
            fmt(o.price),
            fmt(o.quantity),
            fmt(o.filled_quantity),
            o.status.value,
            o.client_order_id,
        ]
        for o in ranked
    ]
    return table(
        ["SYMBOL", "SIDE", "PRICE", "QUANTITY", "FILLED", "STATUS", "CLIENT ORDER ID"],
        rows,
        right=(2, 3, 4),
        style=style,
    )
