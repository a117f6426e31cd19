"""Mutable order state inside the simulator, and the frozen `Order` it shows outside."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from gridops.decimals import ZERO
from gridops.models import Order, OrderStatus, OrderType, Side


@dataclass(slots=True)
class OrderState:
    order_id: str
    client_order_id: str
    symbol: str
    side: Side
    type: OrderType
    price: Decimal
    quantity: Decimal
    created_at: datetime
    updated_at: datetime
    #: arrival number: time priority among orders at one price
    seq: int
    #: what this order still holds locked (quote for a BUY, base for a SELL)
    locked: Decimal
    filled_quantity: Decimal = ZERO
    #: sum of price*quantity over the fills, for the volume-weighted average price
    filled_value: Decimal = ZERO
    status: OrderStatus = OrderStatus.NEW

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled_quantity

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    def copy(self) -> OrderState:
        """A private copy (spelled out: several times faster than copy.copy)."""
        return OrderState(
            self.order_id,
            self.client_order_id,
            self.symbol,
            self.side,
            self.type,
            self.price,
            self.quantity,
            self.created_at,
            self.updated_at,
            self.seq,
            self.locked,
            self.filled_quantity,
            self.filled_value,
            self.status,
        )

    def view(self) -> Order:
        average = self.filled_value / self.filled_quantity if self.filled_quantity else ZERO
        return Order(
            order_id=self.order_id,
            client_order_id=self.client_order_id,
            symbol=self.symbol,
            side=self.side,
            type=self.type,
            price=self.price,
            quantity=self.quantity,
            filled_quantity=self.filled_quantity,
            average_fill_price=average,
            status=self.status,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "client_order_id": self.client_order_id,
            "symbol": self.symbol,
            "side": self.side.value,
            "type": self.type.value,
            "price": str(self.price),
            "quantity": str(self.quantity),
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "seq": self.seq,
            "locked": str(self.locked),
            "filled_quantity": str(self.filled_quantity),
            "filled_value": str(self.filled_value),
            "status": self.status.value,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OrderState:
        return cls(
            order_id=data["order_id"],
            client_order_id=data["client_order_id"],
            symbol=data["symbol"],
            side=Side(data["side"]),
            type=OrderType(data["type"]),
            price=Decimal(data["price"]),
            quantity=Decimal(data["quantity"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            updated_at=datetime.fromisoformat(data["updated_at"]),
            seq=int(data["seq"]),
            locked=Decimal(data["locked"]),
            filled_quantity=Decimal(data["filled_quantity"]),
            filled_value=Decimal(data["filled_value"]),
            status=OrderStatus(data["status"]),
        )
