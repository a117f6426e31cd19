"""The /status document (camelCase, amounts as decimal strings).

Amounts are rounded to the symbol's tick (prices, PnL, fees) and step (quantities) once the
connector gave its rules: an average entry or an unrealized PnL is a division, and
`50291.46453333333333333333333` is not a figure anyone should be shown.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from gridops.decimals import fmt
from gridops.precision import Precision, market_maker_status

from .domain.book import GridBook
from .domain.slots import SlotState

if TYPE_CHECKING:
    from .engine import Engine


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def status(engine: Engine) -> dict[str, Any]:
    book = engine.book
    mark = engine.last_price or Decimal(0)
    risk = engine.risk.state
    document: dict[str, Any] = {
        "name": engine.config.name,
        "symbol": engine.config.symbol,
        "engine": engine.backend.kind,
        "phase": engine.phase.value,
        "synced": engine.synced,
        "paused": engine.paused,
        "lastPrice": fmt(engine.last_price) if engine.last_price is not None else None,
        "lastPriceAt": _when(engine.last_price_at),
        "position": "0",
        "openOrders": [],
        "slots": [],
        "risk": {
            "halted": risk.halted,
            "reason": risk.reason,
            "since": _when(risk.since),
            "until": _when(risk.until),
        },
        "pnl": {"realized": "0", "unrealized": "0"},
        "reconciledAt": _when(engine.reconciled_at),
        "tradedPrice": fmt(engine.traded_price) if engine.traded_price is not None else None,
        "idle": engine.idle,
        "warnings": list(engine.warnings),
        "fenced": engine.fenced is not None,
        "fencedReason": engine.fenced,
        "writer": engine.writer() if engine.writer is not None else None,
    }
    if book is not None:
        _add_book(document, book, mark, priced=engine.last_price is not None)
    info = engine.symbol_info
    return market_maker_status(document, Precision([info] if info else []))


def _add_book(document: dict[str, Any], book: GridBook, mark: Decimal, *, priced: bool) -> None:
    totals = book.totals(mark)
    document["position"] = fmt(totals.position)
    document["pnl"] = {
        "realized": fmt(totals.realized_pnl),
        "unrealized": fmt(totals.unrealized_pnl) if priced else "0",
        "fees": fmt(totals.fees),
    }
    slots = sorted(book.slots.values(), key=lambda s: (s.level, s.direction.value))
    document["openOrders"] = [
        {
            "clientOrderId": s.order_id,
            "side": s.order_side.value,
            "price": fmt(s.order_price),
            "quantity": fmt(s.order_quantity),
            "filled": fmt(s.order_filled),
            "pending": s.state in (SlotState.ENTRY_PENDING, SlotState.EXIT_PENDING),
        }
        for s in slots
        if s.state.has_order
    ]
    document["slots"] = [
        {
            "level": s.level,
            "direction": "long" if s.direction.value == "B" else "short",
            "state": s.state.value,
            "holding": fmt(s.holding),
            "averageEntry": fmt(s.average_entry),
            "realizedPnl": fmt(s.realized_pnl),
        }
        for s in slots
        if s.state is not SlotState.FREE or s.holding
    ]
