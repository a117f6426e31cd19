"""The simulated exchange behind the ExchangeAdapter interface.

SimMarket is synchronous and every call here runs it without awaiting in between, so
each market operation is atomic with respect to the event loop. Events reach only the
`events()` streams open at that moment, like a real exchange's websocket: a client that
was away resyncs through the unary calls (get_fills, get_open_orders, ...).

With a state file (`--sim-state`) the market lives in a SimStore (SQLite): every change
is committed there, and only once it is durable does the call return and do its events
go out, so a SIGKILL never takes back an order, a cancel or a fill anyone was told of.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Final, TypeVar

from gridops.connector.adapter import ExchangeAdapter
from gridops.errors import InvalidArgument, RateLimited, Unavailable
from gridops.models import (
    Account,
    Counters,
    ExchangeEvent,
    Fill,
    Order,
    OrderRequest,
    PlaceResult,
    Position,
    SymbolInfo,
    Ticker,
    UpstreamOpened,
)
from gridops.simexchange.market import SimMarket
from gridops.simexchange.results import Outcome
from gridops.simexchange.settings import SimSettings, create_market
from gridops.simexchange.store import SimStore, StoredMarket

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Adapter operations a fault can target (the ExchangeAdapter calls, plus "events").
OPERATIONS: Final = frozenset(
    {
        "get_account",
        "get_positions",
        "get_open_orders",
        "get_order",
        "place_order",
        "cancel_order",
        "cancel_all_orders",
        "get_symbol_info",
        "get_ticker",
        "get_fills",
        "events",
    }
)
FAULT_KINDS: Final = frozenset({"exchange_down", "rate_limited", "stream_broken", "slow"})

#: A stream further behind than this is cut, as a real exchange drops a slow consumer.
STREAM_QUEUE_LIMIT = 100_000


class _End:
    """Queue marker: the stream ends (close) or breaks (fault, overflow)."""

    def __init__(self, broken: bool) -> None:
        self.broken = broken


_CLOSED = _End(broken=False)
_BROKEN = _End(broken=True)


class _Stream:
    """One open `events()` iterator: its queue, and whether its end is already queued."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[ExchangeEvent | _End] = asyncio.Queue()
        self.ended = False

    def deliver(self, event: ExchangeEvent) -> None:
        if self.ended:
            return
        if self.queue.qsize() >= STREAM_QUEUE_LIMIT:
            self.end(_BROKEN)
        else:
            self.queue.put_nowait(event)

    def end(self, end: _End) -> None:
        if self.ended:
            return
        self.ended = True
        if end.broken:
            # A broken connection loses what was in flight, as a dropped socket would.
            with contextlib.suppress(asyncio.QueueEmpty):
                while True:
                    self.queue.get_nowait()
        self.queue.put_nowait(end)


@dataclass(slots=True)
class _Fault:
    kind: str
    operation: str | None
    remaining: int
    #: seconds a "slow" fault holds each call
    delay: float = 0.0


