"""Deterministic client order ids: `<prefix>-<level>-<B|S>-<n>`.

The id alone names the slot an order belongs to, so a restarted engine maps every open
order on the exchange back to its slot, and re-sending a recorded decision re-sends the
same id (the connector's idempotent PlaceOrder then never places it twice). `n` grows
per slot and is never reused, so one id always means one order.
"""

from __future__ import annotations

import re

from gridops import order_ids
from gridops.errors import InvalidArgument
from gridops.order_ids import MAX_STRATEGY_PREFIX as MAX_PREFIX
from gridops.order_ids import strategy_prefix

from .slots import Direction

__all__ = ["MAX_PREFIX", "client_order_id", "parse_client_order_id", "strategy_prefix"]

MAX_ID = order_ids.MAX_CLIENT_ORDER_ID
_PREFIX_OK = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def client_order_id(prefix: str, level: int, direction: Direction, n: int) -> str:
    if not _PREFIX_OK.fullmatch(prefix):
        raise InvalidArgument(f"client order id: bad prefix {prefix!r}")
    if n < 1:
        raise InvalidArgument(f"client order id: sequence must be >= 1, got {n}")
    cid = order_ids.format_id(prefix, level, direction.value, n)
    if len(cid) > MAX_ID:
        raise InvalidArgument(f"client order id {cid!r} is longer than {MAX_ID} characters")
    return cid


def parse_client_order_id(prefix: str, cid: str) -> tuple[int, Direction, int] | None:
    """(level, direction, n) of one of our ids; None for anything else.

    The grammar is gridops.order_ids', the connector's prefix filter's: exactly three
    fields follow the prefix, so the ids of a strategy whose prefix merely starts with
    ours ("btc-2-…" against "btc") never parse as ours.
    """
    fields = order_ids.parse_id(prefix, cid)
    if fields is None:
        return None
    return fields.level, Direction(fields.letter), fields.n
