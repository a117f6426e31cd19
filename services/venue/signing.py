"""Signed-request checks as Binance makes them (HMAC-SHA256 keys only). Pure: no I/O.

REST: the signature covers the query string followed by the body, both as sent, with the
`signature` parameter itself taken out. WebSocket API: it covers the request's params
sorted by name and joined as `name=value&...` (without `signature`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from . import errors

#: Binance's default and largest recvWindow, in milliseconds
DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60000
#: how far ahead of the venue's clock a timestamp may be (Binance allows 1 s)
FUTURE_SLACK_MS = 1000


def hmac_hex(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def _without_signature(raw: str) -> tuple[str, str | None]:
    """`raw` with its `signature=` parameter taken out, and that signature."""
    kept, signature = [], None
    for part in raw.split("&") if raw else []:
        if part.startswith("signature="):
            signature = part[len("signature=") :]
        else:
            kept.append(part)
    return "&".join(kept), signature


def rest_params(query: str, body: str) -> dict[str, str]:
    """Every parameter of a REST request, the body's winning over the query's."""
    params = dict(parse_qsl(query, keep_blank_values=True))
    params.update(parse_qsl(body, keep_blank_values=True))
    return params


def check_rest_signature(query: str, body: str, secret: str) -> None:
    """Raise -1022 unless the request carries the signature `secret` gives it."""
    signed_query, from_query = _without_signature(query)
    signed_body, from_body = _without_signature(body)
    signature = from_body or from_query
    if not signature:
        raise errors.missing("signature")
    expected = hmac_hex(secret, signed_query + signed_body)
    if not hmac.compare_digest(expected, signature.lower()):
        raise errors.bad_signature()


def ws_payload(params: Mapping[str, Any]) -> str:
    return "&".join(
        f"{name}={_text(params[name])}" for name in sorted(params) if name != "signature"
    )


def check_ws_signature(params: Mapping[str, Any], secret: str) -> None:
    signature = params.get("signature")
    if not isinstance(signature, str) or not signature:
        raise errors.missing("signature")
    if not hmac.compare_digest(hmac_hex(secret, ws_payload(params)), signature.lower()):
        raise errors.bad_signature()


def check_timestamp(params: Mapping[str, Any], now_ms: int) -> None:
    """-1021 unless `timestamp` is within `recvWindow` of the venue's clock `now_ms`."""
    raw = params.get("timestamp")
    if raw is None or raw == "":
        raise errors.missing("timestamp")
    timestamp = _integer(raw, "timestamp")
    window_raw = params.get("recvWindow")
    window = DEFAULT_RECV_WINDOW if window_raw in (None, "") else _integer(window_raw, "recvWindow")
    if window <= 0 or window > MAX_RECV_WINDOW:
        raise errors.bad_recv_window()
    if timestamp >= now_ms + FUTURE_SLACK_MS or now_ms - timestamp > window:
        raise errors.stale_timestamp()


def _integer(raw: Any, name: str) -> int:
    try:
        return int(str(raw))
    except ValueError:
        raise errors.bad_value(name) from None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
