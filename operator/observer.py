"""Each strategy's status loop: observe its children and its engine, correct drift, write
the status. Woken at once when one of its pods or Deployments changes, and at least every
status_interval (for the engine's figures), so a phase change shows within a moment.

No kopf here: the handlers hand in kopf's live body and indexes (plain mappings).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from . import names, reconciler
from .conditions import Blocked, Observation, build_status
from .errors import Invalid, Temporary
from .reconciler import Context, Emit
from .strategy import Strategy

log = logging.getLogger(__name__)

#: children are re-applied this often even when none seems missing (heals edits)
FULL_RECONCILE_SECONDS = 60.0
WARNING_PHASES = frozenset({"Degraded", "Halted"})
#: status fields that change with every price: written at most every figures_interval
FIGURES = frozenset({"price", "position", "realizedPnl", "unrealizedPnl", "openOrders"})

Index = Mapping[Any, Iterable[Any]]


class Stopped(Protocol):
    """kopf's DaemonStopped: true once the daemon should exit; awaitable until then."""

    def __bool__(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> Awaitable[Any]: ...


async def _nap(wake: asyncio.Event, stopped: Stopped, seconds: float) -> None:
    """Until woken, stopped, or `seconds` passed."""
    waits = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stopped.wait())]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()


def _first(index: Index, key: Any) -> Any | None:
    return next(iter(index.get(key, ())), None)


