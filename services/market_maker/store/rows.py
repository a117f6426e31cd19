"""Domain objects to table rows and back: the one place that knows both shapes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gridops.market_maker.domain.risk_state import RiskState
from gridops.market_maker.domain.slots import Direction, Slot, SlotState
from gridops.models import Fill, Side

from .schema import FillRow, RiskRow, SlotRow, StrategyRow

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class StrategyMeta:
    symbol: str
    created_at: datetime
    started_at: datetime


@dataclass(slots=True)
class StoredState:
    """Everything stored for one strategy, as the engine rebuilds itself from it."""

    meta: StrategyMeta
    slots: list[Slot]
    fills: list[Fill]
    risk: RiskState


def meta_row(strategy: str, meta: StrategyMeta) -> Row:
    return {
        "name": strategy,
        "symbol": meta.symbol,
        "created_at": meta.created_at,
        "started_at": meta.started_at,
    }


def slot_row(strategy: str, slot: Slot) -> Row:
    return {
        "strategy": strategy,
        "level": slot.level,
        # Enum values, not names: they are what the CHECK constraints list.
        "direction": slot.direction.value,
        "state": slot.state.value,
        "holding": slot.holding,
        "entry_cost": slot.entry_cost,
        "order_id": slot.order_id,
        "order_price": slot.order_price,
        "order_quantity": slot.order_quantity,
        "order_filled": slot.order_filled,
        "sequence": slot.sequence,
        "realized_pnl": slot.realized_pnl,
        "fees": slot.fees,
    }


def fill_row(strategy: str, fill: Fill) -> Row:
    return {
        "strategy": strategy,
        "trade_id": fill.trade_id,
        "order_id": fill.order_id,
        "client_order_id": fill.client_order_id,
        "symbol": fill.symbol,
        "side": fill.side.value,
        "price": fill.price,
        "quantity": fill.quantity,
        "fee": fill.fee,
        "fee_asset": fill.fee_asset,
        "maker": fill.maker,
        "time": fill.time,
    }


def risk_row(strategy: str, risk: RiskState) -> Row:
    return {
        "strategy": strategy,
        "halted": risk.halted,
        "reason": risk.reason,
        "since": risk.since,
        "until": risk.until,
    }


def to_meta(row: StrategyRow) -> StrategyMeta:
    return StrategyMeta(symbol=row.symbol, created_at=row.created_at, started_at=row.started_at)


def to_slot(row: SlotRow) -> Slot:
    return Slot(
        level=row.level,
        direction=Direction(row.direction),
        state=SlotState(row.state),
        holding=row.holding,
        entry_cost=row.entry_cost,
        order_id=row.order_id,
        order_price=row.order_price,
        order_quantity=row.order_quantity,
        order_filled=row.order_filled,
        sequence=row.sequence,
        realized_pnl=row.realized_pnl,
        fees=row.fees,
    )


def to_fill(row: FillRow) -> Fill:
    return Fill(
        trade_id=row.trade_id,
        order_id=row.order_id,
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        side=Side(row.side),
        price=row.price,
        quantity=row.quantity,
        fee=row.fee,
        fee_asset=row.fee_asset,
        maker=row.maker,
        time=row.time,
    )


def to_risk(row: RiskRow | None) -> RiskState:
    if row is None:
        return RiskState()
    return RiskState(halted=row.halted, reason=row.reason, since=row.since, until=row.until)
