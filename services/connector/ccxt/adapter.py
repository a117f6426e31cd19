"""A real venue behind the ExchangeAdapter interface, through one ccxt.pro instance.

Requests go through `_call`: the account's one budget (ccxt's limiter, a cooldown after
a 429/418, one request per identical read in flight), then the one error mapping.
Events come from the websocket messages themselves (see exchange.py), turned into
gridops events by `feed.Feed`; the `watch_*` loops only keep the subscriptions open and
notice when a socket dies.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

import ccxt
import ccxt.pro

from gridops import order_ids
from gridops.connector.adapter import ExchangeAdapter
from gridops.decimals import ZERO, fmt
from gridops.errors import (
    FailedPrecondition,
    GridopsError,
    InvalidArgument,
    NotFound,
    RateLimited,
    Unauthenticated,
    Unavailable,
)
from gridops.models import (
    Account,
    Balance,
    ExchangeEvent,
    Fill,
    Order,
    OrderRequest,
    OrderType,
    PlaceResult,
    Position,
    SymbolInfo,
    Ticker,
    UpstreamOpened,
)
from gridops.retry import Backoff
from gridops.startup import StartupError

from . import convert
from .budget import Budget
from .credentials import FLAG as CREDENTIALS_FLAG
from .credentials import Credentials
from .errors import map_error
from .feed import Feed
from .index import OrderIndex
from .markets import check_order, spot_markets
from .poller import POLL_SECONDS, polled_events

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Binance's limit on a client order id (newClientOrderId)
MAX_CLIENT_ORDER_ID = 36
#: a lookup by id without a symbol tries each served symbol, if there are at most this many
MAX_SEARCH_SYMBOLS = 10
#: prices watched on one stream connection at most (Binance allows 1024 streams)
MAX_WATCHED_SYMBOLS = 200
#: myTrades pages read for one GetFills at most
MAX_TRADE_PAGES = 20
TRADE_PAGE = 1000
#: cancels in flight at once for one CancelAllOrders
CANCEL_CONCURRENCY = 4
#: a stream that broke sooner than this after opening makes the next dial wait
SHORT_STREAM = 10.0


class CcxtAdapter(ExchangeAdapter):
    def __init__(
        self,
        exchange: Any,
        credentials: Credentials,
        *,
        account: str = "default",
        symbols: list[str] | None = None,
        start_timeout: float = 30.0,
        polling: bool | None = None,
        poll_seconds: float = POLL_SECONDS,
        credentials_source: str = CREDENTIALS_FLAG,
    ) -> None:
        """`polling`: True reads events by REST polling even where the venue's websocket
        messages could be read (None: poll only venues outside Binance's family)."""
        self.exchange = exchange
        self.name = str(exchange.id)
        self.account = account
        self.credentials = credentials
        #: where the keys came from, for the start error that refuses them
        self.credentials_source = credentials_source
        self.wanted_symbols = symbols
        self.start_timeout = start_timeout
        self.polling = polling
        self.poll_seconds = poll_seconds
        self.budget = Budget()
        self.index = OrderIndex()
        self.feed = Feed(self.index)
        self._infos: dict[str, SymbolInfo] = {}
        self._quote_asset = ""
        self._open = 0
        self._connects_total = 0
        self._closed = False
        self._reconnect = Backoff(initial=0.5, maximum=30.0)
        self._stream_opened: float | None = None
        self._stream_ended: float | None = None
        self._placing: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    # ---- lifecycle -----------------------------------------------------------------

    @property
    def upstream_connections(self) -> int:
        return self._open

    @property
    def upstream_connects_total(self) -> int:
        return self._connects_total

    async def start(self) -> None:
        """Load the markets and check the credentials; StartupError when they are refused."""
        try:
            markets = await self._start_call("load the markets", self.exchange.load_markets)
            infos = spot_markets(markets)
            self._infos = self._served(infos)
            self.feed.set_markets(
                {m["id"]: s for s, m in markets.items() if s in self._infos and "id" in m},
                self._infos,
            )
            self._quote_asset = _main_quote(self._infos.values())
            balance = await self._start_call("read the account", self.exchange.fetch_balance)
            self.feed.set_balances(_balances(balance))
            for symbol in list(self._infos)[:MAX_SEARCH_SYMBOLS]:
                self.feed.set_price(await self.get_ticker(symbol))
        except BaseException:
            await self._close_exchange()
            raise
        log.info(
            "%s: %d spot symbols served, account readable, quote asset %s",
            self.name, len(self._infos), self._quote_asset,
        )  # fmt: skip

    async def _start_call(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """Retry what a venue that is still starting refuses; give up after start_timeout."""
        backoff = Backoff(initial=0.2, maximum=3.0)
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                return await call()
            except ccxt.AuthenticationError as error:
                raise StartupError(
                    f"{self.name} refused the credentials in {self.credentials_source} while "
                    f"trying to {what}: {self.credentials.redact(str(error))}"
                ) from None
            except (ccxt.NetworkError, ccxt.ExchangeError, OSError) as error:
                mapped = map_error(error, self.name, self.credentials.redact)
                if not isinstance(mapped, Unavailable | RateLimited):
                    raise StartupError(f"{self.name}: cannot {what}: {mapped}") from None
                if time.monotonic() > deadline:
                    raise StartupError(
                        f"{self.name}: cannot {what} within {self.start_timeout:g}s: "
                        f"{mapped} (check --api-url/--ws-url)"
                    ) from None
                delay = backoff.next_delay()
                log.warning("%s: cannot %s yet (%s); retrying in %.1fs", self.name, what,
                            mapped, delay)  # fmt: skip
                await asyncio.sleep(delay)

    def _served(self, infos: dict[str, SymbolInfo]) -> dict[str, SymbolInfo]:
        if self.wanted_symbols:
            unknown = [s for s in self.wanted_symbols if s not in infos]
            if unknown:
                raise StartupError(
                    f"--symbols: {', '.join(unknown)} not an active spot market of "
                    f"{self.name} (env GRIDOPS_CONNECTOR_SYMBOLS)"
                )
            return {s: infos[s] for s in self.wanted_symbols}
        if len(infos) > MAX_WATCHED_SYMBOLS:
            raise StartupError(
                f"{self.name} lists {len(infos)} spot markets: name the ones this connector "
                "serves with --symbols BTC/USDT,ETH/USDT (env GRIDOPS_CONNECTOR_SYMBOLS)"
            )
        if not infos:
            raise StartupError(f"{self.name} lists no active spot market")
        return dict(sorted(infos.items()))

    async def close(self) -> None:
        self._closed = True
        self.feed.end(None)
        await self._close_exchange()

    async def _close_exchange(self) -> None:
        try:
            await self.exchange.close()
        except Exception as error:  # closing what may be half-open already
            log.debug("closing the ccxt exchange: %s", error)

    async def _close_sockets(self) -> None:
        """Close the websockets only: the next `events()` dials and subscribes afresh."""
        clients = list(getattr(self.exchange, "clients", {}).values())
        self.exchange.clients = {}
        for client in clients:
            try:
                await client.close()
            except Exception as error:
                log.debug("closing a ccxt websocket: %s", error)

    # ---- events --------------------------------------------------------------------

    @property
    def reads_messages(self) -> bool:
        """Binance's family: its websocket messages are read; any other venue is polled."""
        if self.polling is not None:
            return not self.polling
        return isinstance(self.exchange, ccxt.pro.binance)

    @property
    def quote_asset(self) -> str:
        return self._quote_asset

    async def read_balances(self) -> dict[str, Balance]:
        return await self._balances()

    async def call(self, call: Callable[[], Awaitable[T]]) -> T:
        """A request through the account's budget and the error mapping."""
        return await self._call(call)

    async def events(self) -> AsyncGenerator[ExchangeEvent | UpstreamOpened, None]:
        if self._closed:
            return
        await self._pause_after_short_stream()
        if not self.reads_messages:
            self._connects_total += 1
            self._open += 1
            try:
                async for item in polled_events(self, self.poll_seconds):
                    if isinstance(item, UpstreamOpened):
                        self._stream_opened = time.monotonic()
                    yield item
            finally:
                self._stream_ended = time.monotonic()
                self._open -= 1
            return
        self._connects_total += 1
        self._open += 1
        stream = self.feed.open()
        self.exchange.gridops_sink = stream.on_message
        watchers: list[asyncio.Task[None]] = []
        try:
            try:
                # Acknowledged by the venue: from here no user-data event is missed.
                await self.exchange.authenticate({"type": "spot"})
                watchers = self._watch(stream.broken)
                # Balances arrive as changes: start from the account as it is now.
                self.feed.set_balances(_balances(await self.exchange.fetch_balance()))
            except Exception as error:
                mapped = map_error(error, self.name, self.credentials.redact)
                raise Unavailable(f"cannot open the {self.name} streams: {mapped}") from None
            self._stream_opened = time.monotonic()
            yield UpstreamOpened()
            while True:
                event = await stream.next()
                if event is None:
                    return
                yield event
        finally:
            self._stream_ended = time.monotonic()
            self.exchange.gridops_sink = None
            self.feed.close(stream)
            for task in watchers:
                task.cancel()
            for task in watchers:
                try:
                    await task
                except asyncio.CancelledError:
                    current = asyncio.current_task()
                    if current is not None and current.cancelling():
                        raise
            await self._close_sockets()
            self._open -= 1

    async def _pause_after_short_stream(self) -> None:
        """Back off here too: the connector resets its backoff once a stream opens, so a
        venue that breaks every stream right after opening it would be redialled at once."""
        if self._stream_opened is None or self._stream_ended is None:
            return
        if self._stream_ended - self._stream_opened >= SHORT_STREAM:
            self._reconnect.reset()
            return
        await asyncio.sleep(self._reconnect.next_delay())

    def _watch(self, broken: Callable[[str], None]) -> list[asyncio.Task[None]]:
        """Keep each subscription open; the first that fails breaks the stream."""
        symbols = list(self._infos)

        async def keep(name: str, watch: Callable[[], Awaitable[Any]]) -> None:
            try:
                while True:
                    await watch()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                broken(f"{name}: {self.credentials.redact(str(error)) or type(error).__name__}")

        loops: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            # The 24h ticker stream (<symbol>@ticker), as Binance's own clients use it.
            ("tickers", lambda: self.exchange.watch_tickers(symbols, {"name": "ticker"})),
            ("orders", self.exchange.watch_orders),
            ("balance", self.exchange.watch_balance),
        ]
        return [asyncio.create_task(keep(n, w), name=f"ccxt-watch-{n}") for n, w in loops]

    # ---- requests ------------------------------------------------------------------

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        await self.budget.admit()
        try:
            result = await call()
        except (ccxt.RateLimitExceeded, ccxt.DDoSProtection) as error:
            delay = self.budget.penalize(self._retry_after())
            log.warning("%s: rate limited, no request for %.1fs", self.name, delay)
            raise map_error(error, self.name, self.credentials.redact) from None
        except asyncio.CancelledError:
            raise
        except Exception as error:
            mapped = map_error(error, self.name, self.credentials.redact)
            if isinstance(mapped, Unauthenticated):
                log.error("%s refused the credentials: %s", self.name, mapped)
            raise mapped from None
        self.budget.succeeded()
        return result

    def _retry_after(self) -> float | None:
        headers = getattr(self.exchange, "last_response_headers", None) or {}
        for key in ("Retry-After", "retry-after"):
            value = headers.get(key) if isinstance(headers, Mapping) else None
            if value is not None:
                try:
                    return float(value)
                except ValueError:
                    return None
        return None

    async def _shared(self, key: Hashable, call: Callable[[], Awaitable[T]]) -> T:
        return await self.budget.shared(key, lambda: self._call(call))

    # ---- ExchangeAdapter -----------------------------------------------------------

    def symbols(self) -> list[str]:
        return list(self._infos)

    async def get_symbol_info(self, symbol: str) -> SymbolInfo:
        return self._info(symbol)

    def _info(self, symbol: str) -> SymbolInfo:
        info = self._infos.get(symbol)
        if info is None:
            raise InvalidArgument(f"symbol: {symbol!r} is not served by this connector")
        return info

    async def get_ticker(self, symbol: str) -> Ticker:
        self._info(symbol)
        raw = await self._shared(("ticker", symbol), lambda: self.exchange.fetch_ticker(symbol))
        ticker = convert.ticker_from_rest(raw, symbol)
        if ticker is None:
            raise Unavailable(f"{self.name}: no last price for {symbol}")
        self.feed.set_price(ticker)
        return ticker

    async def _balances(self) -> dict[str, Balance]:
        raw = await self._shared("balance", self.exchange.fetch_balance)
        return _balances(raw)

    async def get_account(self) -> Account:
        return self.feed.account(await self._balances(), self._quote_asset)

    async def get_positions(self, symbol: str | None) -> list[Position]:
        wanted = [symbol] if symbol else list(self._infos)
        for s in wanted:
            self._info(s)
        balances = await self._balances()
        return [self.feed.position(s, balances) for s in wanted]

    async def get_open_orders(self, symbol: str | None, prefix: str | None) -> list[Order]:
        if symbol is not None:
            self._info(symbol)
        raw = await self._shared(("open", symbol), lambda: self.exchange.fetch_open_orders(symbol))
        orders = [self._order(o) for o in raw]
        return [
            o
            for o in orders
            if o.symbol in self._infos and order_ids.matches(prefix, o.client_order_id)
        ]

    def _order(self, raw: Mapping[str, Any]) -> Order:
        info = raw.get("info")
        symbol = str(raw.get("symbol") or "")
        if isinstance(info, Mapping) and "orderId" in info:
            order = convert.order_from_rest(info, symbol)
        else:
            order = convert.order_from_unified(raw)
        self.index.add(order.symbol, order.order_id, order.client_order_id)
        return order

    async def _fetch(self, symbol: str, order_id: str | None, client_order_id: str | None) -> Order:
        params = {"origClientOrderId": client_order_id} if client_order_id else {}
        key = ("order", symbol, order_id, client_order_id)
        raw = await self._shared(key, lambda: self.exchange.fetch_order(order_id, symbol, params))
        return self._order(raw)

    def _candidates(self, client_order_id: str | None, order_id: str | None) -> list[str]:
        if not client_order_id and self.name.startswith("binance") and not _numeric_id(order_id):
            # Binance numbers its orders; asking for "x-1" is a 400, not "no such order".
            raise NotFound(f"order_id {order_id}: no such order on {self.name} (ids are numbers)")
        known = (
            self.index.by_client_id(client_order_id)
            if client_order_id
            else self.index.by_order_id(order_id or "")
        )
        if known is not None:
            return [known.symbol]
        if len(self._infos) > MAX_SEARCH_SYMBOLS:
            what = (
                f"client_order_id {client_order_id}" if client_order_id else f"order_id {order_id}"
            )
            raise NotFound(
                f"{what}: not an order this connector has seen, and {self.name} needs its "
                "symbol to look it up (list it with GetOpenOrders first)"
            )
        return list(self._infos)

    async def get_order(
        self, *, client_order_id: str | None = None, order_id: str | None = None
    ) -> Order:
        for symbol in self._candidates(client_order_id, order_id):
            try:
                return await self._fetch(
                    symbol, None if client_order_id else order_id, client_order_id
                )
            except NotFound:
                continue
        what = _what(client_order_id, order_id)
        raise NotFound(f"{what}: no such order on {self.name}")

    async def place_order(self, request: OrderRequest) -> PlaceResult:
        cid = request.client_order_id
        if len(cid) > MAX_CLIENT_ORDER_ID:
            raise InvalidArgument(
                f"client_order_id: {cid!r} is {len(cid)} characters; {self.name} takes at "
                f"most {MAX_CLIENT_ORDER_ID}"
            )
        check_order(self._info(request.symbol), request)
        lock = self._placing.get(cid)
        if lock is None:
            lock = asyncio.Lock()
            self._placing[cid] = lock
        async with lock:
            # Binance refuses a duplicate id only while the first order is open: look the
            # id up, closed orders included, before placing.
            existing = await self._existing(request)
            if existing is not None:
                return PlaceResult(existing, duplicate=True)
            return PlaceResult(await self._create(request))

    async def _existing(self, request: OrderRequest) -> Order | None:
        known = self.index.by_client_id(request.client_order_id)
        symbol = known.symbol if known is not None else request.symbol
        try:
            return await self._fetch(symbol, None, request.client_order_id)
        except NotFound:
            return None

    async def _create(self, request: OrderRequest) -> Order:
        params: dict[str, Any] = {"newClientOrderId": request.client_order_id}
        if request.type is OrderType.LIMIT_MAKER:
            params["postOnly"] = True
        try:
            raw = await self._call(
                lambda: self.exchange.create_order(
                    request.symbol,
                    "limit",
                    request.side.value.lower(),
                    fmt(request.quantity),
                    fmt(request.price),
                    params,
                )
            )
        except FailedPrecondition as error:
            info = self._info(request.symbol)
            asset = info.quote_asset if request.side.value == "BUY" else info.base_asset
            if "insufficient" in str(error).lower() or "balance" in str(error).lower():
                raise FailedPrecondition(
                    f"insufficient {asset} balance for {request.side.value} "
                    f"{fmt(request.quantity)} {request.symbol} at {fmt(request.price)} ({error})"
                ) from None
            raise
        return self._order(raw)

    async def cancel_order(
        self, *, client_order_id: str | None = None, order_id: str | None = None
    ) -> Order:
        for symbol in self._candidates(client_order_id, order_id):
            params = {"origClientOrderId": client_order_id} if client_order_id else {}
            oid = None if client_order_id else order_id
            try:
                raw = await self._call(partial(self.exchange.cancel_order, oid, symbol, params))
            except (NotFound, FailedPrecondition, InvalidArgument):
                # Not open any more (filled or cancelled before us), or not on this symbol.
                try:
                    return await self._fetch(symbol, oid, client_order_id)
                except NotFound:
                    continue
            return self._order(raw)
        what = _what(client_order_id, order_id)
        raise NotFound(f"{what}: no such order on {self.name}")

    async def cancel_all_orders(self, symbol: str | None, prefix: str | None) -> list[Order]:
        # Never the venue's cancel-all: it takes every order of the symbol, other
        # strategies' and hand-placed ones too, when only `prefix`'s are meant.
        open_orders = await self.get_open_orders(symbol, prefix)
        limit = asyncio.Semaphore(CANCEL_CONCURRENCY)

        async def cancel(order: Order) -> Order | None:
            async with limit:
                try:
                    return await self.cancel_order(order_id=order.order_id)
                except NotFound:
                    return None

        results = await asyncio.gather(*(cancel(o) for o in open_orders))
        return [o for o in results if o is not None]

    async def get_fills(
        self,
        symbol: str | None,
        since: datetime | None,
        prefix: str | None,
        limit: int | None,
    ) -> list[Fill]:
        if symbol is None and len(self._infos) > MAX_SEARCH_SYMBOLS:
            raise InvalidArgument(
                f"symbol: required ({self.name} lists trades per symbol and this connector "
                f"serves {len(self._infos)})"
            )
        fills: list[Fill] = []
        for s in [symbol] if symbol else list(self._infos):
            self._info(s)
            for raw in await self._trades(s, since):
                fill = await self._fill(raw, s)
                if fill is not None and order_ids.matches(prefix, fill.client_order_id):
                    fills.append(fill)
        fills.sort(key=lambda f: (f.time, f.symbol, _numeric(f.trade_id)))
        return fills[:limit] if limit else fills

    async def _trades(self, symbol: str, since: datetime | None) -> list[dict[str, Any]]:
        start = convert.millis(since) if since is not None else None
        out: list[dict[str, Any]] = []
        params: dict[str, Any] = {}
        for _ in range(MAX_TRADE_PAGES):
            key = ("trades", symbol, start, tuple(sorted(params.items())))
            fetch = partial(self.exchange.fetch_my_trades, symbol, start, TRADE_PAGE, dict(params))
            page: list[dict[str, Any]] = await self._shared(key, fetch)
            out += page
            if len(page) < TRADE_PAGE:
                break
            # The next page by trade id: Binance takes fromId without a startTime.
            last = str(page[-1].get("id") or "")
            if not last.isdigit():
                break
            params, start = {"fromId": int(last) + 1}, None
        return out

    async def _fill(self, raw: Mapping[str, Any], symbol: str) -> Fill | None:
        info = raw.get("info")
        order_id = str(raw.get("order") or (info or {}).get("orderId") or "")
        known = self.index.by_order_id(order_id)
        if known is None and order_id:
            try:
                known_order = await self._fetch(symbol, order_id, None)
            except NotFound:
                known_order = None
            client_id = known_order.client_order_id if known_order else ""
        else:
            client_id = known.client_order_id if known else ""
        if isinstance(info, Mapping) and "orderId" in info:
            return convert.fill_from_rest(info, symbol, client_id)
        return convert.fill_from_unified(raw, client_id)


def _numeric_id(order_id: str | None) -> bool:
    return bool(order_id) and str(order_id).isdigit()


def _what(client_order_id: str | None, order_id: str | None) -> str:
    return f"client_order_id {client_order_id}" if client_order_id else f"order_id {order_id}"


def _balances(raw: Mapping[str, Any]) -> dict[str, Balance]:
    info = raw.get("info")
    if isinstance(info, Mapping) and isinstance(info.get("balances"), list):
        return convert.balances_from_rest(info)
    return convert.balances_from_unified(raw)


def _main_quote(infos: Any) -> str:
    counts: dict[str, int] = {}
    for info in infos:
        counts[info.quote_asset] = counts.get(info.quote_asset, 0) + 1
    return max(counts, key=lambda q: counts[q]) if counts else ""


def _numeric(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (0, text)


__all__ = ["UTC", "ZERO", "CcxtAdapter", "Decimal", "GridopsError"]
