"""Every order the simulator has accepted, indexed for lookups and matching."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gridops import order_ids
from gridops.errors import InvalidArgument, NotFound
from gridops.models import Side

from .changes import Archive
from .orders import OrderState


def crosses(side: Side, price: Decimal, market: Decimal) -> bool:
    """True when a `side` order at `price` trades against a market at `market`."""
    return price >= market if side is Side.BUY else price <= market


class OrderBook:
    """Open orders, and the closed ones not yet released to the archive (if any)."""

    def __init__(self) -> None:
        #: where released closed orders are looked up (None: nothing is ever released)
        self.archive: Archive | None = None
        self._orders: dict[str, OrderState] = {}
        self._by_client_id: dict[str, OrderState] = {}
        # Open orders kept apart so matching a price move never scans closed history.
        self._open: dict[str, OrderState] = {}
        self.next_number = 1

    def by_client_id(self, client_order_id: str) -> OrderState | None:
        order = self._by_client_id.get(client_order_id)
        if order is None and self.archive is not None:
            order = self.archive.order(client_order_id, None)
        return order

    def find(self, client_order_id: str | None, order_id: str | None) -> OrderState:
        """The order both given ids name; NotFound when there is none."""
        if not client_order_id and not order_id:
            raise InvalidArgument("client_order_id or order_id: one of them is required")
        if client_order_id:
            order = self.by_client_id(client_order_id)
        else:
            order = self._orders.get(order_id or "")
            if order is None and self.archive is not None:
                order = self.archive.order(None, order_id)
        if order is None or (order_id and order.order_id != order_id):
            raise NotFound(
                f"order: no order with client_order_id={client_order_id!r} order_id={order_id!r}"
            )
        return order

    def new_id(self) -> tuple[str, int]:
        """The next order id and its arrival number (ids are dense: sim-1, sim-2, ...)."""
        number = self.next_number
        self.next_number += 1
        return f"sim-{number}", number

    def add(self, order: OrderState) -> None:
        self._orders[order.order_id] = order
        self._by_client_id[order.client_order_id] = order
        if order.is_open:
            self._open[order.order_id] = order

    def closed(self, order: OrderState) -> None:
        """Call once `order` left the open states."""
        self._open.pop(order.order_id, None)

    def closed_orders(self) -> list[OrderState]:
        """The closed orders still in memory."""
        return [o for o in self._orders.values() if not o.is_open]

    def forget(self, order_ids: list[str]) -> None:
        """Drop these orders from memory if they are closed (the archive holds them)."""
        for order_id in order_ids:
            order = self._orders.get(order_id)
            if order is not None and not order.is_open:
                del self._orders[order_id]
                del self._by_client_id[order.client_order_id]

    def open_orders(self, symbol: str | None = None, prefix: str | None = None) -> list[OrderState]:
        """Open orders of `symbol` (None: all) whose ids are `prefix`'s (gridops.order_ids)."""
        return [
            o
            for o in self._open.values()
            if (not symbol or o.symbol == symbol) and order_ids.matches(prefix, o.client_order_id)
        ]

    def open_count(self) -> int:
        return len(self._open)

    def crossed(self, symbol: str, price: Decimal) -> list[OrderState]:
        """Open orders a move to `price` fills, in price-time priority."""
        found = [
            o for o in self._open.values() if o.symbol == symbol and crosses(o.side, o.price, price)
        ]
        # Best price first (highest bid, lowest ask), then arrival; bids before asks.
        found.sort(
            key=lambda o: (o.side is Side.SELL, -o.price if o.side is Side.BUY else o.price, o.seq)
        )
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "next_number": self.next_number,
            "orders": [o.to_dict() for o in self._orders.values()],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OrderBook:
        book = cls()
        for raw in data["orders"]:
            book.add(OrderState.from_dict(raw))
        book.next_number = int(data["next_number"])
        return book
