"""SqlStore: the durable engine's state in SQLite or PostgreSQL, one strategy per store."""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType

from sqlalchemy import Engine, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from gridops.market_maker.domain.risk_state import RiskState
from gridops.market_maker.domain.slots import Slot
from gridops.models import Fill

from . import rows, write
from .engine import make_engine, normalize_url, reader
from .errors import StoreError
from .migrate import upgrade
from .rows import StoredState, StrategyMeta
from .schema import FillRow, RiskRow, SlotRow, StrategyRow


class SqlStore:
    """Loads and saves one strategy's state; several strategies may share a database.

    `save()` is one transaction (all or nothing) and returns once it is durable: the
    engine calls it before acting on a decision, so a crash never loses a decision that
    was acted on. Calls may come from worker threads (each takes its own pooled
    connection), but the store does not order concurrent saves: the engine must.
    """

    def __init__(self, url: str, strategy: str) -> None:
        if not strategy:
            raise StoreError("strategy name is empty")
        self.strategy = strategy
        self.url = normalize_url(url)
        self._engine: Engine = make_engine(self.url)
        self._reader = reader(self._engine)
        self._postgres = self.url.get_backend_name() == "postgresql"
        # Set once the strategy row is known to exist: saves without meta need it.
        self._known = False
        try:
            upgrade(self._engine)
        except BaseException:
            self._engine.dispose()
            raise

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def load(self) -> StoredState | None:
        """Everything stored for the strategy, or None if it was never stored."""
        # One snapshot for all four reads, so slots and fills agree with each other.
        with Session(self._reader) as session, session.begin():
            meta = session.get(StrategyRow, self.strategy)
            if meta is None:
                return None
            slots = session.scalars(
                select(SlotRow)
                .where(SlotRow.strategy == self.strategy)
                .order_by(SlotRow.level, SlotRow.direction)
            )
            fills = session.scalars(
                select(FillRow).where(FillRow.strategy == self.strategy).order_by(FillRow.id)
            )
            state = StoredState(
                meta=rows.to_meta(meta),
                slots=[rows.to_slot(row) for row in slots],
                fills=[rows.to_fill(row) for row in fills],
                risk=rows.to_risk(session.get(RiskRow, self.strategy)),
            )
        self._known = True
        return state

    def save(
        self,
        *,
        slots: Iterable[Slot] = (),
        fills: Iterable[Fill] = (),
        risk: RiskState | None = None,
        meta: StrategyMeta | None = None,
    ) -> None:
        """Store all of it in one transaction: slots upserted by (level, direction),
        fills inserted unless their trade_id is stored already, risk and meta replaced.

        The first save of a strategy must carry `meta`.
        """
        name = self.strategy
        batch = write.Batch.of(
            meta=None if meta is None else rows.meta_row(name, meta),
            slots=(rows.slot_row(name, slot) for slot in slots),
            fills=(rows.fill_row(name, fill) for fill in fills),
            risk=None if risk is None else rows.risk_row(name, risk),
        )
        if not batch:
            return
        if meta is None and not self._known:
            self._require_strategy()
        try:
            self._write(batch)
        except DBAPIError as error:
            # The pool dropped a dead connection (a restarted server, a cut network).
            # Whether the save got through is unknown, but it is idempotent: resend it.
            if not error.connection_invalidated:
                raise
            self._write(batch)
        self._known = True

    def applied_trade_ids(self) -> set[str]:
        with self._reader.connect() as connection:
            result = connection.execute(
                select(FillRow.trade_id).where(FillRow.strategy == self.strategy)
            )
            return set(result.scalars())

    def close(self) -> None:
        self._engine.dispose()

    def _write(self, batch: write.Batch) -> None:
        if self._postgres and write.fits_one_statement(batch):
            # A single statement is atomic without BEGIN/COMMIT: one round trip.
            with self._engine.connect() as connection:
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
                connection.execute(*write.one_statement(batch))
            return
        insert = postgresql.insert if self._postgres else sqlite.insert
        with self._engine.begin() as connection:
            write.write_each(connection, batch, insert)

    def _require_strategy(self) -> None:
        with self._reader.connect() as connection:
            stored = connection.scalar(select(exists().where(StrategyRow.name == self.strategy)))
        if not stored:
            raise StoreError(
                f"strategy {self.strategy!r} is not stored yet: its first save needs meta="
            )
        self._known = True
