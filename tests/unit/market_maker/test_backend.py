"""The backends' commits run off the event loop, in the order they were made."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from gridops.market_maker.backend import DurableBackend, SimpleBackend
from gridops.market_maker.domain.risk_state import RiskState
from gridops.market_maker.domain.slots import Direction, Slot, SlotState
from gridops.market_maker.store import SqlStore

Open = Callable[[], DurableBackend]


async def test_durable_commits_run_on_one_thread_that_is_not_the_loop(
    durable: Open, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    save = SqlStore.save

    def spy(self: SqlStore, **parts: Any) -> None:
        threads.append(threading.current_thread().name)
        save(self, **parts)

    monkeypatch.setattr(SqlStore, "save", spy)
    backend = durable()
    await backend.start(datetime.now(UTC))
    await backend.save(slots=[Slot(1, Direction.LONG)])
    await backend.save(risk=RiskState(halted=True, reason="test"))

    assert len(threads) == 3
    assert len(set(threads)) == 1
    assert threads[0] != threading.current_thread().name


async def test_durable_saves_land_in_the_order_they_were_made(durable: Open) -> None:
    backend = durable()
    await backend.start(datetime.now(UTC))
    # Started together, in this order: the last one must be what stays.
    await asyncio.gather(
        *(
            backend.save(slots=[Slot(7, Direction.LONG, SlotState.HOLDING, Decimal(n))])
            for n in range(1, 21)
        )
    )

    loaded = await durable().load()
    assert [(s.level, s.holding) for s in loaded.slots] == [(7, Decimal(20))]


async def test_a_commit_in_progress_leaves_the_loop_free_and_keeps_what_was_decided(
    durable: Open, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = durable()
    await backend.start(datetime.now(UTC))
    entered, release = threading.Event(), threading.Event()
    save = SqlStore.save

    def slow(self: SqlStore, **parts: Any) -> None:
        entered.set()
        release.wait(10)
        save(self, **parts)

    monkeypatch.setattr(SqlStore, "save", slow)
    slot = Slot(3, Direction.LONG, SlotState.HOLDING, Decimal(1))
    saving = asyncio.create_task(backend.save(slots=[slot]))
    assert await asyncio.to_thread(entered.wait, 10)
    # The loop runs while the worker commits; the engine's next change is not in it.
    slot.holding = Decimal(2)
    release.set()
    await saving

    loaded = await durable().load()
    assert [s.holding for s in loaded.slots] == [Decimal(1)]


async def test_the_simple_backend_keeps_only_the_risk_journal(tmp_path: Path) -> None:
    backend = SimpleBackend(tmp_path, "mm")
    halted = RiskState(halted=True, reason="price moved", since=datetime.now(UTC))
    await backend.save(slots=[Slot(1, Direction.LONG)])
    assert not backend.path.exists()
    await backend.save(risk=halted)

    loaded = await SimpleBackend(tmp_path, "mm").load()
    assert loaded.risk == halted
    assert loaded.slots == []
