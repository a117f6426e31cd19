"""What SqlStore promises on every backend. `StoreContract` holds the tests; each backend
subclasses it with a `url` fixture: SQLite here, PostgreSQL in
tests/integration/test_store_postgres.py (it needs a server)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.exc import IntegrityError, StatementError

from gridops.market_maker.domain.risk_state import RiskState
from gridops.market_maker.domain.slots import Direction, Slot, SlotState
from gridops.market_maker.store import SqlStore, StoreError, StrategyMeta, rows
from gridops.market_maker.store.engine import normalize_url
from gridops.market_maker.store.migrate import current_revisions, head_revision, upgrade
from gridops.market_maker.store.schema import Base
from gridops.models import Fill, Side

T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
META = StrategyMeta(symbol="BTC/USDT", created_at=T0, started_at=T0 + timedelta(hours=1))

# Awkward on purpose: tiny, long, negative, trailing zeros, exponents, negative zero.
AMOUNTS = [
    Decimal("0.00000001"),
    Decimal("123456789.123456789"),
    Decimal("-42.50"),
    Decimal("1.10000000"),
    Decimal("1E+3"),
    Decimal("-0"),
    Decimal("0.000000000000000000000000000001"),
    Decimal("98765432109876543210.0123456789"),
]


def amount(index: int) -> Decimal:
    return AMOUNTS[index % len(AMOUNTS)]


def every_slot() -> list[Slot]:
    """One slot per (state, direction), every Decimal field awkward."""
    slots = []
    for index, (state, direction) in enumerate(
        (state, direction) for state in SlotState for direction in Direction
    ):
        slots.append(
            Slot(
                level=index - 5,  # negative levels exist below the anchor
                direction=direction,
                state=state,
                holding=amount(index),
                entry_cost=amount(index + 1),
                order_id=f"gs-{index - 5}-{direction.value}-{index}" if state.has_order else "",
                order_price=amount(index + 2),
                order_quantity=amount(index + 3),
                order_filled=amount(index + 4),
                sequence=index * 1_000_000_007,
                realized_pnl=-amount(index + 5),
                fees=amount(index + 6),
            )
        )
    return slots


def fill(trade_id: str, **changes: Any) -> Fill:
    base = Fill(
        trade_id=trade_id,
        order_id=f"x-{trade_id}",
        client_order_id=f"gs-3-B-{trade_id}",
        symbol="BTC/USDT",
        side=Side.BUY,
        price=Decimal("50000.01"),
        quantity=Decimal("0.00100000"),
        fee=Decimal("-0.0000001"),
        fee_asset="USDT",
        maker=True,
        time=T0,
    )
    return dataclasses.replace(base, **changes)


def same(actual: object, expected: object) -> None:
    """Equal *and* identical: repr keeps a Decimal's exponent, which == ignores."""
    assert repr(actual) == repr(expected)


