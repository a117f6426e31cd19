"""The one ccxt exchange instance of a connector process, configured as BRIEF §8 says.

The instance is a subclass of ccxt's own class with one addition: every websocket message
is also handed to a sink, in the order it arrived. ccxt's `watch_*` calls resolve only
for a caller waiting at that moment, so two messages back to back would leave the second
unseen until a third one came; the sink sees each one at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import ccxt.pro

from gridops.startup import StartupError

from .credentials import Credentials
from .endpoints import EndpointError, derive_urls

log = logging.getLogger(__name__)

Sink = Callable[[Any], None]

#: options every instance gets (BRIEF §8): spot markets only, no private currencies call
OPTIONS: dict[str, Any] = {
    "defaultType": "spot",
    "fetchMarkets": {"types": ["spot"]},
    "fetchCurrencies": False,
    # Listing open orders of every symbol at once is what a resync needs; ccxt warns
    # (raises) by default because it weighs more on Binance.
    "warnOnFetchOpenOrdersWithoutSymbol": False,
}


def ccxt_ids() -> list[str]:
    """Exchanges ccxt can trade through websockets (ccxt.pro) in this installation."""
    return list(ccxt.pro.exchanges)


def check_exchange_id(exchange_id: str) -> None:
    if exchange_id not in ccxt.pro.exchanges:
        hint = "binance, bybit, okx, kraken, ..."
        if exchange_id in ccxt.exchanges:
            reason = "ccxt has no websocket (ccxt.pro) support for it"
        else:
            reason = f"not a ccxt exchange id (e.g. {hint}; 'sim' is the simulated exchange)"
        raise StartupError(f"--exchange {exchange_id!r}: {reason} (env GRIDOPS_CONNECTOR_EXCHANGE)")


def _hooked(base: type[Any]) -> type[Any]:
    class Hooked(base):  # type: ignore[misc]
        gridops_sink: Sink | None = None

        def handle_message(self, client: Any, message: Any) -> Any:
            sink = self.gridops_sink
            if sink is not None:
                try:
                    sink(message)
                except Exception:  # a bug in our sink must not tear down ccxt's socket
                    log.exception("handling a %s websocket message failed", self.id)
            return super().handle_message(client, message)

    Hooked.__name__ = f"Gridops{base.__name__}"
    return Hooked


def make_exchange(
    exchange_id: str,
    credentials: Credentials,
    *,
    api_url: str | None = None,
    ws_url: str | None = None,
    sandbox: bool = False,
) -> Any:
    """A ccxt.pro instance with the overrides applied; StartupError naming the flag."""
    check_exchange_id(exchange_id)
    if sandbox and (api_url or ws_url):
        raise StartupError("--sandbox: use it or --api-url/--ws-url, not both")
    cls = _hooked(getattr(ccxt.pro, exchange_id))
    exchange = cls(
        {
            "apiKey": credentials.api_key,
            "secret": credentials.secret,
            "enableRateLimit": True,
            "options": dict(OPTIONS),
        }
    )
    if sandbox:
        try:
            exchange.set_sandbox_mode(True)
        except Exception:
            raise StartupError(f"--sandbox: ccxt has no testnet for {exchange_id}") from None
    if api_url is not None or ws_url is not None:
        try:
            exchange.urls = derive_urls(exchange_id, exchange.urls, api_url, ws_url)
        except EndpointError as error:
            raise StartupError(str(error)) from None
    return exchange
