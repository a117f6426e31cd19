"""A real venue behind the ExchangeAdapter interface, through one ccxt.pro instance.

Here: start-up (markets, the credentials check), the event stream, account, positions and
prices. Orders are in orders.py, fills in fills.py, both over the request layer of
requests.py (the account's one budget, the one error mapping). Events come from the
websocket messages themselves (see exchange.py), turned into gridops events by
`feed.Feed`; the `watch_*` loops only keep the subscriptions open and notice when a
socket dies. Venues outside Binance's family are polled instead (poller.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import Any, TypeVar

import ccxt
import ccxt.pro

from gridops.connector.adapter import ExchangeAdapter
from gridops.errors import (
    RateLimited,
    Unavailable,
)
from gridops.models import (
    Account,
    Balance,
    ExchangeEvent,
    Order,
    Position,
    SymbolInfo,
    Ticker,
    UpstreamOpened,
)
from gridops.retry import Backoff
from gridops.startup import StartupError

from . import convert
from .budget import Budget, OrderPace
from .credentials import FLAG as CREDENTIALS_FLAG
from .credentials import Credentials
from .errors import map_error
from .feed import Feed
from .fills import FillCalls
from .index import OrderIndex
from .markets import spot_markets
from .orders import OrderCalls
from .poller import POLL_SECONDS, polled_events
from .requests import MAX_SEARCH_SYMBOLS

log = logging.getLogger(__name__)
T = TypeVar("T")

#: prices watched on one stream connection at most (Binance allows 1024 streams)
MAX_WATCHED_SYMBOLS = 200
#: a stream that broke sooner than this after opening makes the next dial wait
SHORT_STREAM = 10.0


class CcxtAdapter(OrderCalls, FillCalls, ExchangeAdapter):
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
        # Binance's own count (exchangeInfo rateLimits ORDERS); other venues: ccxt's limiter.
        self.order_pace = OrderPace() if isinstance(exchange, ccxt.pro.binance) else None
        self.index = OrderIndex()
        self.feed = Feed(self.index)
        #: orders this connector placed since the last poll (polling mode reads them):
        #: one placed and closed between two polls is in neither snapshot
        self.placed_since_poll: dict[str, Order] = {}
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

    # ---- ExchangeAdapter -----------------------------------------------------------

    def symbols(self) -> list[str]:
        return list(self._infos)

    async def get_symbol_info(self, symbol: str) -> SymbolInfo:
        return self._info(symbol)

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
