"""SqlStore on PostgreSQL: the whole backend contract, plus what only a server has."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from sqlalchemy import Connection, event

from gridops.market_maker.domain.slots import Direction, Slot, SlotState
from gridops.market_maker.store import SqlStore
from tests.support import postgres
from tests.unit.test_store_contract import META, StoreContract, fill, same

# The session fixture, registered in this module by name.
postgres_server = postgres.postgres_server


class TestPostgresStore(StoreContract):
    @pytest.fixture
    def url(self, postgres_server: postgres.PostgresServer) -> str:
        return postgres_server.new_database()


@pytest.fixture
def url(postgres_server: postgres.PostgresServer) -> str:
    return postgres_server.new_database()


def test_plain_postgresql_url_means_psycopg(url: str) -> None:
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with SqlStore(plain, "alpha") as store:
        store.save(meta=META)
        assert store.url.drivername == "postgresql+psycopg"
    with SqlStore(url, "alpha") as store:
        state = store.load()
        assert state is not None
        assert state.meta == META


def test_a_save_is_one_statement_without_begin_or_commit(url: str) -> None:
    with SqlStore(url, "alpha") as store:
        store.save(meta=META)
        sent: list[str] = []

        def record(_c: Connection, _cur: Any, statement: str, *_: Any) -> None:
            sent.append(statement)

        commits: list[object] = []
        event.listen(store._engine, "before_cursor_execute", record)
        event.listen(store._engine, "commit", commits.append)
        store.save(
            slots=[Slot(1, Direction.LONG, state=SlotState.ENTRY_PENDING)],
            fills=[fill("t1")],
            risk=None,
            meta=META,
        )
        assert len(sent) == 1, sent
        assert sent[0].lstrip().startswith("WITH")
        assert commits == []


def test_save_survives_a_dropped_connection(url: str, postgres_server: Any) -> None:
    with SqlStore(url, "alpha") as store:
        store.save(meta=META)
        # Kill every server process of this database: the pooled connection is dead.
        with psycopg.connect(postgres_server.url(driver="postgresql"), autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (url.rsplit("/", 1)[1],),
            )
        slot = Slot(3, Direction.SHORT, state=SlotState.EXIT_PENDING)
        store.save(slots=[slot])
        state = store.load()
        assert state is not None
        same(state.slots, [slot])
