"""What the operator does for one GridStrategy, over the I/O modules (no kopf here).

handlers.py calls these from kopf's handlers and maps their errors; everything they
decide comes from the pure modules (children, conditions, observe, accounts).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from gridops.order_ids import strategy_prefix, writer_lease_name
from gridops.spec import ExchangeSettings, StrategySpec

from . import accounts, children, connector, names, observe, orders
from .conditions import Blocked, Observation
from .engine_http import EngineHttp
from .errors import Invalid, Temporary, Unreachable, WriterLive
from .kube import Kube
from .market_maker import TOKEN_KEY, control_secret
from .settings import OperatorSettings
from .strategy import Strategy, exchange_hash

log = logging.getLogger(__name__)

Manifest = dict[str, Any]
#: emit(type, reason, message): a Kubernetes Event on the GridStrategy ("Normal"/"Warning")
Emit = Callable[[str, str, str], None]

DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"


@dataclass
class Context:
    settings: OperatorSettings
    kube: Kube
    http: EngineHttp
    tokens: dict[str, str] = field(default_factory=dict)
    _default_storage: tuple[float, bool] | None = None

    async def has_default_storage(self) -> bool:
        """Whether the cluster has a default StorageClass (asked at most once a minute)."""
        if self.settings.storage_class:
            return True
        now = time.monotonic()
        if self._default_storage is None or now - self._default_storage[0] > 60:
            classes = await self.kube.list("StorageClass", None)
            found = any(
                (c.get("metadata", {}).get("annotations") or {}).get(DEFAULT_CLASS) == "true"
                for c in classes
            )
            self._default_storage = (now, found)
        return self._default_storage[1]


def parse(
    name: str, namespace: str, uid: str, generation: int, spec: Mapping[str, Any]
) -> Strategy:
    """The strategy, or Invalid naming every bad field (what CEL could not check)."""
    try:
        model = StrategySpec.model_validate(dict(spec))
    except ValidationError as error:
        problems = "; ".join(
            f"spec.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise Invalid(f"invalid spec: {problems}") from None
    return Strategy(name, namespace, uid, generation, model)


def peer(strategy: Strategy, created: str, deleting: bool = False) -> accounts.Peer:
    return accounts.Peer(
        name=strategy.name,
        created=created,
        account=strategy.spec.exchange.key,
        settings_hash=exchange_hash(strategy),
        deleting=deleting,
    )


def blocked(strategy: Strategy, created: str, peers: Iterable[accounts.Peer]) -> Blocked | None:
    me = peer(strategy, created)
    others = [p for p in peers if p.name != strategy.name]
    found = accounts.blocked_by(
        me, others, strategy.spec.exchange.name, connector.SUPPORTED_EXCHANGES
    )
    return None if found is None else Blocked("ConnectorReady", found[0], found[1])


async def control_token(ctx: Context, strategy: Strategy) -> str:
    """The market maker's control token: made once, kept in a Secret, cached here."""
    cached = ctx.tokens.get(strategy.uid)
    if cached:
        return cached
    name = names.control_secret(strategy.name)
    existing = await ctx.kube.get("Secret", strategy.namespace, name)
    if existing is None:
        await ctx.kube.create(control_secret(strategy, secrets.token_urlsafe(32)))
        existing = await ctx.kube.get("Secret", strategy.namespace, name)
    data = (existing or {}).get("data") or {}
    if TOKEN_KEY not in data:
        raise Temporary(f"Secret {name} has no {TOKEN_KEY!r} key yet")
    token = base64.b64decode(data[TOKEN_KEY]).decode()
    ctx.tokens[strategy.uid] = token
    return token


