"""Where an engine keeps what must outlive it.

- `simple`: nothing but the risk journal (a small JSON file): every other piece of state
  is rebuilt from the connector on start.
- `durable`: everything, in SQL (SQLite by default, PostgreSQL by URL), committed before
  the engine acts on it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from gridops.models import Fill

from .domain.risk_state import RiskState
from .domain.slots import Slot


@dataclass(slots=True)
class Loaded:
    slots: list[Slot] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    risk: RiskState = field(default_factory=RiskState)
    started_at: datetime | None = None


class Backend(Protocol):
    kind: str

    def load(self) -> Loaded: ...

    def start(self, started_at: datetime) -> None:
        """Record that a strategy starts for the first time."""

    def save(
        self,
        *,
        slots: Iterable[Slot] = (),
        fills: Iterable[Fill] = (),
        risk: RiskState | None = None,
    ) -> None: ...

    def close(self) -> None: ...


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


class SimpleBackend:
    """In-memory engine: only the risk journal is written (atomically) to disk."""

    kind = "simple"

    def __init__(self, data_dir: Path, name: str) -> None:
        self.path = data_dir / f"{name}.risk.json"

    def load(self) -> Loaded:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return Loaded()
        return Loaded(risk=_risk_from_json(data))

    def start(self, started_at: datetime) -> None:
        pass  # nothing to record: the exchange's history is the simple engine's state

    def save(
        self,
        *,
        slots: Iterable[Slot] = (),
        fills: Iterable[Fill] = (),
        risk: RiskState | None = None,
    ) -> None:
        if risk is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w") as handle:
            json.dump(_risk_to_json(risk), handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)

    def close(self) -> None:
        pass


class DurableBackend:
    """Every state change committed with SQLAlchemy before the engine acts on it."""

    kind = "durable"

    def __init__(self, url: str, name: str, symbol: str) -> None:
        # Imported here so the simple engine never loads SQLAlchemy.
        from .store import SqlStore

        self._store = SqlStore(url, name)
        self._symbol = symbol

    def load(self) -> Loaded:
        stored = self._store.load()
        if stored is None:
            return Loaded()
        return Loaded(
            slots=list(stored.slots),
            fills=list(stored.fills),
            risk=stored.risk,
            started_at=stored.meta.started_at,
        )

    def save(
        self,
        *,
        slots: Iterable[Slot] = (),
        fills: Iterable[Fill] = (),
        risk: RiskState | None = None,
    ) -> None:
        self._store.save(slots=slots, fills=fills, risk=risk)

    def start(self, started_at: datetime) -> None:
        from .store import StrategyMeta

        meta = StrategyMeta(symbol=self._symbol, created_at=started_at, started_at=started_at)
        self._store.save(meta=meta)

    def close(self) -> None:
        self._store.close()
