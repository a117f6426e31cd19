"""Binance spot messages (REST answers and user-data events) as gridops models.

ccxt hands us each answer with the venue's own message under `info`; amounts there are
decimal strings, read as they are (ccxt's unified fields are floats). The unified
fields are the fallback for venues of another dialect. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from gridops.decimals import ZERO
from gridops.models import Balance, Fill, Order, OrderStatus, OrderType, Side, Ticker

from .markets import plain, to_decimal

_STATUS = {
    "NEW": OrderStatus.NEW,
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "FILLED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELED,
    "REJECTED": OrderStatus.REJECTED,
    # an expired limit order is gone from the book like a cancelled one
    "EXPIRED": OrderStatus.CANCELED,
    "EXPIRED_IN_MATCH": OrderStatus.CANCELED,
}
_UNIFIED_STATUS = {
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "expired": OrderStatus.CANCELED,
    "rejected": OrderStatus.REJECTED,
}


def dec(value: Any, default: Decimal = ZERO) -> Decimal:
    number = to_decimal(value)
    return default if number is None else number


def when(ms: Any) -> datetime:
    """Epoch milliseconds as an aware datetime (now when the venue sent none)."""
    if isinstance(ms, int | float | str) and str(ms).strip().lstrip("-").isdigit():
        return datetime.fromtimestamp(int(ms) / 1000, UTC)
    return datetime.now(UTC)


def millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _side(value: Any) -> Side:
    return Side.SELL if str(value).upper() == "SELL" else Side.BUY


def _type(value: Any) -> OrderType:
    return OrderType.LIMIT_MAKER if str(value).upper() == "LIMIT_MAKER" else OrderType.LIMIT


def _status(raw: Any, filled: Decimal) -> OrderStatus:
    status = _STATUS.get(str(raw).upper())
    if status is not None:
        return status
    # PENDING_CANCEL and the like: still on the book as far as we know
    return OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.NEW


def _average(quote: Decimal, filled: Decimal) -> Decimal:
    return plain(quote / filled) if filled > 0 and quote > 0 else ZERO


def order_from_rest(info: Mapping[str, Any], symbol: str) -> Order:
    """A REST order (GET/POST/DELETE /api/v3/order, openOrders) of `symbol`."""
    filled = dec(info.get("executedQty"))
    created = when(info.get("time") or info.get("transactTime") or info.get("workingTime"))
    updated = info.get("updateTime") or info.get("transactTime") or info.get("workingTime")
    # A cancel answer carries the original id as origClientOrderId.
    client_id = info.get("origClientOrderId") or info.get("clientOrderId") or ""
    return Order(
        order_id=str(info.get("orderId", "")),
        client_order_id=str(client_id),
        symbol=symbol,
        side=_side(info.get("side")),
        type=_type(info.get("type")),
        price=dec(info.get("price")),
        quantity=dec(info.get("origQty")),
        filled_quantity=filled,
        average_fill_price=_average(dec(info.get("cummulativeQuoteQty")), filled),
        status=_status(info.get("status"), filled),
        created_at=created,
        updated_at=when(updated) if updated else created,
    )


def order_from_report(report: Mapping[str, Any], symbol: str) -> Order:
    """The order an `executionReport` user-data event describes, after the event."""
    filled = dec(report.get("z"))
    # On a cancel, "c" is the cancel request's id and "C" the order's own.
    original = report.get("C")
    client_id = original if isinstance(original, str) and original else report.get("c", "")
    status = _status(report.get("X"), filled)
    return Order(
        order_id=str(report.get("i", "")),
        client_order_id=str(client_id),
        symbol=symbol,
        side=_side(report.get("S")),
        type=_type(report.get("o")),
        price=dec(report.get("p")),
        quantity=dec(report.get("q")),
        filled_quantity=filled,
        average_fill_price=_average(dec(report.get("Z")), filled),
        status=status,
        created_at=when(report.get("O") or report.get("T")),
        updated_at=when(report.get("T") or report.get("E")),
        reject_reason=str(report.get("r") or "") if status is OrderStatus.REJECTED else "",
    )


def fill_from_report(report: Mapping[str, Any], order: Order) -> Fill | None:
    """The trade an `executionReport` carries (execution type TRADE), else None."""
    if str(report.get("x")) != "TRADE":
        return None
    return Fill(
        trade_id=str(report.get("t", "")),
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        side=order.side,
        price=dec(report.get("L")),
        quantity=dec(report.get("l")),
        fee=dec(report.get("n")),
        fee_asset=str(report.get("N") or ""),
        maker=bool(report.get("m")),
        time=when(report.get("T")),
    )


def fill_from_rest(info: Mapping[str, Any], symbol: str, client_order_id: str) -> Fill:
    """One of GET /api/v3/myTrades (which names the orderId, not the client id)."""
    return Fill(
        trade_id=str(info.get("id", "")),
        order_id=str(info.get("orderId", "")),
        client_order_id=client_order_id,
        symbol=symbol,
        side=Side.BUY if info.get("isBuyer") else Side.SELL,
        price=dec(info.get("price")),
        quantity=dec(info.get("qty")),
        fee=dec(info.get("commission")),
        fee_asset=str(info.get("commissionAsset") or ""),
        maker=bool(info.get("isMaker")),
        time=when(info.get("time")),
    )


def order_from_unified(order: Mapping[str, Any]) -> Order:
    """A ccxt unified order, for venues whose `info` is not Binance's."""
    filled = dec(order.get("filled"))
    raw_status = order.get("status")
    status = _UNIFIED_STATUS.get(str(raw_status)) or (
        OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.NEW
    )
    created = when(order.get("timestamp"))
    return Order(
        order_id=str(order.get("id") or ""),
        client_order_id=str(order.get("clientOrderId") or ""),
        symbol=str(order.get("symbol") or ""),
        side=_side(order.get("side")),
        type=OrderType.LIMIT_MAKER if order.get("postOnly") else OrderType.LIMIT,
        price=dec(order.get("price")),
        quantity=dec(order.get("amount")),
        filled_quantity=filled,
        average_fill_price=dec(order.get("average")),
        status=status,
        created_at=created,
        updated_at=when(order.get("lastUpdateTimestamp") or order.get("timestamp")),
    )