async def apply_children(
    ctx: Context, strategy: Strategy, block: Blocked | None, emit: Emit
) -> None:
    """Create or update every child; with `block`, stop the market maker instead."""
    ns = strategy.namespace
    if block is not None:
        if await ctx.kube.delete("Deployment", ns, names.market_maker(strategy.name)):
            emit("Warning", "MarketMakerStopped", f"market maker stopped: {block.message}")
        return
    await control_token(ctx, strategy)
    use_claim = strategy.needs_volume and (
        await ctx.kube.get("PersistentVolumeClaim", ns, names.data_claim(strategy.name)) is not None
        or await ctx.has_default_storage()
    )
    wanted = children.desired(strategy, ctx.settings, use_claim=use_claim)
    # one field manager per strategy on the shared connector: see operator/connector.py
    manager = f"{names.MANAGER}/{strategy.uid}"

    async def put(manifest: Manifest, manager: str) -> None:
        if manifest["kind"] == "PersistentVolumeClaim":
            # a claim's spec is immutable once bound: made once, never re-applied
            await ctx.kube.create(manifest)
        else:
            await ctx.kube.apply(manifest, manager)

    # before the Deployment: a pod naming a missing ServiceAccount is refused, and the
    # ReplicaSet retries it with a growing backoff
    await asyncio.gather(*(put(m, manager) for m in wanted.access))
    # independent objects: the pods wait for what they mount, the engine for its connector
    await asyncio.gather(
        *(put(m, manager) for m in wanted.connector),
        *(put(m, names.MANAGER) for m in wanted.own),
    )
    for kind, name in wanted.absent:
        if await ctx.kube.delete(kind, ns, name):
            emit("Normal", "Removed", f"{kind} {name} removed (spec.liveServer.enabled: false)")


def observation(
    strategy: Strategy,
    *,
    block: Blocked | None,
    deployments: Mapping[str, Manifest],
    pods: Mapping[str, list[Manifest]],
    engine: Mapping[str, Any] | None,
    engine_error: str,
    deleting: bool = False,
) -> Observation:
    """Observation from the indexed Deployments/pods (keyed by name / by component)."""
    name = strategy.name
    exchange = strategy.spec.exchange
    connector_name = names.connector(exchange)
    return Observation(
        name=name,
        generation=strategy.generation,
        paused=strategy.spec.paused,
        live_enabled=strategy.spec.live_server.enabled,
        connector_name=connector_name,
        deleting=deleting,
        blocked=block,
        connector=observe.workload(deployments.get(connector_name), pods.get(names.CONNECTOR, [])),
        market_maker=observe.workload(
            deployments.get(names.market_maker(name)), pods.get(names.MARKET_MAKER, [])
        ),
        live_server=observe.workload(
            deployments.get(names.live_server(name)), pods.get(names.LIVE_SERVER, [])
        ),
        engine=engine,
        engine_error=engine_error,
    )


def engine_url(strategy: Strategy, pods: Iterable[Mapping[str, Any]]) -> str:
    """The market maker's pod itself, by IP: a Service routes only to Ready pods, and
    only once kube-proxy caught up, but /status answers from the start (Syncing too)."""
    for pod in pods:
        ip = (pod.get("status") or {}).get("podIP")
        if ip and not (pod.get("metadata") or {}).get("deletionTimestamp"):
            host = f"[{ip}]" if ":" in ip else ip
            return f"http://{host}:{names.MARKET_MAKER_PORT}"
    return names.market_maker_url(strategy.name, strategy.namespace)


async def engine_status(ctx: Context, url: str) -> tuple[dict[str, Any] | None, str]:
    try:
        return await ctx.http.status(url), ""
    except Temporary as error:
        return None, str(error)


