"""Initial schema: strategies, slots, applied fills, risk state.

Revision ID: 0001
Revises:
Create Date: 2025-11-22

Written by hand against plain SQLAlchemy types (not the models), so it keeps creating
this exact schema whatever the models become later. Decimals are TEXT: see types.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _strategy() -> sa.Column[object]:
    # Key columns are named in each table's PrimaryKeyConstraint, not flagged here.
    return sa.Column("strategy", sa.Text(), nullable=False)


def _strategy_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["strategy"],
        ["strategies.name"],
        name=f"fk_{table}_strategy_strategies",
        ondelete="CASCADE",
    )


def _decimal(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Text(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "strategies",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
        _timestamp("created_at"),
        _timestamp("started_at"),
        sa.PrimaryKeyConstraint("name", name="pk_strategies"),
    )
    op.create_table(
        "slots",
        _strategy(),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(1), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        _decimal("holding"),
        _decimal("entry_cost"),
        sa.Column("order_id", sa.Text(), nullable=False),
        _decimal("order_price"),
        _decimal("order_quantity"),
        _decimal("order_filled"),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        _decimal("realized_pnl"),
        _decimal("fees"),
        sa.PrimaryKeyConstraint("strategy", "level", "direction", name="pk_slots"),
        _strategy_fk("slots"),
        sa.CheckConstraint("direction IN ('B', 'S')", name="ck_slots_direction"),
        sa.CheckConstraint(
            "state IN ('free', 'entry_pending', 'entry_open', 'holding', "
            "'exit_pending', 'exit_open')",
            name="ck_slots_state",
        ),
    )
    op.create_table(
        "fills",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
            autoincrement=True,
        ),
        _strategy(),
        sa.Column("trade_id", sa.Text(), nullable=False),
        sa.Column("order_id", sa.Text(), nullable=False),
        sa.Column("client_order_id", sa.Text(), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        _decimal("price"),
        _decimal("quantity"),
        _decimal("fee"),
        sa.Column("fee_asset", sa.Text(), nullable=False),
        sa.Column("maker", sa.Boolean(), nullable=False),
        _timestamp("time"),
        sa.PrimaryKeyConstraint("id", name="pk_fills"),
        _strategy_fk("fills"),
        sa.UniqueConstraint("strategy", "trade_id", name="uq_fills_strategy"),
        sa.CheckConstraint("side IN ('BUY', 'SELL')", name="ck_fills_side"),
    )
    op.create_table(
        "risk_states",
        _strategy(),
        sa.Column("halted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _timestamp("since", nullable=True),
        _timestamp("until", nullable=True),
        sa.PrimaryKeyConstraint("strategy", name="pk_risk_states"),
        _strategy_fk("risk_states"),
    )


def downgrade() -> None:
    for table in ("risk_states", "fills", "slots", "strategies"):
        op.drop_table(table)