def fill_from_unified(trade: Mapping[str, Any], client_order_id: str) -> Fill:
    fee = trade.get("fee") or {}
    return Fill(
        trade_id=str(trade.get("id") or ""),
        order_id=str(trade.get("order") or ""),
        client_order_id=client_order_id,
        symbol=str(trade.get("symbol") or ""),
        side=_side(trade.get("side")),
        price=dec(trade.get("price")),
        quantity=dec(trade.get("amount")),
        fee=dec(fee.get("cost") if isinstance(fee, Mapping) else None),
        fee_asset=str(fee.get("currency") or "") if isinstance(fee, Mapping) else "",
        maker=trade.get("takerOrMaker") == "maker",
        time=when(trade.get("timestamp")),
    )


def balances_from_rest(info: Mapping[str, Any]) -> dict[str, Balance]:
    """GET /api/v3/account's `balances` (every asset, zero ones included)."""
    return _balances(
        (item.get("asset"), item.get("free"), item.get("locked"))
        for item in info.get("balances") or []
        if isinstance(item, Mapping)
    )


def balances_from_report(event: Mapping[str, Any]) -> dict[str, Balance]:
    """An `outboundAccountPosition` event: only the assets that changed."""
    return _balances(
        (item.get("a"), item.get("f"), item.get("l"))
        for item in event.get("B") or []
        if isinstance(item, Mapping)
    )


def balances_from_unified(balance: Mapping[str, Any]) -> dict[str, Balance]:
    free = balance.get("free") or {}
    used = balance.get("used") or {}
    return _balances((asset, free.get(asset), used.get(asset)) for asset in free)


def _balances(rows: Iterable[tuple[Any, Any, Any]]) -> dict[str, Balance]:
    out: dict[str, Balance] = {}
    for asset, free, locked in rows:
        if isinstance(asset, str) and asset:
            out[asset] = Balance(asset, dec(free), dec(locked))
    return out


def ticker_from_rest(ticker: Mapping[str, Any], symbol: str) -> Ticker | None:
    """A ccxt ticker: Binance's lastPrice (24hr) or price (ticker/price), else `last`."""
    info = ticker.get("info") or {}
    raw = info.get("lastPrice") or info.get("price") if isinstance(info, Mapping) else None
    price = to_decimal(raw) or to_decimal(ticker.get("last"))
    if price is None:
        return None
    stamp = ticker.get("timestamp") or (
        info.get("closeTime") if isinstance(info, Mapping) else None
    )
    return Ticker(symbol, plain(price), when(stamp))


def ticker_from_stream(event: Mapping[str, Any], symbol: str) -> Ticker | None:
    """A `24hrTicker` (or mini ticker) stream event: `c` is the last price."""
    price = to_decimal(event.get("c"))
    return None if price is None else Ticker(symbol, plain(price), when(event.get("E")))
