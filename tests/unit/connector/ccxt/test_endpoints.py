"""URL overrides as BRIEF §8 pins them, on ccxt's own binance URL table."""

from __future__ import annotations

from typing import Any

import ccxt.pro
import pytest

from gridops.connector.ccxt.credentials import Credentials
from gridops.connector.ccxt.endpoints import EndpointError, derive_urls
from gridops.connector.ccxt.exchange import make_exchange
from gridops.startup import StartupError

REAL = "https://api.binance.com"
API = "http://127.0.0.1:8090"
WS = "ws://127.0.0.1:8090"


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []


def test_every_rest_url_of_api_binance_com_moves_and_nothing_else() -> None:
    urls = ccxt.pro.binance().urls
    before = _strings(urls["api"])
    derived = derive_urls("binance", urls, API, WS)
    api = derived["api"]
    assert api["public"] == f"{API}/api/v3"
    assert api["private"] == f"{API}/api/v3"
    assert api["sapi"] == f"{API}/sapi/v1"
    assert not [s for s in _strings(api) if s.startswith(REAL)]
    # Futures and options hosts are other venues: untouched.
    assert api["fapiPublic"] == urls["api"]["fapiPublic"]
    assert api["ws"]["spot"] == f"{WS}/ws"
    assert api["ws"]["ws-api"]["spot"] == f"{WS}/ws-api/v3"
    assert api["ws"]["linear"] == urls["api"]["ws"]["linear"]
    assert api["ws"]["ws-api"]["linear"] == urls["api"]["ws"]["ws-api"]["linear"]
    # The table given is not changed in place.
    assert _strings(urls["api"]) == before


def test_rest_only_and_ws_only_overrides() -> None:
    urls = ccxt.pro.binance().urls
    rest_only = derive_urls("binance", urls, API + "/", None)["api"]
    assert rest_only["public"] == f"{API}/api/v3"  # the trailing slash is dropped
    assert rest_only["ws"] == urls["api"]["ws"]
    ws_only = derive_urls("binance", urls, None, WS)["api"]
    assert ws_only["public"] == urls["api"]["public"]
    assert ws_only["ws"]["spot"] == f"{WS}/ws"


@pytest.mark.parametrize(
    ("api", "ws", "flag"),
    [
        ("ftp://x", None, "--api-url"),
        ("127.0.0.1:8090", None, "--api-url"),
        ("http://x?y=1", None, "--api-url"),
        (None, "http://127.0.0.1:8090", "--ws-url"),
        (None, "ws://", "--ws-url"),
    ],
)
def test_bad_urls_name_their_flag(api: str | None, ws: str | None, flag: str) -> None:
    with pytest.raises(EndpointError, match=flag):
        derive_urls("binance", ccxt.pro.binance().urls, api, ws)


def test_the_instance_has_the_brief_options_and_the_derived_urls() -> None:
    exchange = make_exchange("binance", Credentials("key-1", "secret-1"), api_url=API, ws_url=WS)
    assert isinstance(exchange, ccxt.pro.binance)
    assert exchange.options["fetchMarkets"]["types"] == ["spot"]
    assert exchange.options["fetchCurrencies"] is False
    assert exchange.enableRateLimit is True
    assert exchange.urls["api"]["public"] == f"{API}/api/v3"
    assert exchange.urls["api"]["ws"]["ws-api"]["spot"] == f"{WS}/ws-api/v3"


def test_unknown_exchange_and_conflicting_flags_are_startup_errors() -> None:
    creds = Credentials("k", "s")
    with pytest.raises(StartupError, match="--exchange 'nope'"):
        make_exchange("nope", creds)
    with pytest.raises(StartupError, match="--sandbox"):
        make_exchange("binance", creds, api_url=API, sandbox=True)
    with pytest.raises(StartupError, match="--ws-url"):
        make_exchange("kraken", creds, ws_url=WS)
