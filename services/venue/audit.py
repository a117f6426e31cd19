"""The venue's audit log: every accepted order, cancel and fill, in the order they happened.

Tests read it through the Simulator service (GetAuditLog) to check invariants afterwards:
no client order id accepted twice while open, fills never above an order's quantity...
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from gridops.decimals import ZERO
from gridops.models import ExchangeEvent, OrderEvent, OrderStatus, OrderType, Side

from .binance_json import public_client_id


@dataclass(frozen=True, slots=True)
class AuditEntry:
    sequence: int
    account: str
    #: "order" (accepted), "cancel" or "fill"
    kind: str
    time: datetime
    symbol: str
    order_id: str
    client_order_id: str
    side: Side
    type: OrderType
    price: Decimal
    quantity: Decimal
    trade_id: str = ""
    fee: Decimal = ZERO
    fee_asset: str = ""
    maker: bool = False


def entries_for(account: str, events: list[ExchangeEvent], first_sequence: int) -> list[AuditEntry]:
    """The audit entries a market call's events make, numbered from `first_sequence`."""
    found: list[AuditEntry] = []
    for event in events:
        if not isinstance(event, OrderEvent):
            continue
        order, fill = event.order, event.fill
        if fill is not None:
            kind, time, price, quantity = "fill", fill.time, fill.price, fill.quantity
        elif order.status is OrderStatus.CANCELED:
            kind, time, price, quantity = "cancel", order.updated_at, order.price, order.remaining
        elif order.status is OrderStatus.NEW and order.filled_quantity == 0:
            kind, time, price, quantity = "order", order.created_at, order.price, order.quantity
        else:
            continue
        found.append(
            AuditEntry(
                sequence=first_sequence + len(found),
                account=account,
                kind=kind,
                time=time,
                symbol=order.symbol,
                order_id=order.order_id,
                client_order_id=public_client_id(order.client_order_id),
                side=order.side,
                type=order.type,
                price=price,
                quantity=quantity,
                trade_id=fill.trade_id if fill else "",
                fee=fill.fee if fill else ZERO,
                fee_asset=fill.fee_asset if fill else "",
                maker=fill.maker if fill else False,
            )
        )
    return found
