"""The grid engine: one sequential loop over connector events, acting through the connector.

Everything that changes state runs in `_loop`, one item at a time, so there is never a
second writer. The order of every decision is: record it (durable engines commit it),
then act, then record the outcome. After a crash the engine reconciles with the
connector before it places anything, and client order ids are deterministic, so the
idempotent PlaceOrder of the connector turns a re-sent decision into the same order.

The engine reaches the connector only through an `ExchangePort`. The executor and
reconcile change the book and the backend they are handed and return what happened
(`Executed`, `Reconciled`), which the engine applies in `_applied` and `_reconcile`: no
other module writes the engine's fields.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal

from gridops import errors
from gridops.client import Disconnected, OrderChange, Resync, Subscribed, Update
from gridops.decimals import ZERO
from gridops.models import SymbolInfo, Ticker
from gridops.spec import StrategyConfig

from .actions import Executed, Executor
from .backend import Backend
from .crash import CrashPoints
from .domain.book import GridBook, Standing
from .domain.edges import grid_edges
from .domain.grid import PriceBand
from .domain.ids import strategy_prefix
from .domain.risk import RiskMonitor, drawdown
from .domain.risk_state import RiskState
from .domain.slots import RiskVerdict, Totals
from .mailbox import Mailbox
from .metrics import EngineMetrics
from .port import ExchangePort
from .reconcile import reconcile

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Phase(enum.StrEnum):
    STARTING = "starting"
    SYNCING = "syncing"
    RUNNING = "running"
    PAUSED = "paused"
    HALTED = "halted"
    DISCONNECTED = "disconnected"
    STANDBY = "standby"  #: waiting for the writer lease
    FENCED = "fenced"  #: another writer took the strategy; waiting for the lease again


class Engine:
    def __init__(
        self,
        config: StrategyConfig,
        port: ExchangePort,
        backend: Backend,
        *,
        clock: Clock = utc_now,
        metrics: EngineMetrics | None = None,
        crash: CrashPoints | None = None,
        tick_seconds: float | None = 1.0,
    ) -> None:
        self.config = config
        self.port = port
        self.backend = backend
        self.clock = clock
        self.metrics = metrics or EngineMetrics(config.name)
        self.crash = crash or CrashPoints()
        self.tick_seconds = tick_seconds
        self.prefix = strategy_prefix(config.name)
        self.book: GridBook | None = None
        self.risk = RiskMonitor(config.risk, RiskState())
        self.paused = config.paused
        self.synced = False
        self.connected = False
        self.last_price: Decimal | None = None
        self.last_price_at: datetime | None = None
        self.started_at = clock()
        self.reconciled_at: datetime | None = None
        self.failed: BaseException | None = None
        #: what a human should know about this strategy (e.g. a step below the fees)
        self.warnings: list[str] = []
        #: the symbol's trading rules once the connector gave them: /status rounds to them
        self.symbol_info: SymbolInfo | None = None
        #: the price the last plan ran at, once its actions were carried out
        self.traded_price: Decimal | None = None
        self._busy = False
        # The inputs of the last plan that decided nothing. plan() sees the price only
        # through the nearest levels above and below it, so while the book is unchanged
        # a price between the same levels, with the same verdict and pause, would decide
        # nothing again: skipping it is exact, and most ticks are such ticks.
        self._idle: tuple[PriceBand, RiskVerdict, bool] | None = None
        #: the book's position, until the book changes (it changes far less than prices)
        self._position_cache: Decimal | None = None
        #: the book's figures without the price, until the book changes, and its totals
        #: at the last price until that changes too: the gauges, the drawdown rule and a
        #: backtest's sample all want them at every price, and most prices change nothing
        self._standing: Standing | None = None
        self._totals_cache: tuple[Decimal, Totals] | None = None
        #: the grid's edges depend on the book only
        self._edges_stale = True
        #: the verdict for (risk state, position), until either changes
        self._verdict_cache: tuple[RiskState, Decimal, RiskVerdict] | None = None
        # Prices that arrived since the loop last took them: each one reaches the risk
        # monitor, but the engine plans once, at the newest (an engine that fell behind
        # must not trade on prices that are already history).
        self._prices: list[Ticker] = []
        self._queue: Mailbox[tuple[str, object]] = Mailbox()
        self._executor = Executor(port, backend, config, self.crash)
        #: asked before every reconcile: tells the connector (again) who writes, and
        #: raises errors.Fenced when a newer writer holds the strategy
        self.claim: Callable[[], Awaitable[None]] | None = None
        #: asked before each event is handled: raises errors.Fenced when the writer lease
        #: may have run out meanwhile (a process frozen for longer than the lease must not
        #: act on what it saw before, not even in its own store)
        self.guard: Callable[[], Awaitable[None]] | None = None
        #: waiting for the writer lease (another engine trades the strategy)
        self.standby = False
        #: why this engine stopped trading: another writer took the strategy
        self.fenced: str | None = None
        #: who holds the writer lease and with which token, for /status
        self.writer: Callable[[], dict[str, object]] | None = None
        # Read when scraped: setting a gauge on every price costs more than an idle tick.
        self.metrics.last_price.set_function(lambda: float(self.last_price or 0))
        self.metrics.last_price_at.set_function(
            lambda: self.last_price_at.timestamp() if self.last_price_at else 0.0
        )
        self.metrics.max_drawdown.set(float(config.risk.max_drawdown or 0))
        self.metrics.paused.set(1 if self.paused else 0)

    # -- what the outside sees ---------------------------------------------------------

    @property
    def phase(self) -> Phase:
        if self.fenced is not None:
            return Phase.FENCED
        if self.standby:
            return Phase.STANDBY
        if not self.connected and self.reconciled_at is not None:
            return Phase.DISCONNECTED
        if not self.synced:
            return Phase.SYNCING if self.connected else Phase.STARTING
        if self.paused:
            return Phase.PAUSED
        if self.risk.state.halted:
            return Phase.HALTED
        return Phase.RUNNING

    @property
    def idle(self) -> bool:
        """Nothing queued and nothing being handled: the engine has caught up."""
        return not self._busy and self._queue.empty()

    def set_paused(self, paused: bool) -> None:
        """Takes effect at the next loop turn (within a second), no restart needed."""
        self._queue.put(("control", "pause" if paused else "resume"))

    def clear_risk(self) -> None:
        self._queue.put(("control", "clear_risk"))

    def tick(self) -> None:
        """The periodic checks (risk, gauges, a reconcile retry), now. An engine made with
        `tick_seconds=None` has no timer and runs them only when asked: `gridops backtest`
        asks once per historical price, on its own clock."""
        self._queue.put(("tick", None))

    def on_fenced(self, reason: str) -> None:
        """Another writer has the strategy: forget the book (the next start reloads it
        from the store and the connector) and place nothing until the lease is ours."""
        log.error("fenced: %s; trading stopped, waiting for the writer lease", reason)
        self.fenced = reason
        self.book = None
        self.synced = False
        self.connected = False
        self._prices = []
        self._queue = Mailbox()
        self._book_changed()
        self.metrics.synced.set(0)
        self.metrics.set_grid_edges({})  # the orders are no longer this engine's to show
        self.metrics.fenced.set(1)
        self.metrics.fenced_total.inc()

    def took_over(self) -> None:
        """The writer lease is ours (again): trade from a fresh start."""
        self.fenced = None
        self.standby = False
        self.metrics.fenced.set(0)
        self.metrics.standby.set(0)

    # -- the loop ----------------------------------------------------------------------

    async def run(self) -> None:
        loaded = await self.backend.load()
        self.risk = RiskMonitor(self.config.risk, loaded.risk)
        # A halt that survived a restart is still a halt: alerts must see it from the start.
        self.metrics.halted.set(1 if loaded.risk.halted else 0)
        if loaded.started_at is not None:
            self.started_at = loaded.started_at
        else:
            await self.backend.start(self.started_at)
        pumps = [
            asyncio.create_task(self._pump("orders", self._orders()), name="mm-orders"),
            asyncio.create_task(self._pump_prices(self._price_stream()), name="mm-prices"),
        ]
        if self.tick_seconds is not None:
            pumps.append(asyncio.create_task(self._ticker(self.tick_seconds), name="mm-ticker"))
        try:
            await self._loop()
        except (asyncio.CancelledError, errors.Fenced):
            raise
        except BaseException as error:
            self.failed = error
            raise
        finally:
            for task in pumps:
                task.cancel()
            for task in pumps:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def _orders(self) -> AsyncIterator[object]:
        return self.port.subscribe_orders(self.config.symbol, self.prefix)

    def _price_stream(self) -> AsyncIterator[object]:
        return self.port.subscribe_prices([self.config.symbol])

    async def _pump(self, source: str, stream: AsyncIterator[object]) -> None:
        async for item in stream:
            self._queue.put((source, item))

    async def _pump_prices(self, stream: AsyncIterator[object]) -> None:
        async for item in stream:
            if isinstance(item, Update) and isinstance(item.value, Ticker):
                self._prices.append(item.value)
                if len(self._prices) == 1:  # one queue entry stands for the whole batch
                    self._queue.put(("prices", None))

    async def _ticker(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            self._queue.put(("tick", None))

    async def _loop(self) -> None:
        while True:
            source, item = await self._queue.get()
            self._busy = True
            try:
                if self.guard is not None:
                    await self.guard()
                if source == "orders":
                    await self._on_orders(item)
                elif source == "prices":
                    await self._on_prices()
                elif source == "control":
                    await self._on_control(str(item))
                else:
                    await self._on_tick()
            finally:
                self._busy = False

    def _book_changed(self) -> None:
        self._idle = None
        self._position_cache = None
        self._standing = None
        self._totals_cache = None
        self._edges_stale = True

    async def _on_orders(self, item: object) -> None:
        self._book_changed()
        if isinstance(item, Subscribed | Resync):
            self.connected = True
            if isinstance(item, Resync):
                log.info("order stream resync (%s): reconciling", item.reason)
            self.synced = False
            await self._reconcile()
            await self._trade()
        elif isinstance(item, Disconnected):
            log.warning("order stream lost: %s; retry in %.2fs", item.error, item.retry_in)
            self.connected = False
            self.synced = False
            self.metrics.synced.set(0)
        elif isinstance(item, Update) and isinstance(item.value, OrderChange):
            if self.book is None or not self.synced:
                return  # the next reconcile reads the same history
            self._applied(await self._executor.apply_change(self.book, item.value))
            await self._trade()

    async def _on_prices(self) -> None:
        prices, self._prices = self._prices, []
        if not prices:
            return
        now = self.clock()
        for ticker in prices:
            tripped = self.risk.on_price(ticker.price, now)
            if tripped is not None:
                await self._record_risk(tripped)
        self.last_price = prices[-1].price
        self.last_price_at = now
        await self._trade()

    async def _on_tick(self) -> None:
        self._update_gauges()
        if not self.synced and self.connected:
            await self._reconcile()
        changed = self.risk.check(
            self.clock(),
            self._position(),
            self._pnl(),
            self.last_price_at or self.started_at,
        )
        if changed is not None:
            await self._record_risk(changed)
        await self._trade()

    async def _on_control(self, command: str) -> None:
        self._book_changed()
        if command == "pause":
            self.paused = True
        elif command == "resume":
            self.paused = False
        elif command == "clear_risk":
            await self._record_risk(self.risk.clear(self.clock()))
        self.metrics.paused.set(1 if self.paused else 0)
        log.info("control: %s", command)
        await self._trade()

    # -- steps -------------------------------------------------------------------------

    async def _reconcile(self) -> None:
        started = time.perf_counter()
        try:
            if self.claim is not None:
                await self.claim()
            outcome = await reconcile(self.port, self.backend, self.config, self.book)
        except errors.Fenced:
            raise
        except errors.GridopsError as error:
            log.warning("reconcile failed: %s; retrying at the next tick", error)
            self.synced = False
            return
        elapsed = time.perf_counter() - started
        self.book = outcome.book
        self.metrics.fills.inc(outcome.fills)
        self.metrics.rejected.inc(outcome.rejected)
        self._book_changed()
        self.synced = True
        self.reconciled_at = self.clock()
        self.metrics.synced.set(1)
        self.metrics.reconciles.inc()
        self.metrics.reconcile_seconds.observe(elapsed)
        self._update_gauges()
        log.info("reconciled in %.3fs: %s", elapsed, self._summary())

    async def _trade(self) -> None:
        if self.book is None or not self.synced or self.last_price is None:
            return
        price = self.last_price
        verdict = self._verdict()
        idle = self._idle
        if idle is None or not (
            idle[0].holds(price) and idle[1] is verdict and idle[2] == self.paused
        ):
            actions = self.book.plan(price, verdict, self.paused)
            if actions:
                self._applied(await self._executor.execute(self.book, actions))
                self._update_gauges()
            else:
                self._idle = (self.book.spec.band(price), verdict, self.paused)
        self.traded_price = price

    def _applied(self, outcome: Executed) -> None:
        """What the executor did to the book, and what the engine must make of it."""
        self._book_changed()
        self.metrics.placed.inc(outcome.placed)
        self.metrics.canceled.inc(outcome.canceled)
        self.metrics.rejected.inc(outcome.rejected)
        self.metrics.fills.inc(outcome.fills)
        if outcome.resync:
            self.synced = False
            self.metrics.synced.set(0)

    def _verdict(self) -> RiskVerdict:
        state, position = self.risk.state, self._position()
        cached = self._verdict_cache
        if cached is None or cached[0] is not state or cached[1] is not position:
            cached = self._verdict_cache = (state, position, self.risk.verdict(position))
        return cached[2]

    async def _record_risk(self, state: RiskState) -> None:
        if state.halted:
            log.warning("risk halt: %s", state.reason)
            self.metrics.risk_halts.inc()
        else:
            log.info("risk cleared")
        await self.backend.save(risk=state)
        self.metrics.halted.set(1 if state.halted else 0)

    # -- figures -----------------------------------------------------------------------

    def _position(self) -> Decimal:
        if self.book is None:
            return Decimal(0)
        if self._position_cache is None:
            self._position_cache = self.book.position()
        return self._position_cache

    def totals(self) -> Totals | None:
        """The book's figures at the last price (0 before the first); None without a book.
        Shared, not a copy: do not change it."""
        if self.book is None:
            return None
        mark = self.last_price or ZERO
        cached = self._totals_cache
        if cached is None or cached[0] != mark:
            if self._standing is None:
                self._standing = self.book.standing()
            cached = self._totals_cache = (mark, self._standing.at(mark))
        return cached[1]

    def _pnl(self) -> Decimal:
        totals = self.totals()
        if totals is None or self.last_price is None:
            return Decimal(0)
        return totals.realized_pnl + totals.unrealized_pnl

    def _update_gauges(self) -> None:
        totals = self.totals()
        if self.book is None or totals is None:
            return
        mark = self.last_price or Decimal(0)
        self.metrics.position.set(float(totals.position))
        self.metrics.realized.set(float(totals.realized_pnl))
        self.metrics.unrealized.set(float(totals.unrealized_pnl) if mark else 0.0)
        self.metrics.open_orders.set(totals.open_orders)
        # The PnL the drawdown rule checks (RiskMonitor.check gets _pnl()): 0 until priced.
        pnl = totals.realized_pnl + totals.unrealized_pnl if self.last_price is not None else ZERO
        self.metrics.drawdown.set(float(drawdown(pnl)))
        if self._edges_stale:
            self.metrics.set_grid_edges(grid_edges(self.book.slots.values()))
            self._edges_stale = False

    def _summary(self) -> str:
        if self.book is None:
            return "no book"
        totals = self.book.totals(self.last_price or Decimal(0))
        return f"position {totals.position}, {totals.open_orders} open orders"
