"""REST under /api/v3 (and the two /sapi margin lists ccxt reads) on --port: thin aiohttp
handlers over Venue, with Binance's weights.

Every /api/ answer carries X-MBX-USED-WEIGHT-1M. Signed endpoints check the key
(X-MBX-APIKEY), then timestamp/recvWindow, then the HMAC signature, as Binance does.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from . import binance_json as bj
from . import errors, signing
from .persist import Persister
from .venue import Venue
from .weights import LimitError, OrderCounter, WeightLimiter, weight_of

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Signed = Callable[[str, dict[str, str]], Any]


def error_response(error: errors.BinanceError, used: int | None = None) -> web.Response:
    headers = {} if used is None else {"X-MBX-USED-WEIGHT-1M": str(used)}
    if isinstance(error, LimitError):
        headers["Retry-After"] = str(error.retry_after)
    return web.json_response(error.body(), status=error.status, headers=headers)


class RestApi:
    def __init__(
        self,
        venue: Venue,
        limiter: WeightLimiter,
        orders: OrderCounter,
        persister: Persister,
        *,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.venue = venue
        self.limiter = limiter
        self.orders = orders
        self.persister = persister
        self.now = now

    def add_routes(self, app: web.Application) -> None:
        app.middlewares.append(self._middleware)
        public: dict[str, Callable[[dict[str, str]], Any]] = {
            "/api/v3/ping": lambda p: {},
            "/api/v3/time": lambda p: {"serverTime": self.venue.now_ms()},
            "/api/v3/exchangeInfo": self._exchange_info,
            "/api/v3/ticker/24hr": self._ticker_24hr,
            "/api/v3/ticker/price": self._ticker_price,
            "/api/v3/ticker/bookTicker": self._book_ticker,
        }
        for path, fn in public.items():
            app.router.add_get(path, self._public(fn))
        venue = self.venue
        signed: list[tuple[str, str, Signed, bool]] = [
            ("GET", "/api/v3/account", lambda k, p: venue.account_json(k), False),
            ("POST", "/api/v3/order", venue.place, True),
            ("GET", "/api/v3/order", venue.get_order, False),
            ("DELETE", "/api/v3/order", venue.cancel, True),
            ("GET", "/api/v3/openOrders", venue.open_orders, False),
            ("DELETE", "/api/v3/openOrders", venue.cancel_all, True),
            ("GET", "/api/v3/allOrders", venue.all_orders, False),
            ("GET", "/api/v3/myTrades", venue.my_trades, False),
            # ccxt's load_markets asks for margin pairs when it has a key: spot only here
            ("GET", "/sapi/v1/margin/allPairs", lambda k, p: [], False),
            ("GET", "/sapi/v1/margin/isolated/allPairs", lambda k, p: [], False),
        ]
        for method, path, call, changes in signed:
            is_new_order = (method, path) == ("POST", "/api/v3/order")
            handler = self._signed(call, changes=changes, new_order=is_new_order)
            app.router.add_route(method, path, handler)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/ws"):
            return await handler(request)
        params = dict(request.query)
        client = request.remote or "?"
        try:
            used = self.limiter.charge(
                client, weight_of(request.method, request.path, params), self.now()
            )
        except LimitError as error:
            why = "banned" if error.status == 418 else "over the weight budget"
            log.warning(
                "%s %s from %s: %d, %s", request.method, request.path, client, error.status, why
            )
            return error_response(error, error.used)
        try:
            response = await handler(request)
        except errors.BinanceError as error:
            return error_response(error, used)
        except web.HTTPNotFound:
            return error_response(errors.unknown_path(), used)
        except web.HTTPMethodNotAllowed:
            return error_response(errors.unknown_path(), used)
        response.headers["X-MBX-USED-WEIGHT-1M"] = str(used)
        return response

    def _public(self, fn: Callable[[dict[str, str]], Any]) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            return web.json_response(fn(dict(request.query)))

        return handle

    def _signed(self, call: Signed, *, changes: bool, new_order: bool = False) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            body = await request.text() if request.can_read_body else ""
            query = request.query_string
            key = request.headers.get("X-MBX-APIKEY", "")
            if not key:
                raise errors.bad_key_format()
            secret = self.venue.secret_of(key)
            if secret is None:
                raise errors.unknown_key()
            params = signing.rest_params(query, body)
            signing.check_timestamp(params, self.venue.now_ms())
            signing.check_rest_signature(query, body, secret)
            headers = {}
            if new_order:
                headers["X-MBX-ORDER-COUNT-10S"] = str(self.orders.count(key, self.now()))
            result = call(key, params)
            if changes:
                # acknowledged only once on disk: a crash after this loses nothing
                await self.persister.flush()
            return web.json_response(result, headers=headers)

        return handle

    # ---- public data ---------------------------------------------------------------

    def _symbols(self, params: dict[str, str]) -> list[str] | None:
        if params.get("symbol"):
            return [params["symbol"]]
        if params.get("symbols"):
            try:
                wanted = json.loads(params["symbols"])
            except json.JSONDecodeError:
                raise errors.bad_value("symbols") from None
            if not isinstance(wanted, list) or not all(isinstance(w, str) for w in wanted):
                raise errors.bad_value("symbols")
            return wanted
        return None

    def _exchange_info(self, params: dict[str, str]) -> Any:
        limits = self.limiter.limit, self.orders.limit
        return self.venue.exchange_info(*limits, self._symbols(params))

    def _ticker(self, params: dict[str, str], shape: Callable[[Any], Any]) -> Any:
        tickers = [shape(t) for t in self.venue.tickers(self._symbols(params))]
        return tickers[0] if params.get("symbol") else tickers

    def _ticker_24hr(self, params: dict[str, str]) -> Any:
        now = self.venue.now_ms()
        return self._ticker(params, lambda t: bj.ticker_24hr(t.symbol, t.price, now))

    def _ticker_price(self, params: dict[str, str]) -> Any:
        return self._ticker(params, lambda t: bj.price_ticker(t.symbol, t.price))

    def _book_ticker(self, params: dict[str, str]) -> Any:
        return self._ticker(params, lambda t: bj.book_ticker(t.symbol, t.price))
