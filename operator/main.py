"""`gridops operator`: kopf with the gridops handlers, liveness endpoint on."""

from __future__ import annotations

import logging

import kopf

from .engine_http import EngineHttp
from .handlers import build_registry
from .kube import Kube
from .reconciler import Context
from .settings import OperatorSettings

log = logging.getLogger(__name__)


async def run(settings: OperatorSettings) -> None:
    kube = await Kube.connect()
    context = Context(settings, kube, EngineHttp())
    scope = ", ".join(settings.namespaces) or "all namespaces"
    log.info(
        "gridops operator: watching GridStrategies in %s; child image %s", scope, settings.image
    )
    await kopf.operator(
        registry=build_registry(context),
        # one replica (Recreate): peering would only make two operators both freeze
        standalone=True,
        clusterwide=not settings.namespaces,
        namespaces=settings.namespaces,
        liveness_endpoint=f"http://0.0.0.0:{settings.liveness_port}/healthz",
    )
