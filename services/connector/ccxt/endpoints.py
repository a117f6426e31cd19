"""Endpoint overrides (`--api-url`, `--ws-url`) applied to a ccxt exchange's URL table.

BRIEF §8: every string under `urls['api']` that begins with the venue's REST origin
(`https://api.binance.com` for binance) gets that origin replaced by the API URL; the spot
market-stream URL becomes `<ws-url>/ws` and the spot WebSocket-API URL
`<ws-url>/ws-api/v3`. Pure: a new table is returned, the given one is not touched.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

API_FLAG = "--api-url (env GRIDOPS_CONNECTOR_API_URL)"
WS_FLAG = "--ws-url (env GRIDOPS_CONNECTOR_WS_URL)"
#: where the WebSocket API lives under the --ws-url (ccxt binance subscribes user data there)
WS_API_PATH = "/ws-api/v3"
STREAM_PATH = "/ws"


class EndpointError(ValueError):
    """An override that cannot be applied; the message names the flag."""


def check_url(url: str, schemes: tuple[str, ...], flag: str) -> str:
    """`url` without a trailing slash, if it is scheme://host[:port][/path]."""
    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.netloc:
        raise EndpointError(f"{flag}: {url!r} must be {' or '.join(schemes)}://HOST[:PORT]")
    if parts.query or parts.fragment:
        raise EndpointError(f"{flag}: {url!r} must not have a query or a fragment")
    return url.rstrip("/")


def rest_origin(api: dict[str, Any]) -> str | None:
    """scheme://host of the exchange's public REST URL (the part the override replaces)."""
    public = api.get("public")
    if not isinstance(public, str):
        return None
    parts = urlsplit(public)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else None


def _replace_prefix(node: Any, origin: str, replacement: str) -> Any:
    if isinstance(node, str):
        return replacement + node[len(origin) :] if node.startswith(origin) else node
    if isinstance(node, dict):
        return {k: _replace_prefix(v, origin, replacement) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace_prefix(v, origin, replacement) for v in node]
    return node


def derive_urls(
    exchange_id: str, urls: dict[str, Any], api_url: str | None, ws_url: str | None
) -> dict[str, Any]:
    """`urls` (a ccxt `exchange.urls`) with the overrides applied."""
    out = dict(urls)
    api: dict[str, Any] = dict(urls.get("api") or {})
    if api_url is not None:
        base = check_url(api_url, ("http", "https"), API_FLAG)
        origin = rest_origin(api)
        if origin is None:
            raise EndpointError(f"{API_FLAG}: {exchange_id} has no public REST URL to override")
        ws_part = api.pop("ws", None)
        api = _replace_prefix(api, origin, base)
        if ws_part is not None:
            api["ws"] = ws_part
    if ws_url is not None:
        base = check_url(ws_url, ("ws", "wss"), WS_FLAG)
        ws = api.get("ws")
        ws_api = ws.get("ws-api") if isinstance(ws, dict) else None
        if not isinstance(ws, dict) or not isinstance(ws.get("spot"), str):
            raise EndpointError(
                f"{WS_FLAG}: {exchange_id} has no spot market-stream URL this override knows "
                "(it follows Binance's layout: urls['api']['ws']['spot'])"
            )
        ws = dict(ws)
        ws["spot"] = base + STREAM_PATH
        if isinstance(ws_api, dict) and isinstance(ws_api.get("spot"), str):
            ws["ws-api"] = {**ws_api, "spot": base + WS_API_PATH}
        api["ws"] = ws
    out["api"] = api
    return out
