"""Assertions about what the exchange holds: the ground truth for 'no duplicate order'."""

from __future__ import annotations

from collections import Counter

from gridops.client import ConnectorClient
from gridops.models import Order


async def assert_no_duplicates(client: ConnectorClient, prefix: str) -> list[Order]:
    """At most one open order per price and per slot."""
    orders = await client.get_open_orders("BTC/USDT", prefix)
    prices = Counter((o.side, o.price) for o in orders)
    assert all(n == 1 for n in prices.values()), f"two orders at one price: {prices}"
    slots = Counter(o.client_order_id.rsplit("-", 1)[0] for o in orders)
    assert all(n == 1 for n in slots.values()), f"two open orders for one slot: {slots}"
    return orders
