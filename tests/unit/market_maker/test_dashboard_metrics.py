"""The figures behind the dashboard and the alerts: grid edges, drawdown, and the engine's
gauges of them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

from gridops.market_maker.backend import Loaded, MemoryBackend
from gridops.market_maker.domain.edges import Edge, grid_edges
from gridops.market_maker.domain.risk import drawdown
from gridops.market_maker.domain.risk_state import RiskState
from gridops.market_maker.domain.slots import Direction, Slot, SlotState
from gridops.market_maker.engine import Engine
from gridops.market_maker.metrics import EngineMetrics
from tests.support.fake_exchange import FakeExchange

from .conftest import PRICE_INTERVAL, make_engine, running, until

PRICE = D(50_000)
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def slot(level: int, direction: Direction, state: SlotState, price: str) -> Slot:
    return Slot(level=level, direction=direction, state=state, order_price=D(price))


def test_edges_are_the_extreme_order_prices_of_each_side() -> None:
    slots = [
        slot(-1, Direction.LONG, SlotState.ENTRY_OPEN, "49950"),
        slot(-3, Direction.LONG, SlotState.ENTRY_PENDING, "49850"),
        slot(-2, Direction.LONG, SlotState.EXIT_OPEN, "49950"),  # a long's exit sells
        slot(2, Direction.SHORT, SlotState.ENTRY_OPEN, "50100"),
        slot(4, Direction.SHORT, SlotState.EXIT_PENDING, "50150"),  # a short's exit buys
    ]
    assert grid_edges(slots) == {
        Edge.NEAREST_BUY: D("50150"),
        Edge.FARTHEST_BUY: D("49850"),
        Edge.NEAREST_SELL: D("49950"),
        Edge.FARTHEST_SELL: D("50100"),
    }


def test_slots_without_an_order_have_no_edge() -> None:
    slots = [
        slot(-1, Direction.LONG, SlotState.HOLDING, "49950"),  # its price is the old order's
        slot(-2, Direction.LONG, SlotState.FREE, "0"),
        slot(1, Direction.LONG, SlotState.EXIT_OPEN, "50050"),
    ]
    assert grid_edges(slots) == {Edge.NEAREST_SELL: D("50050"), Edge.FARTHEST_SELL: D("50050")}
    assert grid_edges([]) == {}


def test_drawdown_is_the_loss_below_zero() -> None:
    assert drawdown(D("-12.5")) == D("12.5")
    assert drawdown(D(0)) == 0
    assert drawdown(D("3")) == 0


def sample(metrics: EngineMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, {"strategy": "s", **labels})


def test_an_edge_without_orders_has_no_series_rather_than_zero() -> None:
    metrics = EngineMetrics("s")
    metrics.set_grid_edges({Edge.NEAREST_BUY: D("49950"), Edge.FARTHEST_BUY: D("49900")})
    assert sample(metrics, "gridops_mm_grid_price", edge="nearest_buy") == 49950
    assert sample(metrics, "gridops_mm_grid_price", edge="nearest_sell") is None
    metrics.set_grid_edges({})
    assert sample(metrics, "gridops_mm_grid_price", edge="nearest_buy") is None


def gauge(engine: Engine, name: str, **labels: str) -> float | None:
    return engine.metrics.registry.get_sample_value(
        f"gridops_mm_{name}", {"strategy": engine.config.name, **labels}
    )


async def test_the_engine_exports_price_time_grid_edges_and_drawdown(
    exchange: FakeExchange,
) -> None:
    engine = make_engine(exchange, MemoryBackend(), risk={"maxDrawdown": "25"})
    assert gauge(engine, "max_drawdown") == 25
    assert gauge(engine, "last_price_timestamp_seconds") == 0
    async with running(engine):
        exchange.push_price(PRICE)
        await until(lambda: gauge(engine, "grid_price", edge="farthest_buy"), "edges exported")
        assert gauge(engine, "grid_price", edge="nearest_buy") == PRICE - PRICE_INTERVAL
        assert gauge(engine, "grid_price", edge="farthest_buy") == PRICE - 2 * PRICE_INTERVAL
        assert engine.last_price_at is not None
        assert gauge(engine, "last_price_timestamp_seconds") == engine.last_price_at.timestamp()
        assert gauge(engine, "drawdown") == 0
        # The highest buy fills and the price falls on: holding at a loss is a drawdown.
        exchange.push_price(PRICE - PRICE_INTERVAL)
        await until(lambda: engine.book is not None and engine.book.position() > 0, "bought")
        exchange.push_price(PRICE - PRICE_INTERVAL - 30)  # above the next buy: no fill
        await until(lambda: gauge(engine, "drawdown"), "drawdown exported")
        assert engine.book is not None
        totals = engine.book.totals(PRICE - PRICE_INTERVAL - 30)
        assert totals.position == D("0.001")
        assert gauge(engine, "drawdown") == float(-(totals.realized_pnl + totals.unrealized_pnl))
        assert gauge(engine, "drawdown") == 0.03  # the sim charges this fill no fee


async def test_a_halt_is_counted_and_shown(exchange: FakeExchange) -> None:
    engine = make_engine(exchange, MemoryBackend(), risk={"maxMovePercent": "1"})
    assert gauge(engine, "max_drawdown") == 0  # unset: no limit
    async with running(engine):
        exchange.push_price(PRICE)
        await until(lambda: engine.synced and engine.traded_price is not None, "trading")
        exchange.push_price(PRICE * D("1.02"))
        await until(lambda: gauge(engine, "risk_halted") == 1, "halted")
        assert gauge(engine, "risk_halts_total") == 1


class HaltedBackend(MemoryBackend):
    """A backend whose stored risk state is a halt from before the restart."""

    async def load(self) -> Loaded:
        return Loaded(risk=RiskState(halted=True, reason="price moved", since=T0))


async def test_a_halt_restored_at_start_shows_before_any_event(exchange: FakeExchange) -> None:
    engine = make_engine(exchange, HaltedBackend())
    assert gauge(engine, "risk_halted") == 0
    async with running(engine):
        await until(lambda: gauge(engine, "risk_halted") == 1, "restored halt exported")
        assert gauge(engine, "risk_halts_total") == 0  # not a new halt


def test_a_paused_spec_shows_from_the_start(exchange: FakeExchange) -> None:
    assert gauge(make_engine(exchange, MemoryBackend(), paused=True), "paused") == 1
    assert gauge(make_engine(exchange, MemoryBackend()), "paused") == 0