class StoreContract:
    @pytest.fixture
    def url(self) -> str:
        raise NotImplementedError

    @pytest.fixture
    def store(self, url: str) -> Iterator[SqlStore]:
        with SqlStore(url, "alpha") as store:
            yield store

    def open(self, url: str, strategy: str = "alpha") -> SqlStore:
        return SqlStore(url, strategy)

    def test_unknown_strategy_loads_as_none(self, store: SqlStore) -> None:
        assert store.load() is None
        assert store.applied_trade_ids() == set()

    def test_slots_round_trip_identically(self, store: SqlStore) -> None:
        slots = every_slot()
        store.save(meta=META, slots=slots)
        state = store.load()
        assert state is not None
        same(state.slots, sorted(slots, key=lambda s: (s.level, s.direction.value)))

    def test_slot_upsert_replaces_by_level_and_direction(self, store: SqlStore) -> None:
        first = Slot(level=7, direction=Direction.LONG)
        twin = Slot(level=7, direction=Direction.SHORT)
        store.save(meta=META, slots=[first, twin])
        moved = dataclasses.replace(
            first, state=SlotState.HOLDING, holding=Decimal("0.5"), sequence=3
        )
        store.save(slots=[moved])
        state = store.load()
        assert state is not None
        same(state.slots, [moved, twin])

    def test_last_copy_of_a_slot_in_one_save_wins(self, store: SqlStore) -> None:
        older = Slot(level=1, direction=Direction.LONG, sequence=1)
        newer = dataclasses.replace(older, sequence=2, state=SlotState.ENTRY_PENDING)
        store.save(meta=META, slots=[older, newer])
        state = store.load()
        assert state is not None
        same(state.slots, [newer])

    def test_fills_round_trip_in_order_and_dedupe(self, store: SqlStore) -> None:
        fills = [
            fill("t-2", side=Side.SELL, maker=False, quantity=Decimal("123456789.123456789")),
            fill("t-1", time=T0 + timedelta(microseconds=1)),
            fill("t-3", fee=Decimal("0"), fee_asset="BNB"),
        ]
        store.save(meta=META, fills=fills[:2])
        # Saved again (also inside one save) and with a changed body: the first one stays.
        store.save(fills=[fills[0], dataclasses.replace(fills[1], price=Decimal(1)), fills[2]])
        store.save(fills=[fills[2], fills[2]])
        state = store.load()
        assert state is not None
        same(state.fills, fills)
        assert store.applied_trade_ids() == {"t-1", "t-2", "t-3"}

    def test_risk_halted_then_cleared(self, store: SqlStore) -> None:
        halted = RiskState(
            halted=True,
            reason="price moved 5.2% in 1s (50000 -> 52600) — ünïcode",
            since=T0,
            until=T0 + timedelta(seconds=300),
        )
        store.save(meta=META, risk=halted)
        state = store.load()
        assert state is not None
        assert state.risk == halted

        user_only = RiskState(halted=True, reason="max drawdown", since=T0, until=None)
        store.save(risk=user_only)
        state = store.load()
        assert state is not None
        assert state.risk == user_only

        store.save(risk=RiskState.clear())
        state = store.load()
        assert state is not None
        assert state.risk == RiskState()

    def test_risk_defaults_to_clear(self, store: SqlStore) -> None:
        store.save(meta=META)
        state = store.load()
        assert state is not None
        assert state.risk == RiskState()

    def test_meta_round_trips_as_utc(self, store: SqlStore) -> None:
        tokyo = timezone(timedelta(hours=9))
        meta = StrategyMeta("ETH/USDT", T0.astimezone(tokyo), T0.astimezone(tokyo))
        store.save(meta=meta)
        state = store.load()
        assert state is not None
        assert state.meta == StrategyMeta("ETH/USDT", T0, T0)
        assert state.meta.created_at.tzinfo is UTC

        restarted = dataclasses.replace(META, started_at=T0 + timedelta(days=2))
        store.save(meta=restarted)
        state = store.load()
        assert state is not None
        assert state.meta == restarted
        assert state.meta.started_at.utcoffset() == timedelta(0)

    def test_every_timestamp_is_utc_aware(self, store: SqlStore) -> None:
        store.save(
            meta=META,
            fills=[fill("t")],
            risk=RiskState(halted=True, reason="r", since=T0, until=T0),
        )
        state = store.load()
        assert state is not None
        stamps: list[datetime | None] = [
            state.meta.created_at,
            state.meta.started_at,
            state.fills[0].time,
        ]
        stamps += [state.risk.since, state.risk.until]
        assert all(s is not None and s.tzinfo is UTC for s in stamps)

    def test_naive_timestamps_are_refused(self, store: SqlStore) -> None:
        with pytest.raises(StatementError, match="naive datetime"):
            store.save(meta=StrategyMeta("BTC/USDT", datetime(2025, 1, 1), T0))
        assert store.load() is None

    def test_floats_are_refused(self, store: SqlStore) -> None:
        slot = Slot(level=1, direction=Direction.LONG, holding=cast(Decimal, 0.1))
        with pytest.raises(StatementError, match="expected a Decimal"):
            store.save(meta=META, slots=[slot])
        assert store.load() is None

    def test_strategies_do_not_see_each_other(self, url: str) -> None:
        with self.open(url, "alpha") as alpha, self.open(url, "beta") as beta:
            alpha.save(meta=META, slots=[Slot(1, Direction.LONG)], fills=[fill("shared-id")])
            assert beta.load() is None
            beta_meta = dataclasses.replace(META, symbol="ETH/USDT")
            beta_slot = Slot(1, Direction.LONG, state=SlotState.HOLDING, holding=Decimal(2))
            halted = RiskState(halted=True, reason="beta only", since=T0)
            # The same trade id may exist once per strategy.
            beta.save(meta=beta_meta, slots=[beta_slot], fills=[fill("shared-id")], risk=halted)

            a, b = alpha.load(), beta.load()
            assert a is not None
            assert b is not None
            assert (a.meta, b.meta) == (META, beta_meta)
            same(a.slots, [Slot(1, Direction.LONG)])
            same(b.slots, [beta_slot])
            assert (a.risk, b.risk) == (RiskState(), halted)
            assert alpha.applied_trade_ids() == beta.applied_trade_ids() == {"shared-id"}

    @pytest.mark.parametrize("bad_part", ["fill", "risk"])
    def test_save_is_all_or_nothing(self, store: SqlStore, bad_part: str) -> None:
        slot = Slot(level=2, direction=Direction.LONG)
        store.save(meta=META, slots=[slot])
        before = store.load()

        # A NOT NULL violation in the fills or in the risk row, which are written after
        # the meta and the slots: nothing of this save may remain.
        bad_fill = fill(cast(str, None)) if bad_part == "fill" else fill("good-2")
        bad_risk = RiskState(halted=True, reason=cast(str, None) if bad_part == "risk" else "")
        with pytest.raises(IntegrityError):
            store.save(
                meta=dataclasses.replace(META, symbol="XXX/YYY"),
                slots=[dataclasses.replace(slot, state=SlotState.ENTRY_PENDING, sequence=9)],
                fills=[fill("good-1"), bad_fill],
                risk=bad_risk,
            )
        assert repr(store.load()) == repr(before)
        assert store.applied_trade_ids() == set()
        # And the store still works after the failure.
        store.save(fills=[fill("good-1")])
        assert store.applied_trade_ids() == {"good-1"}

    def test_first_save_needs_meta(self, store: SqlStore) -> None:
        with pytest.raises(StoreError, match="needs meta"):
            store.save(slots=[Slot(1, Direction.LONG)])
        assert store.load() is None

    def test_empty_save_is_a_no_op(self, store: SqlStore) -> None:
        store.save()
        assert store.load() is None

    def test_reopened_store_sees_everything(self, url: str) -> None:
        slots = every_slot()
        fills = [fill("a"), fill("b", side=Side.SELL)]
        risk = RiskState(halted=True, reason="stale market data", since=T0, until=None)
        with self.open(url) as store:
            store.save(meta=META, slots=slots, fills=fills, risk=risk)
            expected = store.load()
        assert expected is not None
        with self.open(url) as reopened:
            same(reopened.load(), expected)
            assert reopened.applied_trade_ids() == {"a", "b"}
            # Known strategy after a restart: saves without meta are fine.
            reopened.save(slots=[dataclasses.replace(slots[0], sequence=99)])

    def test_large_save_round_trips(self, store: SqlStore) -> None:
        # Beyond what one PostgreSQL statement's bind parameters can carry.
        slots = [
            Slot(level, direction, holding=Decimal(level) / 7)
            for level in range(-1500, 1500)
            for direction in Direction
        ]
        fills = [fill(f"t{i}", quantity=Decimal(i).scaleb(-8)) for i in range(3000)]
        store.save(meta=META, slots=slots, fills=fills)
        state = store.load()
        assert state is not None
        same(state.slots, slots)
        same(state.fills, fills)

    def test_migrating_again_is_a_no_op(self, url: str) -> None:
        with self.open(url) as store:
            store.save(meta=META)
        engine = create_engine(normalize_url(url))
        statements: list[str] = []

        def record(_c: Connection, _cur: Any, statement: str, *_: Any) -> None:
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            upgrade(engine)
            with engine.connect() as connection:
                assert current_revisions(connection) == (head_revision(),)
        finally:
            engine.dispose()
        writes = [s for s in statements if not s.lstrip().upper().startswith(("SELECT", "PRAGMA"))]
        assert writes == []
        with self.open(url) as store:
            state = store.load()
            assert state is not None
            assert state.meta == META

    def test_newer_schema_is_refused(self, url: str) -> None:
        self.open(url).close()
        engine = create_engine(normalize_url(url))
        try:
            with engine.begin() as connection:
                connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        finally:
            engine.dispose()
        with pytest.raises(StoreError, match=r"revision '9999' is newer"):
            self.open(url)

    def test_migrations_create_what_the_models_describe(self, url: str) -> None:
        self.open(url).close()
        engine = create_engine(normalize_url(url))
        try:
            with engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                assert compare_metadata(context, Base.metadata) == []
        finally:
            engine.dispose()


