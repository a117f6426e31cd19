"""`gridops orders [TARGET]`: the open orders the engine holds (from its /status)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from .render import style_for
from .sources import Source
from .tables import orders_summary, orders_table
from .targets import parse_target


def run(ns: argparse.Namespace) -> None:
    asyncio.run(_orders(ns))


async def _orders(ns: argparse.Namespace) -> None:
    source = await Source.open(parse_target(ns.target), ns.namespace, ns.context)
    try:
        snapshot = await source.read()
    finally:
        await source.close()
    document = snapshot.require_document()
    orders = list(document.get("openOrders") or [])
    if ns.json:
        print(json.dumps(orders, indent=2))
        return
    style = style_for(sys.stdout)
    print(f"{style.bold(snapshot.name)}  {snapshot.symbol}  {orders_summary(orders)}")
    if orders:
        print("\n".join(orders_table(orders, document.get("lastPrice"), style)))
