"""Cancelling a strategy's orders through its connector, and checking none is left."""

from __future__ import annotations

import logging

from gridops import errors
from gridops.client import ConnectorClient

from .errors import Temporary, Unreachable, WriterLive

log = logging.getLogger(__name__)


async def cancel_all(address: str, symbol: str, prefix: str) -> int:
    """Cancel every open order of `prefix` on `symbol`; return how many were cancelled.

    Raises Unreachable while the connector cannot be reached, WriterLive while a market
    maker's claim on the strategy is live there (no override: the operator never cancels
    past a writer), Temporary while orders remain open.
    """
    try:
        async with await ConnectorClient.connect(address, timeout=5) as client:
            cancelled = await client.cancel_all_orders(symbol, prefix, timeout=10)
            left = await client.get_open_orders(symbol, prefix, timeout=10)
    except errors.Fenced as error:
        raise WriterLive(f"connector {address}: {error}", delay=2) from error
    except (errors.Unavailable, errors.RateLimited, errors.Internal) as error:
        raise Unreachable(f"connector {address}: {error}", delay=3) from error
    if left:
        ids = ", ".join(o.client_order_id for o in left[:5])
        raise Temporary(f"{len(left)} orders still open after cancelling: {ids}", delay=2)
    return len(cancelled)