class TestSqliteStore(StoreContract):
    @pytest.fixture
    def url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path}/store.db"


def test_sqlite_parent_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "grid.db"
    with SqlStore(f"sqlite:///{path}", "alpha") as store:
        store.save(meta=META)
    assert path.is_file()


def test_sqlite_is_wal_with_full_sync(tmp_path: Path) -> None:
    with (
        SqlStore(f"sqlite:///{tmp_path}/s.db", "alpha") as store,
        store._engine.connect() as connection,
    ):
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        # 2 = FULL: the WAL is synced at every commit.
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_sqlite_in_memory_works(tmp_path: Path) -> None:
    with SqlStore("sqlite://", "alpha") as store:
        store.save(meta=META, slots=[Slot(0, Direction.SHORT)])
        state = store.load()
        assert state is not None
        same(state.slots, [Slot(0, Direction.SHORT)])


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///data/x.db", "sqlite:///data/x.db"),
        ("sqlite+pysqlite:////abs/x.db", "sqlite:////abs/x.db"),
        ("postgresql://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_urls_are_normalized(given: str, expected: str) -> None:
    assert normalize_url(given).render_as_string(hide_password=False) == expected


@pytest.mark.parametrize(
    "url", ["mysql://u@h/db", "postgresql+psycopg2://u@h/db", "not a url", "sqlite+aiosqlite://"]
)
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(StoreError):
        SqlStore(url, "alpha")


def test_password_is_not_echoed(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as error:
        SqlStore("mysql://user:secret@h/db", "alpha")
    assert "secret" not in str(error.value)


def test_empty_strategy_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        SqlStore(f"sqlite:///{tmp_path}/s.db", "")


def test_every_domain_field_has_a_column() -> None:
    """A field added to Slot, Fill or RiskState must be stored too (and migrated)."""
    slot = rows.slot_row("s", Slot(0, Direction.LONG))
    fill_ = rows.fill_row("s", fill("t"))
    risk = rows.risk_row("s", RiskState())
    meta = rows.meta_row("s", META)
    assert {f.name for f in dataclasses.fields(Slot)} <= slot.keys()
    assert {f.name for f in dataclasses.fields(Fill)} <= fill_.keys()
    assert {f.name for f in dataclasses.fields(RiskState)} <= risk.keys()
    assert {f.name for f in dataclasses.fields(StrategyMeta)} <= meta.keys()
