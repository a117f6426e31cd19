"""Which symbol and client id go with a venue order id: what the venue does not say.

Binance's myTrades names an order by orderId only, and GET/DELETE /api/v3/order need the
symbol, which GetOrder(client_order_id) and CancelOrder(order_id) do not carry. Every
order the connector sees (placed, listed, streamed) is remembered here, the oldest
forgotten first past `capacity`. Pure: no I/O.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Known:
    symbol: str
    order_id: str
    client_order_id: str


class OrderIndex:
    def __init__(self, capacity: int = 200_000) -> None:
        self.capacity = capacity
        self._by_order: OrderedDict[str, Known] = OrderedDict()
        self._by_client: dict[str, Known] = {}

    def add(self, symbol: str, order_id: str, client_order_id: str) -> None:
        if not order_id:
            return
        known = Known(symbol, order_id, client_order_id)
        self._by_order[order_id] = known
        self._by_order.move_to_end(order_id)
        if client_order_id:
            # A client id names the latest order placed with it (Binance reuses closed ones).
            self._by_client[client_order_id] = known
        while len(self._by_order) > self.capacity:
            _, old = self._by_order.popitem(last=False)
            if self._by_client.get(old.client_order_id) is old:
                del self._by_client[old.client_order_id]

    def by_order_id(self, order_id: str) -> Known | None:
        return self._by_order.get(order_id)

    def by_client_id(self, client_order_id: str) -> Known | None:
        return self._by_client.get(client_order_id)

    def __len__(self) -> int:
        return len(self._by_order)
