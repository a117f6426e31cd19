"""SimAdapter: the event stream, the price task, fault injection and the simulator calls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal as D

import pytest

from gridops.connector.sim.adapter import SimAdapter
from gridops.errors import InvalidArgument, NotFound, RateLimited, Unavailable
from gridops.models import (
    AccountEvent,
    ExchangeEvent,
    OrderEvent,
    OrderRequest,
    OrderStatus,
    PositionEvent,
    PriceEvent,
    Side,
    UpstreamOpened,
)
from gridops.simexchange.settings import SimSettings

BTC = "BTC/USDT"


def still_adapter() -> SimAdapter:
    """An adapter whose prices move only when a test moves them."""
    return SimAdapter(SimSettings(tick_interval=0))


def buy(cid: str, price: str = "49000", qty: str = "0.01") -> OrderRequest:
    return OrderRequest(cid, BTC, Side.BUY, D(price), D(qty))


async def until(condition: Callable[[], bool], *, rounds: int = 200) -> None:
    for _ in range(rounds):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition never became true")


class Collector:
    """Consumes one events() stream in a task, the way the connector's fan-out does."""

    def __init__(self, adapter: SimAdapter) -> None:
        self.events: list[ExchangeEvent] = []
        self.opened = 0
        self.error: BaseException | None = None
        self.task = asyncio.create_task(self._run(adapter))

    async def _run(self, adapter: SimAdapter) -> None:
        try:
            async for event in adapter.events():
                if isinstance(event, UpstreamOpened):
                    # The stream announces itself before any event; count, don't keep.
                    assert not self.events
                    self.opened += 1
                    continue
                self.events.append(event)
        except Unavailable as exc:
            self.error = exc


async def open_collector(adapter: SimAdapter) -> Collector:
    before = adapter.upstream_connects_total
    collector = Collector(adapter)
    await until(lambda: adapter.upstream_connects_total > before and collector.opened == 1)
    return collector


async def test_events_arrive_in_order_and_the_stream_counts_itself() -> None:
    adapter = still_adapter()
    assert adapter.upstream_connections == 0
    collector = await open_collector(adapter)
    assert (adapter.upstream_connections, adapter.upstream_connects_total) == (1, 1)

    await adapter.place_order(buy("a"))
    ticker, filled = await adapter.set_price(BTC, D("48000"))
    await until(lambda: len(collector.events) == 6)
    kinds = [type(e) for e in collector.events]
    assert kinds == [OrderEvent, AccountEvent, PriceEvent, OrderEvent, AccountEvent, PositionEvent]
    assert ticker.price == D("48000")
    assert [o.client_order_id for o in filled] == ["a"]
    last_order = collector.events[3]
    assert isinstance(last_order, OrderEvent)
    assert last_order.fill is not None
    assert last_order.order.status is OrderStatus.FILLED

    await adapter.close()
    await collector.task
    assert collector.error is None
    assert (adapter.upstream_connections, adapter.upstream_connects_total) == (0, 1)


async def test_events_with_no_open_stream_are_not_delivered_later() -> None:
    adapter = still_adapter()
    await adapter.place_order(buy("a"))
    collector = await open_collector(adapter)
    await adapter.set_price(BTC, D("49500"))
    await until(lambda: len(collector.events) == 1)
    assert isinstance(collector.events[0], PriceEvent)
    await adapter.close()
    await collector.task


async def test_a_consumer_that_stops_iterating_releases_the_connection() -> None:
    adapter = still_adapter()
    stream = adapter.events()
    assert isinstance(await anext(stream), UpstreamOpened)
    assert adapter.upstream_connections == 1
    pending = asyncio.ensure_future(anext(stream))
    await adapter.set_price(BTC, D("49000"))
    assert isinstance(await pending, PriceEvent)
    await stream.aclose()
    assert adapter.upstream_connections == 0
    await adapter.close()


