"""gridops.wire: domain -> protobuf -> domain round trips, plain decimal strings."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given
from hypothesis import strategies as st

from gridops import wire
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

T0 = datetime(2024, 5, 17, 12, 34, 56, 123456, tzinfo=UTC)
T1 = datetime(2024, 5, 17, 12, 35, 1, 999999, tzinfo=UTC)
PLAIN = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$")


def make_order(status: OrderStatus, side: Side, type_: OrderType) -> Order:
    return Order(
        order_id="123456789",
        client_order_id="grid-btc-0001",
        symbol="BTC/USDT",
        side=side,
        type=type_,
        price=Decimal("65000.01"),
        quantity=Decimal("0.00100000"),
        filled_quantity=Decimal("0.0005"),
        average_fill_price=Decimal("64999.995"),
        status=status,
        created_at=T0,
        updated_at=T1,
        reject_reason="post-only would take" if status is OrderStatus.REJECTED else "",
    )


ACCOUNT = Account(
    balances=(
        Balance("BTC", Decimal("0.5"), Decimal("0.00100000")),
        Balance("USDT", Decimal("1E+4"), Decimal(0)),
        Balance("ETH", Decimal("0.00000001")),
    ),
    equity=Decimal("42500.123456"),
    quote_asset="USDT",
    updated_at=T0,
)
POSITION = Position(
    symbol="BTC/USDT",
    quantity=Decimal("-0.25"),
    entry_price=Decimal("64000"),
    mark_price=Decimal("65000.5"),
    unrealized_pnl=Decimal("-250.125"),
    realized_pnl=Decimal("12.00"),
    updated_at=T1,
)
FILL = Fill(
    trade_id="t-1",
    order_id="123456789",
    client_order_id="grid-btc-0001",
    symbol="BTC/USDT",
    side=Side.SELL,
    price=Decimal("65000.01"),
    quantity=Decimal("0.0005"),
    fee=Decimal("0.0325000050"),
    fee_asset="USDT",
    maker=True,
    time=T0,
)
SYMBOL_INFO = SymbolInfo(
    symbol="BTC/USDT",
    base_asset="BTC",
    quote_asset="USDT",
    tick_size=Decimal("0.01"),
    step_size=Decimal("1E-5"),
    min_quantity=Decimal("0.00001"),
    min_notional=Decimal("1E+1"),
)
TICKER = Ticker(symbol="BTC/USDT", price=Decimal("65000.10"), time=T1)


def test_account_round_trip() -> None:
    assert wire.account_from_pb(wire.account_to_pb(ACCOUNT)) == ACCOUNT


def test_position_round_trip() -> None:
    assert wire.position_from_pb(wire.position_to_pb(POSITION)) == POSITION


@pytest.mark.parametrize("status", list(OrderStatus))
@pytest.mark.parametrize("side", list(Side))
@pytest.mark.parametrize("type_", list(OrderType))
def test_order_round_trip(status: OrderStatus, side: Side, type_: OrderType) -> None:
    order = make_order(status, side, type_)
    msg = wire.order_to_pb(order)
    assert msg.status != pb.ORDER_STATUS_UNSPECIFIED
    assert msg.side != pb.SIDE_UNSPECIFIED
    assert msg.type != pb.ORDER_TYPE_UNSPECIFIED
    back = wire.order_from_pb(msg)
    assert back == order
    assert back.status is status
    assert back.side is side
    assert back.type is type_


def test_order_round_trip_through_bytes() -> None:
    order = make_order(OrderStatus.PARTIALLY_FILLED, Side.BUY, OrderType.LIMIT_MAKER)
    data = wire.order_to_pb(order).SerializeToString()
    assert wire.order_from_pb(pb.Order.FromString(data)) == order


@pytest.mark.parametrize("side", list(Side))
def test_fill_round_trip(side: Side) -> None:
    fill = Fill(
        trade_id=FILL.trade_id,
        order_id=FILL.order_id,
        client_order_id=FILL.client_order_id,
        symbol=FILL.symbol,
        side=side,
        price=FILL.price,
        quantity=FILL.quantity,
        fee=FILL.fee,
        fee_asset=FILL.fee_asset,
        maker=side is Side.SELL,
        time=FILL.time,
    )
    assert wire.fill_from_pb(wire.fill_to_pb(fill)) == fill


def test_symbol_info_round_trip() -> None:
    assert wire.symbol_info_from_pb(wire.symbol_info_to_pb(SYMBOL_INFO)) == SYMBOL_INFO


def test_ticker_round_trip() -> None:
    assert wire.ticker_from_pb(wire.ticker_to_pb(TICKER)) == TICKER


def test_timestamps_keep_microseconds_and_utc() -> None:
    back = wire.ticker_from_pb(wire.ticker_to_pb(TICKER)).time
    assert back.microsecond == 999999
    assert back.utcoffset() is not None
    assert back.utcoffset() == T1.utcoffset()
    assert back == T1


def test_amounts_on_the_wire_are_plain_decimal_strings() -> None:
    order = wire.order_to_pb(make_order(OrderStatus.NEW, Side.BUY, OrderType.LIMIT))
    account = wire.account_to_pb(ACCOUNT)
    info = wire.symbol_info_to_pb(SYMBOL_INFO)
    position = wire.position_to_pb(POSITION)
    amounts = [
        order.price,
        order.quantity,
        order.filled_quantity,
        order.average_fill_price,
        account.equity,
        *(b.free for b in account.balances),
        *(b.locked for b in account.balances),
        info.tick_size,
        info.step_size,
        info.min_quantity,
        info.min_notional,
        position.quantity,
        position.unrealized_pnl,
        position.realized_pnl,
        wire.fill_to_pb(FILL).fee,
        wire.ticker_to_pb(TICKER).price,
    ]
    for text in amounts:
        assert PLAIN.match(text), text
    assert order.quantity == "0.001"
    assert [b.free for b in account.balances] == ["0.5", "10000", "0.00000001"]
    assert [b.locked for b in account.balances] == ["0.001", "0", "0"]
    assert info.step_size == "0.00001"
    assert info.min_notional == "10"
    assert position.realized_pnl == "12"


@given(
    st.decimals(
        min_value=Decimal("-1E+12"),
        max_value=Decimal("1E+12"),
        places=10,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_any_amount_is_plain_and_round_trips(price: Decimal) -> None:
    ticker = Ticker("BTC/USDT", price, T0)
    msg = wire.ticker_to_pb(ticker)
    assert PLAIN.match(msg.price), msg.price
    assert wire.ticker_from_pb(msg) == ticker


def test_unspecified_order_type_decodes_as_limit() -> None:
    msg = wire.order_to_pb(make_order(OrderStatus.NEW, Side.BUY, OrderType.LIMIT_MAKER))
    msg.type = pb.ORDER_TYPE_UNSPECIFIED
    assert wire.order_from_pb(msg).type is OrderType.LIMIT
    assert wire.TYPE_FROM_PB[pb.ORDER_TYPE_UNSPECIFIED] is OrderType.LIMIT


def test_unset_timestamp_decodes_as_the_epoch() -> None:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert wire.from_ts(Timestamp()) == epoch
    assert wire.from_ts(Timestamp()).tzinfo is not None
    assert wire.ticker_from_pb(pb.Ticker(symbol="BTC/USDT", price="1")).time == epoch
    assert wire.account_from_pb(pb.Account()).updated_at == epoch
    assert epoch == wire.EPOCH


def test_empty_amounts_decode_as_zero() -> None:
    assert wire.dec("") == Decimal(0)
    info = wire.symbol_info_from_pb(pb.SymbolInfo(symbol="BTC/USDT"))
    assert info.min_notional == Decimal(0)
    assert info.tick_size == Decimal(0)


def test_a_decoded_message_is_fully_domain_typed() -> None:
    order = wire.order_from_pb(
        wire.order_to_pb(make_order(OrderStatus.FILLED, Side.SELL, OrderType.LIMIT))
    )
    assert isinstance(order.price, Decimal)
    assert isinstance(order.quantity, Decimal)
    assert isinstance(order.created_at, datetime)
    assert order.created_at.tzinfo is not None
