"""kopf glue: indexes, handlers, and the one place operator errors become kopf's.

Each handler is a few lines over reconciler.py, and what they decide comes from the pure
modules. Deployments and pods are watched into in-memory indexes (no polling of the API
server); the timer reads them, asks the market maker for /status, and writes the status.
Handlers go on an explicit registry (build_registry): importing this changes nothing.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import kopf

from . import names, reconciler
from .conditions import Blocked, Observation, build_status
from .crd import GROUP, PLURAL, VERSION
from .errors import Invalid, Temporary
from .reconciler import Context, Emit
from .strategy import Strategy, config_hash

log = logging.getLogger(__name__)

RESOURCE = (GROUP, VERSION, PLURAL)
OWNED = {"app.kubernetes.io/managed-by": names.MANAGER}
#: children are re-applied this often even when none seems missing (heals edits)
FULL_RECONCILE_SECONDS = 60.0
WARNING_PHASES = frozenset({"Degraded", "Halted"})
#: status fields that change with every price: written at most every figures_interval
FIGURES = frozenset({"price", "position", "realizedPnl", "unrealizedPnl", "openOrders"})

Handler = Callable[..., Awaitable[Any]]
Index = kopf.Index[Any, Any]


def mapped(fn: Handler) -> Handler:
    """Temporary -> kopf.TemporaryError (retried after its delay); Invalid -> PermanentError."""

    @functools.wraps(fn)
    async def wrapper(**kwargs: Any) -> Any:
        try:
            return await fn(**kwargs)
        except Temporary as error:
            raise kopf.TemporaryError(str(error), delay=error.delay) from error
        except Invalid as error:
            raise kopf.PermanentError(str(error)) from error

    return wrapper


def emitter(body: kopf.Body) -> Emit:
    def emit(kind: str, reason: str, message: str) -> None:
        kopf.event(body, type=kind, reason=reason, message=message[:1000])

    return emit


def _first(index: Index, key: Any) -> Any | None:
    return next(iter(index.get(key, ())), None)


def _children(
    strategy: Strategy, deployments: Index, pods: Index
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
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


def _invalid_status(
    name: str, generation: int, spec: Mapping[str, Any], status: Mapping[str, Any], error: str
) -> dict[str, Any]:
    observation = Observation(
        name=name,
        generation=generation,
        paused=bool(spec.get("paused")),
        live_enabled=True,
        connector_name="",
        blocked=Blocked("MarketMakerReady", "InvalidSpec", error),
    )
    return build_status(status, observation, datetime.now(UTC))


def _changed(current: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    return any(current.get(key) != value for key, value in new.items())


def build_registry(ctx: Context) -> kopf.OperatorRegistry:
    registry = kopf.OperatorRegistry()
    last_full: dict[str, float] = {}
    figures_at: dict[str, float] = {}

    @kopf.on.startup(id="configure", registry=registry)
    async def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
        settings.persistence.finalizer = names.FINALIZER
        settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
        settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
            prefix=GROUP, key="last-handled-configuration"
        )
        settings.posting.reporting_component = names.MANAGER
        settings.posting.level = logging.WARNING
        settings.watching.server_timeout = 300
        settings.watching.client_timeout = 330
        settings.watching.connect_timeout = 10
        settings.networking.request_timeout = 60

    @kopf.on.login(id="login", registry=registry)
    def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
        found: kopf.ConnectionInfo | None = kopf.login_with_service_account(**kwargs)
        return found or kopf.login_with_kubeconfig(**kwargs)

    @kopf.on.cleanup(id="close", registry=registry)
    async def close(**_: Any) -> None:
        await ctx.http.close()
        await ctx.kube.close()

    # a handler receives an index as the keyword argument named by the index's id
    @kopf.index("apps", "v1", "deployments", id="deployments", labels=OWNED, registry=registry)
    def deployments(namespace: str | None, name: str, body: kopf.Body, **_: Any) -> dict[Any, Any]:
        template = body.spec.get("template", {}).get("metadata", {})
        summary = {
            "metadata": {
                "generation": body.metadata.get("generation", 0),
                "annotations": dict(template.get("annotations") or {}),
            },
            "status": dict(body.status),
        }
        return {(namespace, name): summary}

    @kopf.index("", "v1", "pods", id="pods", labels=OWNED, registry=registry)
    def pods(
        namespace: str | None, labels: kopf.Labels, body: kopf.Body, **_: Any
    ) -> dict[Any, Any]:
        component = labels.get(names.COMPONENT, "")
        owner = labels.get(names.STRATEGY_LABEL) or labels.get(names.ACCOUNT_LABEL, "")
        summary = {
            "metadata": {"deletionTimestamp": body.metadata.get("deletionTimestamp")},
            "status": dict(body.status),
        }
        return {(namespace, component, owner): summary}

    @kopf.index(*RESOURCE, id="strategies", registry=registry)
    def strategies(
        namespace: str | None, name: str, uid: str, spec: kopf.Spec, meta: kopf.Meta, **_: Any
    ) -> dict[Any, Any]:
        try:
            strategy = reconciler.parse(name, namespace or "", uid, 0, spec)
        except Invalid:
            return {}
        created = str(meta.get("creationTimestamp") or "")
        found = reconciler.peer(strategy, created, bool(meta.get("deletionTimestamp")))
        return {(namespace, found.account): found}

    def blocked(strategy: Strategy, meta: kopf.Meta, index: Index) -> Blocked | None:
        peers = index.get((strategy.namespace, strategy.spec.exchange.key), ())
        return reconciler.blocked(strategy, str(meta.get("creationTimestamp") or ""), peers)

    # distinct ids: a strategy created while no operator ran is both created and resumed
    @kopf.on.resume(*RESOURCE, id="reconcile-resume", backoff=5, registry=registry)
    @kopf.on.create(*RESOURCE, id="reconcile-create", backoff=5, registry=registry)
    @kopf.on.update(*RESOURCE, id="reconcile-update", backoff=5, registry=registry)
    @mapped
    async def reconcile(
        body: kopf.Body,
        name: str,
        namespace: str,
        uid: str,
        spec: kopf.Spec,
        meta: kopf.Meta,
        strategies: Index,
        deployments: Index,
        **_: Any,
    ) -> None:
        strategy = reconciler.parse(name, namespace, uid, meta.get("generation", 0), spec)
        block = blocked(strategy, meta, strategies)
        emit = emitter(body)
        before = _first(deployments, (namespace, names.market_maker(name)))
        await reconciler.apply_children(ctx, strategy, block, emit)
        last_full[uid] = time.monotonic()
        if block is not None:
            emit("Warning", block.reason, block.message)
        elif before is None:
            emit("Normal", "Applied", "connector, market maker and live server applied")
        elif before["metadata"]["annotations"].get(names.CONFIG_HASH) != config_hash(strategy):
            emit("Normal", "Rolling", "the spec changed: the market maker restarts and resyncs")

    @kopf.timer(
        *RESOURCE, id="observe", interval=ctx.settings.status_interval, backoff=5, registry=registry
    )
    @mapped
    async def observe(
        body: kopf.Body,
        name: str,
        namespace: str,
        uid: str,
        spec: kopf.Spec,
        meta: kopf.Meta,
        status: kopf.Status,
        annotations: kopf.Annotations,
        patch: kopf.Patch,
        strategies: Index,
        deployments: Index,
        pods: Index,
        **_: Any,
    ) -> None:
        generation = meta.get("generation", 0)
        try:
            strategy = reconciler.parse(name, namespace, uid, generation, spec)
        except Invalid as invalid:
            new = _invalid_status(name, generation, spec, status, str(invalid))
            if _changed(status, new):
                patch.status.update(new)
            return
        emit = emitter(body)
        block = blocked(strategy, meta, strategies)
        found, by_component = _children(strategy, deployments, pods)
        wanted = {names.market_maker(name), names.connector(strategy.spec.exchange)}
        if strategy.spec.live_server.enabled:
            wanted.add(names.live_server(name))
        stale = time.monotonic() - last_full.get(uid, 0.0) > FULL_RECONCILE_SECONDS
        if block is None and (stale or not wanted <= found.keys()):
            await reconciler.apply_children(ctx, strategy, None, emit)
            last_full[uid] = time.monotonic()
        engine: dict[str, Any] | None = None
        unanswered = "the market maker is not running"
        if block is None and by_component[names.MARKET_MAKER]:
            engine, unanswered = await reconciler.engine_status(ctx, strategy)
        if engine is not None:
            try:
                if await reconciler.enforce(ctx, strategy, engine, annotations, emit):
                    patch.metadata.annotations[names.CLEAR_HALT] = None
            except Temporary as failure:
                log.warning("%s/%s: %s", namespace, name, failure)
        observation = reconciler.observation(
            strategy,
            block=block,
            deployments=found,
            pods=by_component,
            engine=engine,
            engine_error=unanswered,
        )
        new = build_status(status, observation, datetime.now(UTC))
        now = time.monotonic()
        if _changed(status, {k: v for k, v in new.items() if k not in FIGURES}) or (
            _changed(status, new)
            and now - figures_at.get(uid, 0.0) >= ctx.settings.figures_interval
        ):
            patch.status.update(new)
            figures_at[uid] = now
        if new["phase"] != status.get("phase"):
            kind = "Warning" if new["phase"] in WARNING_PHASES else "Normal"
            emit(kind, new["phase"], new.get("message") or f"phase {new['phase']}")

    @kopf.on.delete(*RESOURCE, id="finalize", backoff=5, registry=registry)
    @mapped
    async def finalize(
        body: kopf.Body,
        name: str,
        namespace: str,
        uid: str,
        spec: kopf.Spec,
        annotations: kopf.Annotations,
        patch: kopf.Patch,
        deployments: Index,
        pods: Index,
        **_: Any,
    ) -> None:
        patch.status["phase"] = "Deleting"
        exchange = reconciler.exchange_of(spec)
        last_full.pop(uid, None)
        figures_at.pop(uid, None)
        await reconciler.finalize(
            ctx,
            name,
            namespace,
            spec,
            annotations,
            market_maker_pods=len(list(pods.get((namespace, names.MARKET_MAKER, name), ()))),
            connector_exists=_first(deployments, (namespace, names.connector(exchange)))
            is not None,
            emit=emitter(body),
        )

    return registry
