"""The grid's edges: the prices of the book's orders nearest to and farthest from the price.

Four prices draw the grid on a chart (the working band and how far it reaches) with a
fixed, small number of series, however many levels the grid has.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from decimal import Decimal

from gridops.models import Side

from .slots import Slot


class Edge(enum.StrEnum):
    NEAREST_BUY = "nearest_buy"  #: the highest buy
    FARTHEST_BUY = "farthest_buy"  #: the lowest buy
    NEAREST_SELL = "nearest_sell"  #: the lowest sell
    FARTHEST_SELL = "farthest_sell"  #: the highest sell


def grid_edges(slots: Iterable[Slot]) -> dict[Edge, Decimal]:
    """Each edge's price among the slots' orders (pending ones too: they are decided);
    an edge with no order on its side is left out."""
    buys: list[Decimal] = []
    sells: list[Decimal] = []
    for slot in slots:
        if slot.state.has_order and slot.order_price > 0:
            (buys if slot.order_side is Side.BUY else sells).append(slot.order_price)
    edges: dict[Edge, Decimal] = {}
    if buys:
        edges[Edge.NEAREST_BUY] = max(buys)
        edges[Edge.FARTHEST_BUY] = min(buys)
    if sells:
        edges[Edge.NEAREST_SELL] = min(sells)
        edges[Edge.FARTHEST_SELL] = max(sells)
    return edges
