"""Open WebSockets of the venue, closed when it shuts down.

aiohttp's cleanup waits for every request handler to return, up to a minute, and a
WebSocket handler returns only when its client leaves. A venue asked to stop (SIGTERM: a
pod scaled down or replaced) kept its state file locked that long, and its successor
exited with "another process has this sim state open" (seen in the chaos suite: the
venue back 60 s after a scale-up). Closing the sockets in on_shutdown ends them at once;
clients reconnect to the next venue.
"""

from __future__ import annotations

import weakref

from aiohttp import WSCloseCode, web

SOCKETS: web.AppKey[weakref.WeakSet[web.WebSocketResponse]] = web.AppKey("venue-sockets")


def install(app: web.Application) -> None:
    app[SOCKETS] = weakref.WeakSet()
    app.on_shutdown.append(_close_all)


def track(request: web.Request, ws: web.WebSocketResponse) -> None:
    sockets = request.app.get(SOCKETS)
    if sockets is not None:
        sockets.add(ws)


async def _close_all(app: web.Application) -> None:
    open_now: weakref.WeakSet[web.WebSocketResponse] = app[SOCKETS]
    for ws in list(open_now):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"venue shutting down")
