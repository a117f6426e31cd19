"""Where an engine keeps what must outlive it.

- `simple`: nothing but the risk journal (a small JSON file): every other piece of state
  is rebuilt from the connector on start.
- `durable`: everything, in SQL (SQLite by default, PostgreSQL by URL), committed before
  the engine acts on it.

Both are async: a commit (an fsync, a round trip to PostgreSQL) runs on a worker thread
so the event loop keeps serving streams and HTTP meanwhile. The engine awaits each save
before it acts, so commit-before-act holds; the durable backend's single worker thread
runs its calls in the order they were made.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol, TypeVar

from gridops.models import Fill

from .domain.risk_state import RiskState
from .domain.slots import Slot

T = TypeVar("T")


@dataclass(slots=True)
class Loaded:
    slots: list[Slot] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    risk: RiskState = field(default_factory=RiskState)
    started_at: datetime | None = None


class Backend(Protocol):
    kind: str

    async def load(self) -> Loaded: ...

    async def start(self, started_at: datetime) -> None:
        """Record that a strategy starts for the first time."""

    async def save(
        self,
        *,
        slots: Iterable[Slot] = (),
        fills: Iterable[Fill] = (),
        risk: RiskState | None = None,
    ) -> None:
        """Durable when it returns. What is saved is the value at the call: the caller
        may change the slots once it has awaited the save."""

    async def close(self) -> None: ...


def _risk_to_json(risk: RiskState) -> dict[str, object]:
    return {
        "halted": risk.halted,
        "reason": risk.reason,
        "since": risk.since.isoformat() if risk.since else None,
        "until": risk.until.isoformat() if risk.until else None,
    }


def _risk_from_json(data: dict[str, object]) -> RiskState:
    def when(value: object) -> datetime | None:
        return datetime.fromisoformat(value) if isinstance(value, str) else None

    return RiskState(
        halted=bool(data.get("halted")),
        reason=str(data.get("reason") or ""),
        since=when(data.get("since")),
        until=when(data.get("until")),
    )


class MemoryBackend:
    """Keeps nothing: an engine whose whole life is one process (`gridops backtest`, the
    engine's tests and benchmarks), so no risk journal and no database either."""

    kind = "simple"

    async def load(self) -> Loaded:
        return Loaded()

    async def start(self, started_at: datetime) -> None:
        pass

    async def save(
        self,
        *,
        slots: Iterable[Slot] = (),
        fills: Iterable[Fill] = (),
        risk: RiskState | None = None,
    ) -> None:
        pass

    async def close(self) -> None:
        pass


class SimpleBackend:
    """In-memory engine: only the risk journal is written (atomically) to disk."""

    kind = "simple"

    def __init__(self, data_dir: Path, name: str) -> None:
        self.path = data_dir / f"{name}.risk.json"

    async def load(self) -> Loaded:
        return await asyncio.to_thread(self._read)

    async def start(self, started_at: datetime) -> None:
        pass  # nothing to record: the exchange's history is the simple engine's state

    async def save(
        self,
        *,
        slots: Iterable[Slot] = (),
        fills: Iterable[Fill] = (),
        risk: RiskState | None = None,
    ) -> None:
        # Slots and fills are the exchange's to remember: only a risk change costs I/O.
        if risk is not None:
            await asyncio.to_thread(self._write, _risk_to_json(risk))

    async def close(self) -> None:
        pass

    def _read(self) -> Loaded:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return Loaded()
        return Loaded(risk=_risk_from_json(data))

    def _write(self, data: dict[str, object]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)


class DurableBackend:
    """Every state change committed with SQLAlchemy before the engine acts on it.

    The store is opened (and migrated) by the constructor, before the process serves
    anything; after that every call runs on one worker thread of its own: one thread, so
    commits happen in the order the engine made them, and `close` only after the last.
    """

    kind = "durable"

    def __init__(self, url: str, name: str, symbol: str) -> None:
        # Imported here so the simple engine never loads SQLAlchemy.
        from .store import SqlStore

        self._store = SqlStore(url, name)
        self._symbol = symbol
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"store-{name}")

    async def load(self) -> Loaded:
        stored = await self._run(self._store.load)
        if stored is None:
            return Loaded()
        return Loaded(
            slots=list(stored.slots),
            fills=list(stored.fills),
            risk=stored.risk,
            started_at=stored.meta.started_at,
        )

    async def save(
        self,
        *,
        slots: Iterable[Slot] = (),
        fills: Iterable[Fill] = (),
        risk: RiskState | None = None,
    ) -> None:
        # Copied here, on the loop: the engine's slots are mutable and the worker reads
        # them later; a copy commits what was decided, whatever happens next.
        copies = [replace(slot) for slot in slots]
        save = functools.partial(self._store.save, slots=copies, fills=list(fills), risk=risk)
        await self._run(save)

    async def start(self, started_at: datetime) -> None:
        from .store import StrategyMeta

        meta = StrategyMeta(symbol=self._symbol, created_at=started_at, started_at=started_at)
        await self._run(functools.partial(self._store.save, meta=meta))

    async def close(self) -> None:
        """Waits for saves still running (their engine may have been cancelled)."""
        try:
            await self._run(self._store.close)
        finally:
            self._worker.shutdown(wait=False)

    async def _run(self, call: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._worker, call)