async def test_exchange_down_fails_the_next_calls_of_one_operation() -> None:
    adapter = still_adapter()
    await adapter.inject_fault("exchange_down", "get_account", 2)
    await adapter.get_ticker(BTC)  # other operations are unaffected
    for _ in range(2):
        with pytest.raises(Unavailable, match="get_account"):
            await adapter.get_account()
    assert (await adapter.get_account()).quote_asset == "USDT"


async def test_rate_limited_any_operation_and_zero_count_means_one() -> None:
    adapter = still_adapter()
    await adapter.inject_fault("rate_limited", None, 0)
    with pytest.raises(RateLimited):
        await adapter.place_order(buy("a"))
    placed = await adapter.place_order(buy("a"))
    assert not placed.duplicate  # the refused call really placed nothing
    assert (await adapter.counters()).orders_accepted == 1


async def test_a_fault_for_any_operation_leaves_event_streams_alone() -> None:
    adapter = still_adapter()
    await adapter.inject_fault("exchange_down", None, 1)
    collector = await open_collector(adapter)
    with pytest.raises(Unavailable):
        await adapter.get_open_orders(None, None)
    await adapter.close()
    await collector.task
    assert collector.error is None


async def test_events_can_be_refused_like_an_unreachable_exchange() -> None:
    adapter = still_adapter()
    await adapter.inject_fault("exchange_down", "events", 1)
    with pytest.raises(Unavailable):
        await anext(adapter.events())
    assert (adapter.upstream_connections, adapter.upstream_connects_total) == (0, 0)
    await adapter.close()


async def test_slow_fault_answers_after_the_delay() -> None:
    adapter = still_adapter()
    await adapter.inject_fault("slow", "get_ticker", 1, delay=0.05)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert (await adapter.get_ticker(BTC)).price == D("50000")
    assert loop.time() - started >= 0.04
    with pytest.raises(InvalidArgument, match=r"^delay:"):
        await adapter.inject_fault("slow", "get_ticker", 1)


async def test_slow_calls_can_be_cancelled_and_the_count_runs_out() -> None:
    adapter = still_adapter()
    await adapter.inject_fault("slow", "get_ticker", 2, delay=60)
    for _ in range(2):
        held = asyncio.create_task(adapter.get_ticker(BTC))
        await asyncio.sleep(0.01)
        assert not held.done()
        held.cancel()
        with pytest.raises(asyncio.CancelledError):
            await held
    ticker = await asyncio.wait_for(adapter.get_ticker(BTC), timeout=10)
    assert ticker.symbol == BTC


@pytest.mark.parametrize(
    ("kind", "operation", "count", "field"),
    [
        ("meteor", None, 1, "kind"),
        ("exchange_down", "get_acount", 1, "operation"),
        ("rate_limited", None, -1, "count"),
    ],
)
async def test_bad_fault_requests_are_invalid(
    kind: str, operation: str | None, count: int, field: str
) -> None:
    adapter = still_adapter()
    with pytest.raises(InvalidArgument, match=f"^{field}:"):
        await adapter.inject_fault(kind, operation, count)


async def test_stream_broken_breaks_the_open_stream_and_reconnects_count() -> None:
    adapter = still_adapter()
    first = await open_collector(adapter)
    await adapter.inject_fault("stream_broken", None, 1)
    await first.task
    assert isinstance(first.error, Unavailable)
    assert str(first.error) == "upstream stream broken"
    assert adapter.upstream_connections == 0

    second = await open_collector(adapter)  # the connector reconnects
    assert (adapter.upstream_connections, adapter.upstream_connects_total) == (1, 2)
    await adapter.set_price(BTC, D("49000"))
    await until(lambda: len(second.events) == 1)
    await adapter.close()
    await second.task
    assert second.error is None


async def test_stream_breaks_left_over_hit_the_next_streams() -> None:
    adapter = still_adapter()
    await adapter.inject_fault("stream_broken", "ignored", 2)
    for attempt in (1, 2):
        with pytest.raises(Unavailable, match="stream broken"):
            await anext(adapter.events())
        assert adapter.upstream_connects_total == attempt
        assert adapter.upstream_connections == 0
    collector = await open_collector(adapter)
    assert adapter.upstream_connections == 1
    await adapter.close()
    await collector.task
    assert collector.error is None