def children_of(
    strategy: Strategy, deployments: Index, pods: Index
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """The strategy's Deployments by name, and its pods by component, from the indexes."""
    ns, name = strategy.namespace, strategy.name
    connector = names.connector(strategy.spec.exchange)
    found = {
        child: stored
        for child in (names.market_maker(name), names.live_server(name), connector)
        if (stored := _first(deployments, (ns, child))) is not None
    }
    by_component = {
        names.MARKET_MAKER: list(pods.get((ns, names.MARKET_MAKER, name), ())),
        names.LIVE_SERVER: list(pods.get((ns, names.LIVE_SERVER, name), ())),
        names.CONNECTOR: list(pods.get((ns, names.CONNECTOR, strategy.spec.exchange.key), ())),
    }
    return found, by_component


def _condition_status(status: Mapping[str, Any], kind: str) -> str:
    for condition in status.get("conditions") or ():
        if isinstance(condition, Mapping) and condition.get("type") == kind:
            return str(condition.get("status") or "")
    return ""


def _changed(current: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    return any(current.get(key) != value for key, value in new.items())


class Observer:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._wakes: dict[tuple[str, str], asyncio.Event] = {}
        self._members: dict[tuple[str, str], set[str]] = {}
        self._last_full: dict[str, float] = {}
        self._figures_at: dict[str, float] = {}
        self._phase: dict[str, str] = {}
        self._warned: dict[str, set[str]] = {}
        #: the Fenced condition's status last written, per strategy uid
        self._fenced: dict[str, str] = {}

    # -- waking ------------------------------------------------------------------------

    def member(self, namespace: str, account: str, strategy: str) -> None:
        """Remember that `strategy` uses the account's connector (its pods wake it too)."""
        self._members.setdefault((namespace, account), set()).add(strategy)

    def wake(self, namespace: str, *, strategy: str = "", account: str = "") -> None:
        targets = {strategy} if strategy else set(self._members.get((namespace, account), ()))
        for target in targets:
            event = self._wakes.get((namespace, target))
            if event is not None:
                event.set()

    def applied(self, uid: str) -> None:
        self._last_full[uid] = time.monotonic()

    def forget(self, namespace: str, name: str, uid: str) -> None:
        self.wake(namespace, strategy=name)
        for table in (self._last_full, self._figures_at, self._phase, self._warned, self._fenced):
            table.pop(uid, None)

    # -- the loop ----------------------------------------------------------------------

    async def run(
        self,
        stopped: Stopped,
        body: Mapping[str, Any],
        emit: Emit,
        blocked: Callable[[Strategy], Blocked | None],
        deployments: Index,
        pods: Index,
    ) -> None:
        meta = body["metadata"]
        namespace, name, uid = meta["namespace"], meta["name"], meta["uid"]
        wake = self._wakes.setdefault((namespace, name), asyncio.Event())
        try:
            while not stopped:
                try:
                    await self.once(body, emit, blocked, deployments, pods)
                except Temporary as error:
                    log.warning("[%s/%s] %s", namespace, name, error)
                await _nap(wake, stopped, self.ctx.settings.status_interval)
                wake.clear()
        finally:
            self._wakes.pop((namespace, name), None)
            self._phase.pop(uid, None)
            self._fenced.pop(uid, None)

    async def once(
        self,
        body: Mapping[str, Any],
        emit: Emit,
        blocked: Callable[[Strategy], Blocked | None],
        deployments: Index,
        pods: Index,
    ) -> None:
        meta, spec = body["metadata"], body.get("spec") or {}
        status: Mapping[str, Any] = body.get("status") or {}
        namespace, name, uid = meta["namespace"], meta["name"], meta["uid"]
        generation = meta.get("generation", 0)
        self._phase.setdefault(uid, str(status.get("phase") or ""))
        # from the stored status: an operator restart does not repeat the Event
        self._fenced.setdefault(uid, _condition_status(status, "Fenced"))
        try:
            strategy = reconciler.parse(name, namespace, uid, generation, spec)
        except Invalid as invalid:
            observation = Observation(
                name=name,
                generation=generation,
                paused=bool(spec.get("paused")),
                live_enabled=True,
                connector_name="",
                blocked=Blocked("MarketMakerReady", "InvalidSpec", str(invalid)),
            )
            await self._write(
                strategy_key=(namespace, name, uid),
                status=status,
                new=build_status(status, observation, datetime.now(UTC)),
                emit=emit,
            )
            return
        block = blocked(strategy)
        self.member(namespace, strategy.spec.exchange.key, name)
        found, by_component = children_of(strategy, deployments, pods)
        await self._heal(strategy, block, found, emit)
        engine: dict[str, Any] | None = None
        unanswered = "the market maker is not running"
        url = reconciler.engine_url(strategy, by_component[names.MARKET_MAKER])
        if block is None and by_component[names.MARKET_MAKER]:
            engine, unanswered = await reconciler.engine_status(self.ctx, url)
        if engine is not None:
            annotations = meta.get("annotations") or {}
            try:
                if await reconciler.enforce(self.ctx, strategy, url, engine, annotations, emit):
                    clear = {"metadata": {"annotations": {names.CLEAR_HALT: None}}}
                    await self.ctx.kube.merge_patch("GridStrategy", namespace, name, clear)
            except Temporary as failure:
                log.warning("[%s/%s] %s", namespace, name, failure)
        observation = reconciler.observation(
            strategy,
            block=block,
            deployments=found,
            pods=by_component,
            engine=engine,
            engine_error=unanswered,
        )
        new = build_status(status, observation, datetime.now(UTC))
        await self._write(strategy_key=(namespace, name, uid), status=status, new=new, emit=emit)
        self._warn(uid, new.get("warnings") or (), emit)

    def _warn(self, uid: str, warnings: Iterable[str], emit: Emit) -> None:
        """One Event per distinct warning of the engine (a step below the fees, ...)."""
        seen = self._warned.setdefault(uid, set())
        for warning in warnings:
            if warning not in seen:
                seen.add(warning)
                emit("Warning", "ConfigWarning", warning)

    async def _heal(
        self, strategy: Strategy, block: Blocked | None, found: Mapping[str, Any], emit: Emit
    ) -> None:
        """Re-apply the children when one is missing, and now and then anyway."""
        if block is not None:
            return
        wanted = {names.market_maker(strategy.name), names.connector(strategy.spec.exchange)}
        if strategy.spec.live_server.enabled:
            wanted.add(names.live_server(strategy.name))
        stale = time.monotonic() - self._last_full.get(strategy.uid, 0.0) > FULL_RECONCILE_SECONDS
        if stale or not wanted <= found.keys():
            await reconciler.apply_children(self.ctx, strategy, None, emit)
            self.applied(strategy.uid)

    async def _write(
        self,
        *,
        strategy_key: tuple[str, str, str],
        status: Mapping[str, Any],
        new: dict[str, Any],
        emit: Emit,
    ) -> None:
        namespace, name, uid = strategy_key
        now = time.monotonic()
        essential = {k: v for k, v in new.items() if k not in FIGURES}
        due = now - self._figures_at.get(uid, 0.0) >= self.ctx.settings.figures_interval
        if _changed(status, essential) or (due and _changed(status, new)):
            await self.ctx.kube.merge_patch(
                "GridStrategy", namespace, name, {"status": new}, subresource="status"
            )
            self._figures_at[uid] = now
        fenced = _condition_status(new, "Fenced")
        if fenced != self._fenced.get(uid):
            self._fenced[uid] = fenced
            if fenced == "True":
                condition = next(c for c in new["conditions"] if c["type"] == "Fenced")
                emit("Warning", "Fenced", condition["message"])
        if new["phase"] != self._phase.get(uid):
            self._phase[uid] = new["phase"]
            kind = "Warning" if new["phase"] in WARNING_PHASES else "Normal"
            emit(kind, new["phase"], new.get("message") or f"phase {new['phase']}")
