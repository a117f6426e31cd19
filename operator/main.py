"""`gridops operator`: kopf with the gridops handlers, liveness endpoint on."""

from __future__ import annotations

import logging
import socket

import kopf

from .engine_http import EngineHttp
from .errors import StartupError
from .handlers import build_registry
from .kube import Kube
from .reconciler import Context
from .settings import OperatorSettings

log = logging.getLogger(__name__)


def _quiet_timer(record: logging.LogRecord) -> bool:
    return not (record.levelno <= logging.INFO and record.getMessage().startswith("Timer "))


def _check_port(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("0.0.0.0", port))
        except OSError as error:
            raise StartupError(
                f"liveness port {port} is not free ({error.strerror}): "
                "--liveness-port or GRIDOPS_OPERATOR_LIVENESS_PORT changes it"
            ) from None


def _logging() -> None:
    """kopf's formatter, so each line about an object says which one ([namespace/name])."""
    root = logging.getLogger()
    level = root.level
    root.handlers.clear()
    kopf.configure(log_format=kopf.LogFormat.FULL, log_prefix=True)
    root.setLevel(level)


async def run(settings: OperatorSettings) -> None:
    _check_port(settings.liveness_port)
    _logging()
    # one line per liveness probe, or per status read of each strategy, is noise
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("kopf.objects").addFilter(_quiet_timer)
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
