"""kopf glue: indexes, handlers, and the one place operator errors become kopf's.

Each handler is a few lines over reconciler.py and observer.py, and what they decide comes
from the pure modules. Deployments and pods are watched into in-memory indexes (no polling
of the API server); every change to one wakes its strategy's status loop (a daemon), which
reads them, asks the market maker for /status, and writes the status. Handlers go on an
explicit registry (build_registry): importing this changes nothing.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import kopf

from . import names, reconciler
from .conditions import Blocked
from .crd import GROUP, PLURAL, VERSION
from .errors import Invalid, Temporary
from .observer import Observer
from .reconciler import Context, Emit
from .strategy import Strategy, config_hash

log = logging.getLogger(__name__)

RESOURCE = (GROUP, VERSION, PLURAL)
OWNED = {"app.kubernetes.io/managed-by": names.MANAGER}

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


def build_registry(ctx: Context) -> kopf.OperatorRegistry:
    registry = kopf.OperatorRegistry()
    observer = Observer(ctx)

    @kopf.on.startup(id="configure", registry=registry)
    async def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
        settings.persistence.finalizer = names.FINALIZER
        settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
        settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
            prefix=GROUP, key="last-handled-configuration"
        )
        settings.posting.reporting_component = names.MANAGER
        settings.posting.level = logging.WARNING
        # an Event about an object in a namespace being deleted is refused: give up soon
        settings.posting.default_backoffs = (1, 2, 4)
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

    # A handler receives an index as the keyword argument named by the index's id. The
    # index functions are async so they run on the loop and can wake a status loop.
    @kopf.index("apps", "v1", "deployments", id="deployments", labels=OWNED, registry=registry)
    async def deployments(
        namespace: str | None, name: str, labels: kopf.Labels, body: kopf.Body, **_: Any
    ) -> dict[Any, Any]:
        template = body.spec.get("template", {}).get("metadata", {})
        summary = {
            "metadata": {
                "generation": body.metadata.get("generation", 0),
                "annotations": dict(template.get("annotations") or {}),
            },
            "status": dict(body.status),
        }
        _wake(observer, namespace, labels)
        return {(namespace, name): summary}

    @kopf.index("", "v1", "pods", id="pods", labels=OWNED, registry=registry)
    async def pods(
        namespace: str | None, labels: kopf.Labels, body: kopf.Body, **_: Any
    ) -> dict[Any, Any]:
        component = labels.get(names.COMPONENT, "")
        owner = labels.get(names.STRATEGY_LABEL) or labels.get(names.ACCOUNT_LABEL, "")
        summary = {
            "metadata": {"deletionTimestamp": body.metadata.get("deletionTimestamp")},
            "status": dict(body.status),  # podIP, conditions, containerStatuses
        }
        _wake(observer, namespace, labels)
        return {(namespace, component, owner): summary}

    @kopf.index(*RESOURCE, id="strategies", registry=registry)
    async def strategies(
        namespace: str | None, name: str, uid: str, spec: kopf.Spec, meta: kopf.Meta, **_: Any
    ) -> dict[Any, Any]:
        try:
            strategy = reconciler.parse(name, namespace or "", uid, 0, spec)
        except Invalid:
            return {}
        created = str(meta.get("creationTimestamp") or "")
        found = reconciler.peer(strategy, created, bool(meta.get("deletionTimestamp")))
        observer.member(namespace or "", found.account, name)
        return {(namespace, found.account): found}

    def blocker(meta: Mapping[str, Any], index: Index) -> Callable[[Strategy], Blocked | None]:
        def blocked(strategy: Strategy) -> Blocked | None:
            peers = index.get((strategy.namespace, strategy.spec.exchange.key), ())
            return reconciler.blocked(strategy, str(meta.get("creationTimestamp") or ""), peers)

        return blocked

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
        block = blocker(meta, strategies)(strategy)
        emit = emitter(body)
        before = _first(deployments, (namespace, names.market_maker(name)))
        await reconciler.apply_children(ctx, strategy, block, emit)
        observer.applied(uid)
        observer.wake(namespace, strategy=name)
        if block is not None:
            emit("Warning", block.reason, block.message)
        elif before is None:
            emit("Normal", "Applied", "connector, market maker and live server applied")
        elif before["metadata"]["annotations"].get(names.CONFIG_HASH) != config_hash(strategy):
            emit("Normal", "Rolling", "the spec changed: the market maker restarts and resyncs")

    @kopf.daemon(*RESOURCE, id="observe", backoff=5, cancellation_timeout=10, registry=registry)
    async def observe(
        stopped: kopf.DaemonStopped, body: kopf.Body, meta: kopf.Meta, **kwargs: Any
    ) -> None:
        await observer.run(
            stopped,
            body,
            emitter(body),
            blocker(meta, kwargs["strategies"]),
            kwargs["deployments"],
            kwargs["pods"],
        )

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
        observer.forget(namespace, name, uid)
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


def _wake(observer: Observer, namespace: str | None, labels: Mapping[str, str]) -> None:
    strategy = labels.get(names.STRATEGY_LABEL, "")
    observer.wake(namespace or "", strategy=strategy, account=labels.get(names.ACCOUNT_LABEL, ""))
