"""The control token: mutating HTTP requests need `authorization: Bearer <token>`.

With a token configured (`--control-token-file` or GRIDOPS_CONTROL_TOKEN), every request
but GET/HEAD/OPTIONS (POST /pause, /resume, /risk/clear, and any later one) must carry
it; reads (/status, /healthz, /readyz, /metrics) stay open for probes and dashboards.
The comparison takes the same time whatever the token sent, and the token is never
logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

log = logging.getLogger(__name__)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CHALLENGE = 'Bearer realm="gridops-market-maker"'


def presented_token(header: str | None) -> str | None:
    """The token of an `authorization: Bearer <token>` header (scheme case-insensitive)."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def _digest(text: str) -> bytes:
    # surrogatepass: a header with undecodable bytes must be refused, not crash the handler
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def token_matches(header: str | None, token: str) -> bool:
    """True when `header` carries exactly `token`.

    Digests are compared, with compare_digest: equal lengths, so the time taken says
    nothing about the token, not even its length.
    """
    presented = presented_token(header)
    same = hmac.compare_digest(_digest(presented or ""), _digest(token))
    return same and presented is not None


def require_token(token: str) -> Middleware:
    """An aiohttp middleware refusing mutating requests without the token (401)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method in READ_METHODS:
            return await handler(request)
        header = request.headers.get("Authorization")
        if token_matches(header, token):
            return await handler(request)
        problem = "missing" if presented_token(header) is None else "wrong"
        log.warning(
            "refused %s %s from %s: %s control token", request.method, request.path,
            request.remote, problem,
        )  # fmt: skip
        return web.json_response(
            {"error": f"unauthorized: {problem} control token; send 'authorization: Bearer "
             "<token>' (the market maker's --control-token-file or GRIDOPS_CONTROL_TOKEN)"},
            status=401,
            headers={"WWW-Authenticate": CHALLENGE},
        )  # fmt: skip

    return middleware
