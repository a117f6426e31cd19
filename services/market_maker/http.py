"""The engine's HTTP side: health, readiness, metrics, status and control."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .control_auth import require_token
from .status import status

if TYPE_CHECKING:
    from .engine import Engine

ENGINE: web.AppKey[Engine] = web.AppKey("engine")
TASK: web.AppKey[asyncio.Task[None]] = web.AppKey("task")


async def healthz(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    if engine.failed is not None:
        return web.json_response({"ok": False, "error": repr(engine.failed)}, status=500)
    return web.json_response({"ok": True})


async def readyz(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    ready = engine.synced
    return web.json_response(
        {"ready": ready, "phase": engine.phase.value}, status=200 if ready else 503
    )


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[ENGINE].metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def get_status(request: web.Request) -> web.Response:
    return web.json_response(status(request.app[ENGINE]))


async def pause(request: web.Request) -> web.Response:
    request.app[ENGINE].set_paused(True)
    return web.json_response({"paused": True}, status=202)


async def resume(request: web.Request) -> web.Response:
    request.app[ENGINE].set_paused(False)
    return web.json_response({"paused": False}, status=202)


async def clear_risk(request: web.Request) -> web.Response:
    request.app[ENGINE].clear_risk()
    return web.json_response({"cleared": True}, status=202)


def create_app(engine: Engine, control_token: str | None = None) -> web.Application:
    """The routes; with `control_token`, POST (and any mutating) requests need it."""
    app = web.Application(middlewares=[require_token(control_token)] if control_token else [])
    app[ENGINE] = engine
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/status", get_status)
    app.router.add_post("/pause", pause)
    app.router.add_post("/resume", resume)
    app.router.add_post("/risk/clear", clear_risk)
    return app
