"""The statements of one save(), shaped for as few round trips as each backend allows.

PostgreSQL, the usual small save (a few slots, a fill, the risk row): every upsert
becomes one data-modifying CTE of a single multi-row statement, run in autocommit. One
statement is atomic on its own, so there is no BEGIN and no COMMIT to wait for: the
whole save is one round trip. A large save (a resync applying many fills) would make a
huge statement that is slow to compile; it runs as executemany in a transaction, which
psycopg pipelines.

SQLite: in-process, so round trips cost nothing; the upserts run one after another
(executemany) inside one transaction.

Every statement is idempotent (upserts of whole rows, fills insert-if-new), so a save
whose outcome was lost with its connection can simply be sent again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Executable, Table, bindparam, literal_column, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.dml import Insert

from .rows import Row
from .schema import FillRow, RiskRow, SlotRow, StrategyRow

# Up to this many rows a PostgreSQL save is one statement; beyond, compiling the multi-row
# VALUES costs more than the round trips it saves (and the protocol caps a statement at
# 65535 bind parameters).
PG_ONE_STATEMENT_ROWS = 100

InsertFactory = Callable[[Table], Any]  # postgresql.insert or sqlite.insert


@dataclass(slots=True)
class Batch:
    """The rows of one save."""

    meta: Row | None = None
    slots: list[Row] = field(default_factory=list)
    fills: list[Row] = field(default_factory=list)
    risk: Row | None = None

    @classmethod
    def of(
        cls, meta: Row | None, slots: Iterable[Row], fills: Iterable[Row], risk: Row | None
    ) -> Batch:
        # One statement may not upsert a row twice (PostgreSQL refuses): the last state
        # of a slot wins; the first copy of a fill wins, as it would across saves.
        by_key = {(row["level"], row["direction"]): row for row in slots}
        by_trade: dict[str, Row] = {}
        for row in fills:
            by_trade.setdefault(row["trade_id"], row)
        return cls(meta, list(by_key.values()), list(by_trade.values()), risk)

    def __bool__(self) -> bool:
        return bool(self.meta or self.slots or self.fills or self.risk)


@dataclass(frozen=True, slots=True)
class _Upsert:
    table: Table
    keys: tuple[str, ...]
    #: True: replace the stored row; False: keep it (insert-if-new)
    replace: bool

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns a row sets: all but a generated id."""
        return tuple(c.name for c in self.table.columns if c.name != "id")


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


# In foreign key order: the strategy row first.
_META = _Upsert(_table(StrategyRow), ("name",), replace=True)
_SLOTS = _Upsert(_table(SlotRow), ("strategy", "level", "direction"), replace=True)
_FILLS = _Upsert(_table(FillRow), ("strategy", "trade_id"), replace=False)
_RISK = _Upsert(_table(RiskRow), ("strategy",), replace=True)
_UPSERTS = (_META, _SLOTS, _FILLS, _RISK)


def _parts(batch: Batch) -> list[tuple[int, list[Row]]]:
    """(index into _UPSERTS, rows) for each table the batch writes, in _UPSERTS order."""
    meta = [batch.meta] if batch.meta else []
    risk = [batch.risk] if batch.risk else []
    rows = (meta, batch.slots, batch.fills, risk)
    return [(index, part) for index, part in enumerate(rows) if part]


def _on_conflict(statement: Any, upsert: _Upsert) -> Insert:
    keys = list(upsert.keys)
    if not upsert.replace:
        return cast(Insert, statement.on_conflict_do_nothing(index_elements=keys))
    updates = {name: statement.excluded[name] for name in upsert.columns if name not in keys}
    return cast(Insert, statement.on_conflict_do_update(index_elements=keys, set_=updates))


def write_each(connection: Connection, batch: Batch, insert: InsertFactory) -> None:
    """Upsert table after table, executemany style, in the caller's transaction."""
    for index, rows in _parts(batch):
        upsert = _UPSERTS[index]
        connection.execute(_on_conflict(insert(upsert.table), upsert), rows)


def fits_one_statement(batch: Batch) -> bool:
    return sum(len(rows) for _, rows in _parts(batch)) <= PG_ONE_STATEMENT_ROWS


def one_statement(batch: Batch) -> tuple[Executable, dict[str, Any]]:
    """The whole batch as one PostgreSQL statement, and its parameters."""
    parts = _parts(batch)
    statement = _one_statement(tuple((index, len(rows)) for index, rows in parts))
    params: dict[str, Any] = {}
    for index, rows in parts:
        for number, row in enumerate(rows):
            params.update(_named(index, number, row))
    return statement, params


def _name(index: int, number: int, column: str) -> str:
    return f"p{index}_{number}_{column}"


def _named(index: int, number: int, row: Mapping[str, Any]) -> dict[str, Any]:
    return {_name(index, number, column): value for column, value in row.items()}


# Saves repeat a few shapes (which tables, how many rows); building and compiling the
# statement once per shape keeps a save's CPU cost near that of a plain INSERT.
@functools.lru_cache(maxsize=256)
def _one_statement(shape: Sequence[tuple[int, int]]) -> Executable:
    """WITH w0 AS (INSERT .. ON CONFLICT ..), w1 AS (..) SELECT 1, with named parameters.

    PostgreSQL runs every data-modifying CTE to completion even when nothing reads it,
    and checks foreign keys at the end of the statement, after the strategy row exists.
    """
    statements = []
    for index, count in shape:
        upsert = _UPSERTS[index]
        values = [
            {
                name: bindparam(_name(index, number, name), type_=upsert.table.c[name].type)
                for name in upsert.columns
            }
            for number in range(count)
        ]
        insert = postgresql.insert(upsert.table).values(values)
        statements.append(_on_conflict(insert, upsert))
    if len(statements) == 1:
        return statements[0]
    ctes = [statement.cte(f"w{number}") for number, statement in enumerate(statements)]
    return select(literal_column("1")).add_cte(*ctes)
