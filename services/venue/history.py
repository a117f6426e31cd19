"""The audit log rebuilt from the state file at start (the sim store keeps every order
and fill; the audit log is a view of them), so it needs no writes of its own.

Entries are renumbered at each start, in time order: accepted orders, fills and cancels
of every account interleaved as they happened.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from gridops.models import OrderStatus, OrderType
from gridops.simexchange.fills import fill_from_dict
from gridops.simexchange.orders import OrderState

from .audit import AuditEntry
from .binance_json import public_client_id

SortKey = tuple[datetime, int, int]

#: at one instant an order is accepted before it fills, and fills before it is canceled
_KIND_ORDER = {"order": 0, "fill": 1, "cancel": 2}


def rebuild_audit(path: Path, keys: list[str]) -> list[AuditEntry]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = dict(db.execute("SELECT id, name FROM accounts").fetchall())
        wanted = {i: n for i, n in names.items() if n in keys}
        found: list[tuple[SortKey, AuditEntry]] = []
        for account_id, name in wanted.items():
            rows = db.execute("SELECT data FROM orders WHERE account = ?", (account_id,))
            orders: dict[str, OrderState] = {}
            for (data,) in rows:
                order = OrderState.from_dict(json.loads(data))
                orders[order.order_id] = order
                found.append(_entry(name, "order", order))
                if order.status is OrderStatus.CANCELED:
                    found.append(_entry(name, "cancel", order))
            rows = db.execute("SELECT data FROM fills WHERE account = ?", (account_id,))
            for (data,) in rows:
                fill = fill_from_dict(json.loads(data))
                owner = orders.get(fill.order_id)
                entry = AuditEntry(
                    sequence=0,
                    account=name,
                    kind="fill",
                    time=fill.time,
                    symbol=fill.symbol,
                    order_id=fill.order_id,
                    client_order_id=public_client_id(fill.client_order_id),
                    side=fill.side,
                    type=owner.type if owner else OrderType.LIMIT,
                    price=fill.price,
                    quantity=fill.quantity,
                    trade_id=fill.trade_id,
                    fee=fill.fee,
                    fee_asset=fill.fee_asset,
                    maker=fill.maker,
                )
                found.append(((fill.time, 1, owner.seq if owner else 0), entry))
    finally:
        db.close()
    found.sort(key=lambda item: item[0])
    return [replace(entry, sequence=n) for n, (_, entry) in enumerate(found, start=1)]


def _entry(account: str, kind: str, order: OrderState) -> tuple[SortKey, AuditEntry]:
    time = order.created_at if kind == "order" else order.updated_at
    entry = AuditEntry(
        sequence=0,
        account=account,
        kind=kind,
        time=time,
        symbol=order.symbol,
        order_id=order.order_id,
        client_order_id=public_client_id(order.client_order_id),
        side=order.side,
        type=order.type,
        price=order.price,
        quantity=order.quantity if kind == "order" else order.remaining,
    )
    return (time, _KIND_ORDER[kind], order.seq), entry