async def enforce(
    ctx: Context,
    strategy: Strategy,
    url: str,
    engine: Mapping[str, Any],
    annotations: Mapping[str, str],
    emit: Emit,
) -> bool:
    """Make the engine at `url` match the spec (paused) and the clear-halt annotation.

    Returns True when the clear-halt annotation was acted on and can be removed.
    """
    if bool(engine.get("paused")) != strategy.spec.paused:
        action = "pause" if strategy.spec.paused else "resume"
        await ctx.http.control(url, action, await control_token(ctx, strategy))
        emit(
            "Normal",
            "Pausing" if strategy.spec.paused else "Resuming",
            "spec.paused is true: cancelling the strategy's open orders, placing none"
            if strategy.spec.paused
            else "spec.paused is false: trading on the same grid",
        )
    if names.CLEAR_HALT in annotations:
        await ctx.http.control(url, "risk/clear", await control_token(ctx, strategy))
        halted = bool((engine.get("risk") or {}).get("halted"))
        emit(
            "Normal",
            "RiskCleared",
            f"annotation {names.CLEAR_HALT}: risk breaker cleared"
            if halted
            else f"annotation {names.CLEAR_HALT}: no breaker was tripped",
        )
        return True
    return False


def exchange_of(spec: Mapping[str, Any]) -> ExchangeSettings:
    """The exchange of a spec that may no longer validate as a whole."""
    raw = spec.get("exchange") or {}
    try:
        return ExchangeSettings.model_validate(raw)
    except ValidationError:
        return ExchangeSettings.model_validate(
            {k: raw[k] for k in ("name", "account") if isinstance(raw.get(k), str)}
        )


async def finalize(
    ctx: Context,
    name: str,
    namespace: str,
    spec: Mapping[str, Any],
    annotations: Mapping[str, str],
    *,
    market_maker_pods: int,
    connector_exists: bool,
    emit: Emit,
) -> None:
    """Before a GridStrategy goes: stop its engine, cancel its orders, check none is left.

    Raises Temporary until that is done; the finalizer holds the object meanwhile.
    """
    if await ctx.kube.delete("Deployment", namespace, names.market_maker(name)):
        emit("Normal", "Stopping", "deleting: market maker stopped so it cannot place again")
    if market_maker_pods:
        raise Temporary("waiting for the market maker's pod to exit", delay=1)
    if annotations.get(names.SKIP_CANCEL) == "true":
        emit(
            "Warning",
            "CancelSkipped",
            f"annotation {names.SKIP_CANCEL}: the strategy's open orders were NOT cancelled",
        )
        await _delete_writer_lease(ctx, name, namespace)
        return
    exchange = exchange_of(spec)
    force = (
        f"to delete without cancelling (orders stay open): kubectl annotate gridstrategy "
        f"{name} {names.SKIP_CANCEL}=true"
    )
    if not connector_exists:
        if exchange.name == "sim":
            emit("Normal", "NothingToCancel", "no connector: the simulated exchange is gone")
            await _delete_writer_lease(ctx, name, namespace)
            return
        message = f"connector {names.connector(exchange)} is missing"
        emit("Warning", "CancelPending", f"cannot cancel the open orders: {message}; {force}")
        raise Temporary(message, delay=5)
    prefix = strategy_prefix(name)
    address = names.connector_address(exchange, namespace)
    try:
        cancelled = await orders.cancel_all(address, "", prefix)
    except WriterLive as error:
        emit(
            "Warning",
            "CancelPending",
            "a market maker still holds the strategy at the connector (a pod that went "
            "without releasing its claim): the cancel waits for its claim to end, within "
            f"spec.engine.leaseSeconds: {error}",
        )
        raise
    except Unreachable as error:
        emit("Warning", "CancelPending", f"cannot cancel the open orders yet: {error}; {force}")
        raise
    except Temporary as error:
        emit("Warning", "CancelPending", f"cannot cancel the open orders yet: {error}")
        raise
    await _delete_writer_lease(ctx, name, namespace)
    emit("Normal", "OrdersCancelled", f"{cancelled} open orders cancelled; none left")


async def _delete_writer_lease(ctx: Context, name: str, namespace: str) -> None:
    """The engine's writer Lease outlives its pods; the strategy takes it along."""
    await ctx.kube.delete("Lease", namespace, writer_lease_name(name))
