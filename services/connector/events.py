"""Upstream exchange events → broadcasts serialized once for the fan-out."""

from __future__ import annotations

from gridops.models import AccountEvent, ExchangeEvent, OrderEvent, PositionEvent, PriceEvent
from gridops.v1 import connector_pb2 as cpb
from gridops.wire import account_to_pb, fill_to_pb, order_to_pb, position_to_pb, ticker_to_pb

from .fanout import Broadcast, Topic


def to_broadcast(event: ExchangeEvent, session_id: str) -> Broadcast:
    if isinstance(event, OrderEvent):
        order_update = cpb.OrderUpdate(order=order_to_pb(event.order), session_id=session_id)
        if event.fill is not None:
            order_update.fill.CopyFrom(fill_to_pb(event.fill))
        return Broadcast(
            Topic.ORDERS,
            order_update.SerializeToString(),
            symbol=event.order.symbol,
            client_order_id=event.order.client_order_id,
        )
    if isinstance(event, PriceEvent):
        price_update = cpb.PriceUpdate(ticker=ticker_to_pb(event.ticker), session_id=session_id)
        return Broadcast(Topic.PRICES, price_update.SerializeToString(), symbol=event.ticker.symbol)
    if isinstance(event, PositionEvent):
        position_update = cpb.PositionUpdate(
            position=position_to_pb(event.position), session_id=session_id
        )
        return Broadcast(
            Topic.POSITIONS, position_update.SerializeToString(), symbol=event.position.symbol
        )
    if isinstance(event, AccountEvent):
        account_update = cpb.AccountUpdate(
            account=account_to_pb(event.account), session_id=session_id
        )
        return Broadcast(Topic.ACCOUNT, account_update.SerializeToString())
    raise TypeError(f"not an exchange event: {event!r}")
