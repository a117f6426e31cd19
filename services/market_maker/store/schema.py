"""The tables, as typed SQLAlchemy models. Every row belongs to one strategy by name.

The migrations under migrations/versions create exactly this schema; a test compares
the two, so a change here without a migration fails CI.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .types import DecimalText, UtcDateTime

# Deterministic constraint names, so a later migration can name what it alters.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an INTEGER PRIMARY KEY, not a BIGINT one.
AutoId = BigInteger().with_variant(Integer(), "sqlite")

DIRECTIONS = ("B", "S")
STATES = ("free", "entry_pending", "entry_open", "holding", "exit_pending", "exit_open")
SIDES = ("BUY", "SELL")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _strategy_fk() -> Mapped[str]:
    return mapped_column(Text, ForeignKey("strategies.name", ondelete="CASCADE"), primary_key=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class StrategyRow(Base):
    __tablename__ = "strategies"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    symbol: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SlotRow(Base):
    __tablename__ = "slots"
    __table_args__ = (
        CheckConstraint(_one_of("direction", DIRECTIONS), name="direction"),
        CheckConstraint(_one_of("state", STATES), name="state"),
    )

    strategy: Mapped[str] = _strategy_fk()
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    direction: Mapped[str] = mapped_column(String(1), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    holding: Mapped[Decimal] = mapped_column(DecimalText)
    entry_cost: Mapped[Decimal] = mapped_column(DecimalText)
    order_id: Mapped[str] = mapped_column(Text)
    order_price: Mapped[Decimal] = mapped_column(DecimalText)
    order_quantity: Mapped[Decimal] = mapped_column(DecimalText)
    order_filled: Mapped[Decimal] = mapped_column(DecimalText)
    sequence: Mapped[int] = mapped_column(BigInteger)
    realized_pnl: Mapped[Decimal] = mapped_column(DecimalText)
    fees: Mapped[Decimal] = mapped_column(DecimalText)


class FillRow(Base):
    __tablename__ = "fills"
    __table_args__ = (
        UniqueConstraint("strategy", "trade_id"),
        CheckConstraint(_one_of("side", SIDES), name="side"),
    )

    # Insertion order is the order fills were applied in; load() returns them so.
    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    strategy: Mapped[str] = mapped_column(Text, ForeignKey("strategies.name", ondelete="CASCADE"))
    trade_id: Mapped[str] = mapped_column(Text)
    order_id: Mapped[str] = mapped_column(Text)
    client_order_id: Mapped[str] = mapped_column(Text)
    symbol: Mapped[str] = mapped_column(Text)
    side: Mapped[str] = mapped_column(String(4))
    price: Mapped[Decimal] = mapped_column(DecimalText)
    quantity: Mapped[Decimal] = mapped_column(DecimalText)
    fee: Mapped[Decimal] = mapped_column(DecimalText)
    fee_asset: Mapped[str] = mapped_column(Text)
    maker: Mapped[bool] = mapped_column(Boolean)
    time: Mapped[datetime] = mapped_column(UtcDateTime)


class RiskRow(Base):
    __tablename__ = "risk_states"

    strategy: Mapped[str] = _strategy_fk()
    halted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    until: Mapped[datetime | None] = mapped_column(UtcDateTime)