async def test_price_task_ticks_and_close_ends_it_and_the_stream() -> None:
    tasks_before = asyncio.all_tasks()
    adapter = SimAdapter(SimSettings(tick_interval=0.01, volatility=5.0))
    await adapter.start()
    collector = await open_collector(adapter)
    await until(lambda: sum(isinstance(e, PriceEvent) for e in collector.events) >= 6)
    symbols = {e.ticker.symbol for e in collector.events if isinstance(e, PriceEvent)}
    assert symbols == {"BTC/USDT", "ETH/USDT"}
    (ticker_task,) = [t for t in asyncio.all_tasks() if t.get_name() == "sim-ticker"]

    await adapter.close()
    await collector.task
    assert ticker_task.cancelled()
    assert collector.error is None
    assert adapter.upstream_connections == 0
    assert asyncio.all_tasks() - tasks_before == {asyncio.current_task()} - tasks_before


async def test_same_seed_same_price_walk() -> None:
    def prices(adapter: SimAdapter) -> list[D]:
        return [adapter.market.step(BTC, 1.0).value.ticker.price for _ in range(20)]

    assert prices(SimAdapter(SimSettings(seed=5))) == prices(SimAdapter(SimSettings(seed=5)))


async def test_no_price_task_when_the_interval_is_zero() -> None:
    tasks_before = asyncio.all_tasks()
    adapter = still_adapter()
    await adapter.start()
    assert asyncio.all_tasks() == tasks_before
    await adapter.close()


async def test_a_closed_adapter_streams_nothing() -> None:
    adapter = still_adapter()
    await adapter.close()
    assert [e async for e in adapter.events()] == []
    with pytest.raises(Unavailable):
        await adapter.start()


async def test_simulator_operations() -> None:
    adapter = still_adapter()
    await adapter.place_order(buy("a", qty="0.02"))
    order, fill = await adapter.fill_order("a", D("0.005"))
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert fill.quantity == D("0.005")
    assert (await adapter.get_ticker(BTC)).price == D("50000")
    order, fill = await adapter.fill_order("a", None)
    assert order.status is OrderStatus.FILLED
    with pytest.raises(NotFound):
        await adapter.fill_order("missing", None)

    account = await adapter.set_balances({"USDT": D("123")})
    assert account.balance("USDT").free == D("123")
    counters = await adapter.counters()
    assert (counters.orders_accepted, counters.orders_filled, counters.fills) == (1, 1, 2)
    fills = await adapter.get_fills(BTC, None, None, None)
    assert [f.trade_id for f in fills] == ["t-1", "t-2"]
    (position,) = await adapter.get_positions(BTC)
    assert position.quantity == D("0.02")


async def test_adapter_order_calls() -> None:
    adapter = still_adapter()
    placed = await adapter.place_order(buy("g1-5-B-1"))
    again = await adapter.place_order(buy("g1-5-B-1"))
    assert again.duplicate
    assert again.order.order_id == placed.order.order_id
    await adapter.place_order(buy("g1-2-5-B-1", "48000"))  # strategy "g1-2"
    assert (await adapter.get_order(order_id=placed.order.order_id)).client_order_id == ("g1-5-B-1")
    assert len(await adapter.get_open_orders(BTC, None)) == 2
    assert [o.client_order_id for o in await adapter.get_open_orders(BTC, "g1")] == ["g1-5-B-1"]
    canceled = await adapter.cancel_all_orders(BTC, "g1")
    assert [o.client_order_id for o in canceled] == ["g1-5-B-1"]
    left = await adapter.cancel_order(client_order_id="g1-2-5-B-1")
    assert left.status is OrderStatus.CANCELED
    assert await adapter.get_open_orders(None, None) == []
    info = await adapter.get_symbol_info(BTC)
    assert (info.tick_size, info.step_size, info.min_notional) == (
        D("0.01"),
        D("0.00001"),
        D("5"),
    )
    assert adapter.symbols() == ["BTC/USDT", "ETH/USDT"]
    assert adapter.name == "sim"
