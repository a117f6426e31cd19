"""`gridops fills [TARGET]`: the strategy's fills, from the connector.

The engine's /status carries no fills, so they come from the connector (GetFills with
the strategy's client-order-id prefix, exactly as the engine names its orders). The
TARGET tells which strategy (its name) and symbol; `--connector` where to ask.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from gridops.order_ids import strategy_prefix

from .connector import connected, read_token, translated
from .errors import CliError
from .render import style_for, units
from .sources import Snapshot, Source
from .tables import fill_document, fills_summary, fills_table
from .targets import parse_target


def run(ns: argparse.Namespace) -> None:
    if ns.limit < 0:
        raise CliError(f"--limit {ns.limit}: must be 0 (all) or more")
    asyncio.run(_fills(ns))


async def _fills(ns: argparse.Namespace) -> None:
    source = await Source.open(parse_target(ns.target), ns.namespace, ns.context)
    try:
        snapshot = await source.read(engine=False)  # only its name and symbol are needed
    finally:
        await source.close()
    name, symbol = snapshot.name, snapshot.symbol
    prefix = strategy_prefix(name)
    token = read_token(ns.token_file)
    try:
        async with connected(ns.connector, token) as client:
            with translated(ns.connector):
                fills = await client.get_fills(symbol or None, prefix=prefix)
    except CliError as error:
        raise CliError(f"{error}{_port_forward_hint(snapshot)}") from None
    shown = fills[-ns.limit :] if ns.limit else fills
    if ns.json:
        print(json.dumps([fill_document(f) for f in shown], indent=2))
        return
    style = style_for(sys.stdout)
    base, _ = units(symbol)
    print(f"{style.bold(name)}  {symbol}  ids {prefix}-*  on {ns.connector}")
    print("\n".join(fills_table(shown, style)))
    if fills:
        print(fills_summary(shown, len(fills), base))


def _port_forward_hint(snapshot: Snapshot) -> str:
    """For a GridStrategy: how to reach its connector from here."""
    if snapshot.cluster is None:
        return ""
    cluster = snapshot.cluster
    service = cluster.status.get("connector")
    if not service:
        exchange = cluster.spec.get("exchange") or {}
        service = (
            f"gridops-connector-{exchange.get('name', 'sim')}-{exchange.get('account', 'default')}"
        )
    return (
        f" (a GridStrategy's connector runs in the cluster: kubectl -n {cluster.namespace} "
        f"port-forward svc/{service} 50051:50051, then --connector 127.0.0.1:50051)"
    )
