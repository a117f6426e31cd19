"""Conversions between the wire messages (gridops.v1) and the domain types (gridops.models).

The one place protobuf meets Decimal: amounts go out as plain decimal strings and come
back as Decimal; an unset timestamp is the epoch.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from google.protobuf.timestamp_pb2 import Timestamp

from gridops.decimals import ZERO, fmt
from gridops.models import (
    Account,
    Balance,
    Fill,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Side,
    SymbolInfo,
    Ticker,
)
from gridops.v1 import types_pb2 as pb

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

SIDE_TO_PB = {Side.BUY: pb.BUY, Side.SELL: pb.SELL}
SIDE_FROM_PB = {v: k for k, v in SIDE_TO_PB.items()}
TYPE_TO_PB = {OrderType.LIMIT: pb.LIMIT, OrderType.LIMIT_MAKER: pb.LIMIT_MAKER}
TYPE_FROM_PB = {**{v: k for k, v in TYPE_TO_PB.items()}, pb.ORDER_TYPE_UNSPECIFIED: OrderType.LIMIT}
STATUS_TO_PB = {
    OrderStatus.NEW: pb.NEW,
    OrderStatus.PARTIALLY_FILLED: pb.PARTIALLY_FILLED,
    OrderStatus.FILLED: pb.FILLED,
    OrderStatus.CANCELED: pb.CANCELED,
    OrderStatus.REJECTED: pb.REJECTED,
}
STATUS_FROM_PB = {v: k for k, v in STATUS_TO_PB.items()}


def ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def from_ts(stamp: Timestamp) -> datetime:
    if stamp.seconds == 0 and stamp.nanos == 0:
        return EPOCH
    return stamp.ToDatetime(tzinfo=UTC)


def dec(text: str) -> Decimal:
    """Decode a decimal the connector wrote (trusted: empty means zero)."""
    return Decimal(text) if text else ZERO


def account_to_pb(account: Account) -> pb.Account:
    return pb.Account(
        balances=[
            pb.Balance(asset=b.asset, free=fmt(b.free), locked=fmt(b.locked))
            for b in account.balances
        ],
        equity=fmt(account.equity),
        quote_asset=account.quote_asset,
        updated_at=ts(account.updated_at),
    )


def account_from_pb(msg: pb.Account) -> Account:
    return Account(
        balances=tuple(Balance(b.asset, dec(b.free), dec(b.locked)) for b in msg.balances),
        equity=dec(msg.equity),
        quote_asset=msg.quote_asset,
        updated_at=from_ts(msg.updated_at),
    )


def position_to_pb(position: Position) -> pb.Position:
    return pb.Position(
        symbol=position.symbol,
        quantity=fmt(position.quantity),
        entry_price=fmt(position.entry_price),
        mark_price=fmt(position.mark_price),
        unrealized_pnl=fmt(position.unrealized_pnl),
        realized_pnl=fmt(position.realized_pnl),
        updated_at=ts(position.updated_at),
    )


def position_from_pb(msg: pb.Position) -> Position:
    return Position(
        symbol=msg.symbol,
        quantity=dec(msg.quantity),
        entry_price=dec(msg.entry_price),
        mark_price=dec(msg.mark_price),
        unrealized_pnl=dec(msg.unrealized_pnl),
        realized_pnl=dec(msg.realized_pnl),
        updated_at=from_ts(msg.updated_at),
    )


def order_to_pb(order: Order) -> pb.Order:
    return pb.Order(
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        side=SIDE_TO_PB[order.side],
        type=TYPE_TO_PB[order.type],
        price=fmt(order.price),
        quantity=fmt(order.quantity),
        filled_quantity=fmt(order.filled_quantity),
        average_fill_price=fmt(order.average_fill_price),
        status=STATUS_TO_PB[order.status],
        reject_reason=order.reject_reason,
        created_at=ts(order.created_at),
        updated_at=ts(order.updated_at),
    )


def order_from_pb(msg: pb.Order) -> Order:
    return Order(
        order_id=msg.order_id,
        client_order_id=msg.client_order_id,
        symbol=msg.symbol,
        side=SIDE_FROM_PB[msg.side],
        type=TYPE_FROM_PB[msg.type],
        price=dec(msg.price),
        quantity=dec(msg.quantity),
        filled_quantity=dec(msg.filled_quantity),
        average_fill_price=dec(msg.average_fill_price),
        status=STATUS_FROM_PB[msg.status],
        reject_reason=msg.reject_reason,
        created_at=from_ts(msg.created_at),
        updated_at=from_ts(msg.updated_at),
    )


def fill_to_pb(fill: Fill) -> pb.Fill:
    return pb.Fill(
        trade_id=fill.trade_id,
        order_id=fill.order_id,
        client_order_id=fill.client_order_id,
        symbol=fill.symbol,
        side=SIDE_TO_PB[fill.side],
        price=fmt(fill.price),
        quantity=fmt(fill.quantity),
        fee=fmt(fill.fee),
        fee_asset=fill.fee_asset,
        maker=fill.maker,
        time=ts(fill.time),
    )


def fill_from_pb(msg: pb.Fill) -> Fill:
    return Fill(
        trade_id=msg.trade_id,
        order_id=msg.order_id,
        client_order_id=msg.client_order_id,
        symbol=msg.symbol,
        side=SIDE_FROM_PB[msg.side],
        price=dec(msg.price),
        quantity=dec(msg.quantity),
        fee=dec(msg.fee),
        fee_asset=msg.fee_asset,
        maker=msg.maker,
        time=from_ts(msg.time),
    )


def symbol_info_to_pb(info: SymbolInfo) -> pb.SymbolInfo:
    return pb.SymbolInfo(
        symbol=info.symbol,
        base_asset=info.base_asset,
        quote_asset=info.quote_asset,
        tick_size=fmt(info.tick_size),
        step_size=fmt(info.step_size),
        min_quantity=fmt(info.min_quantity),
        min_notional=fmt(info.min_notional),
        maker_fee=fmt(info.maker_fee),
        taker_fee=fmt(info.taker_fee),
    )


def symbol_info_from_pb(msg: pb.SymbolInfo) -> SymbolInfo:
    return SymbolInfo(
        symbol=msg.symbol,
        base_asset=msg.base_asset,
        quote_asset=msg.quote_asset,
        tick_size=dec(msg.tick_size),
        step_size=dec(msg.step_size),
        min_quantity=dec(msg.min_quantity),
        min_notional=dec(msg.min_notional),
        maker_fee=dec(msg.maker_fee),
        taker_fee=dec(msg.taker_fee),
    )


def ticker_to_pb(ticker: Ticker) -> pb.Ticker:
    return pb.Ticker(symbol=ticker.symbol, price=fmt(ticker.price), time=ts(ticker.time))


def ticker_from_pb(msg: pb.Ticker) -> Ticker:
    return Ticker(symbol=msg.symbol, price=dec(msg.price), time=from_ts(msg.time))
