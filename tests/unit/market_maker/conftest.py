"""An engine, executor or reconcile over the in-process fake exchange: no network, fast."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from gridops.market_maker.backend import Backend, DurableBackend, Loaded
from gridops.market_maker.domain.risk_state import RiskState
from gridops.market_maker.domain.slots import Slot, SlotState
from gridops.market_maker.engine import Engine
from gridops.models import Fill
from gridops.spec import StrategyConfig
from tests.support.fake_exchange import FakeExchange
from tests.support.poll import eventually

NAME = "mm"
PRICE_INTERVAL = 50


def strategy(engine: str = "durable", **fields: Any) -> StrategyConfig:
    return StrategyConfig.model_validate(
        {
            "name": NAME,
            "symbol": "BTC/USDT",
            "grid": {"priceInterval": str(PRICE_INTERVAL), "orderQuantity": "0.001",
                     "buyWindow": 2},
            # Wide limits: these tests are about orders, not about halts.
            "risk": {"maxMovePercent": "50", "staleDataSeconds": 3600},
            "engine": {"type": engine},
            **fields,
        }
    )  # fmt: skip


class Journal:
    """Wraps a backend and notes, at every save, what the exchange had been asked."""

    def __init__(self, backend: Backend, exchange: FakeExchange) -> None:
        self.kind = backend.kind
        self._backend = backend
        self._exchange = exchange
        #: (client order id, state) of every saved slot, with the ids sent before it
        self.saves: list[tuple[str, SlotState, tuple[str, ...]]] = []

    async def load(self) -> Loaded:
        return await self._backend.load()

    async def start(self, started_at: datetime) -> None:
        await self._backend.start(started_at)

    async def save(
        self,
        *,
        slots: Iterable[Slot] = (),
        fills: Iterable[Fill] = (),
        risk: RiskState | None = None,
    ) -> None:
        slots = list(slots)
        sent = tuple(self._exchange.calls.placed)
        self.saves.extend((s.order_id, s.state, sent) for s in slots)
        await self._backend.save(slots=slots, fills=fills, risk=risk)

    async def close(self) -> None:
        await self._backend.close()


@pytest.fixture
def exchange() -> FakeExchange:
    return FakeExchange()


@pytest.fixture
async def durable(tmp_path: Path) -> AsyncIterator[Callable[[], DurableBackend]]:
    """Opens backends on one SQLite file, as successive runs of one strategy would."""
    opened: list[DurableBackend] = []

    def open_backend() -> DurableBackend:
        backend = DurableBackend(f"sqlite:///{tmp_path / 'mm.db'}", NAME, "BTC/USDT")
        opened.append(backend)
        return backend

    yield open_backend
    for backend in opened:
        await backend.close()


async def until(check: Callable[[], object], message: str, timeout: float = 5.0) -> None:
    async def probe() -> object:
        return check()

    await eventually(probe, timeout=timeout, interval=0.005, message=message)


@contextlib.asynccontextmanager
async def running(engine: Engine) -> AsyncIterator[Engine]:
    """The engine's loop in a task, stopped (as SIGTERM would) on the way out."""
    task = asyncio.create_task(engine.run(), name="engine-under-test")
    try:
        yield engine
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if engine.failed is not None:
        raise engine.failed


def make_engine(exchange: FakeExchange, backend: Backend, **config: Any) -> Engine:
    config.setdefault("engine", backend.kind)
    return Engine(strategy(**config), exchange, backend, tick_seconds=0.01)