class SimAdapter(ExchangeAdapter):
    name = "sim"

    def __init__(
        self,
        settings: SimSettings | None = None,
        *,
        market: SimMarket | None = None,
        account: str = "default",
        state_path: Path | None = None,
    ) -> None:
        """`market` replaces the one `settings` would make (in a state file: for a new one).

        `state_path`: the SQLite file the market is kept in (see open_state).
        """
        self.settings = settings or SimSettings()
        self.account = account
        self.state_path = state_path
        self._store: SimStore | None = None
        self._stored: StoredMarket | None = None
        if state_path is not None:
            self._store, self._stored = open_state(state_path, self.settings, account, market)
            market = self._stored.market
        self.market = market or create_market(self.settings)
        self._streams: set[_Stream] = set()
        self._connects_total = 0
        self._faults: list[_Fault] = []
        self._pending_breaks = 0
        self._ticker_task: asyncio.Task[None] | None = None
        self._closed = False

    # ---- lifecycle -----------------------------------------------------------------

    @property
    def upstream_connections(self) -> int:
        return len(self._streams)

    @property
    def upstream_connects_total(self) -> int:
        return self._connects_total

    async def start(self) -> None:
        if self._closed:
            raise Unavailable("sim adapter is closed")
        interval = self.settings.tick_interval
        if interval > 0 and self._ticker_task is None:
            self._ticker_task = asyncio.create_task(self._tick_forever(interval), name="sim-ticker")

    async def close(self) -> None:
        self._closed = True
        task, self._ticker_task = self._ticker_task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                current = asyncio.current_task()
                # Swallow only the cancellation we asked for, never one aimed at us.
                if current is not None and current.cancelling():
                    raise
        if self._store is not None:
            self._store.close()
            # Let the commits it wrote settle: their events go out before the streams end.
            await asyncio.sleep(0)
        for stream in self._streams:
            stream.end(_CLOSED)

    async def events(self) -> AsyncGenerator[ExchangeEvent | UpstreamOpened, None]:
        if self._closed:
            return
        await self._gate("events")
        stream = _Stream()
        self._streams.add(stream)
        self._connects_total += 1
        try:
            if self._pending_breaks > 0:
                self._pending_breaks -= 1
                raise Unavailable("upstream stream broken")
            yield UpstreamOpened()
            while True:
                item = await stream.queue.get()
                if isinstance(item, _End):
                    if item.broken:
                        raise Unavailable("upstream stream broken")
                    return
                yield item
        finally:
            self._streams.discard(stream)

    async def _tick_forever(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            for symbol in self.market.symbols():
                try:
                    await self._publish(self.market.step(symbol, interval))
                except Exception:
                    # One bad step must not stop the price process for good.
                    log.exception("sim price step failed for %s", symbol)

    # ---- ExchangeAdapter -----------------------------------------------------------

    def symbols(self) -> list[str]:
        return self.market.symbols()

    async def get_account(self) -> Account:
        await self._gate("get_account")
        return self.market.account()

    async def get_positions(self, symbol: str | None) -> list[Position]:
        await self._gate("get_positions")
        return self.market.positions(symbol)

    async def get_open_orders(self, symbol: str | None, prefix: str | None) -> list[Order]:
        await self._gate("get_open_orders")
        return self.market.open_orders(symbol, prefix)

    async def get_order(
        self, *, client_order_id: str | None = None, order_id: str | None = None
    ) -> Order:
        await self._gate("get_order")
        return self.market.get_order(client_order_id=client_order_id, order_id=order_id)

    async def place_order(self, request: OrderRequest) -> PlaceResult:
        await self._gate("place_order")
        return await self._publish(self.market.place_order(request))

    async def cancel_order(
        self, *, client_order_id: str | None = None, order_id: str | None = None
    ) -> Order:
        await self._gate("cancel_order")
        outcome = self.market.cancel_order(client_order_id=client_order_id, order_id=order_id)
        return await self._publish(outcome)

    async def cancel_all_orders(self, symbol: str | None, prefix: str | None) -> list[Order]:
        await self._gate("cancel_all_orders")
        return await self._publish(self.market.cancel_all_orders(symbol, prefix))

    async def get_symbol_info(self, symbol: str) -> SymbolInfo:
        await self._gate("get_symbol_info")
        return self.market.symbol_info(symbol)

    async def get_ticker(self, symbol: str) -> Ticker:
        await self._gate("get_ticker")
        return self.market.ticker(symbol)

    async def get_fills(
        self,
        symbol: str | None,
        since: datetime | None,
        prefix: str | None,
        limit: int | None,
    ) -> list[Fill]:
        await self._gate("get_fills")
        return self.market.get_fills(symbol, since, prefix, limit)

    # ---- Simulator service ---------------------------------------------------------
    # Test controls: faults never apply to them.

    async def set_price(self, symbol: str, price: Decimal) -> tuple[Ticker, list[Order]]:
        move = await self._publish(self.market.set_price(symbol, price))
        return move.ticker, move.filled

    async def fill_order(
        self, client_order_id: str, quantity: Decimal | None = None
    ) -> tuple[Order, Fill]:
        result = await self._publish(self.market.fill_order(client_order_id, quantity))
        return result.order, result.fill

    async def set_balances(self, balances: Mapping[str, Decimal]) -> Account:
        return await self._publish(self.market.set_balances(balances))

    async def counters(self) -> Counters:
        return self.market.counters()

    async def inject_fault(
        self, kind: str, operation: str | None = None, count: int = 1, *, delay: float = 0.0
    ) -> None:
        """Fail the next `count` calls of `operation` (None: any call but `events`).

        "exchange_down" raises Unavailable, "rate_limited" RateLimited; "slow" lets the
        call succeed after `delay` seconds (it must be > 0).

        "stream_broken" ignores `operation` (as the wire says): it breaks up to `count`
        open `events()` streams, and the breaks left over hit the next streams opened,
        one each, so `count` is how many reconnects the connector goes through.
        """
        if kind not in FAULT_KINDS:
            raise InvalidArgument(f"kind: must be one of {sorted(FAULT_KINDS)}, got {kind!r}")
        if count < 0:
            raise InvalidArgument(f"count: must not be negative, got {count}")
        count = count or 1  # the wire says 0 means 1
        if kind == "stream_broken":
            for stream in [s for s in self._streams if not s.ended][:count]:
                stream.end(_BROKEN)
                count -= 1
            self._pending_breaks += count
            return
        if operation and operation not in OPERATIONS:
            raise InvalidArgument(
                f"operation: must be one of {sorted(OPERATIONS)}, got {operation!r}"
            )
        if kind == "slow" and not delay > 0:
            raise InvalidArgument(f"delay: a slow fault needs a delay above 0, got {delay}")
        self._faults.append(
            _Fault(kind, operation or None, count, delay if kind == "slow" else 0.0)
        )

    # ---- internals -----------------------------------------------------------------

    async def _gate(self, operation: str) -> None:
        """Apply the first injected fault that matches `operation`, if any."""
        for fault in self._faults:
            # A fault for "any" operation leaves event streams alone: they reconnect on
            # their own schedule and would swallow a fault meant for a request.
            matches = fault.operation == operation or (
                fault.operation is None and operation != "events"
            )
            if not matches:
                continue
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
            if fault.kind == "slow":
                await asyncio.sleep(fault.delay)
                return
            if fault.kind == "rate_limited":
                raise RateLimited(f"sim: rate limited ({operation}, injected fault)")
            raise Unavailable(f"sim: exchange down ({operation}, injected fault)")

    async def _publish(self, outcome: Outcome[T]) -> T:
        """Deliver the outcome's events and return its value, once it is durable."""
        if self._stored is None:
            self._deliver(outcome.events)
        else:
            await self._stored.commit(lambda: self._deliver(outcome.events))
        return outcome.value

    def _deliver(self, events: list[ExchangeEvent]) -> None:
        for event in events:
            for stream in self._streams:
                stream.deliver(event)


def open_state(
    path: Path, settings: SimSettings, account: str, market: SimMarket | None = None
) -> tuple[SimStore, StoredMarket]:
    """The account's market in the SQLite file `path`, created there when new.

    A new file starts from the JSON snapshot an older gridops kept next to it (`path`
    with the suffix .json, e.g. the demo's exchange.json beside exchange.db), imported
    once and left in place; else from `market`, else from `settings`.
    """
    legacy = path.with_suffix(".json")
    imported = legacy != path and legacy.is_file() and not _has_data(path)
    initial = SimMarket.restore(json.loads(legacy.read_text())) if imported else market
    store = SimStore.open(path)
    try:
        stored = store.market(account, settings, initial=initial)
    except BaseException:
        store.close()
        raise
    market = stored.market
    counts = f"open orders: {len(market.open_orders())}, fills: {market.counters().fills}"
    if not stored.created:
        log.info("sim exchange: account %r restored from %s (%s)", account, path, counts)
    elif imported:
        log.info(
            "sim exchange: imported the JSON snapshot %s into %s, once (%s); "
            "%s is no longer read and can be removed",
            legacy, path, counts, legacy,
        )  # fmt: skip
    else:
        log.info("sim exchange: account %r created in %s", account, path)
    return store, stored


def _has_data(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0
