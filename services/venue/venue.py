"""The venue's accounts: one simulated market per API key, prices shared by all.

Synchronous and free of I/O: the REST, WebSocket and gRPC edges call it on the event
loop, so each call is atomic. Trading methods speak Binance (BinanceError, Binance JSON);
Simulator methods speak gridops (GridopsError, domain objects). Events go to sinks: plain
callables the edges register (a user-data sink per account, one market-stream sink).

Binance keeps a clientOrderId unique only among OPEN orders: a closed order's id may be
used again. The simulated market keeps every id unique forever, so the n-th reuse of an
id is stored as 'id#n' ('#' is not allowed in Binance ids) and shown as 'id'.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from gridops.errors import FailedPrecondition, GridopsError, InvalidArgument, NotFound
from gridops.models import (
    AccountEvent,
    Counters,
    ExchangeEvent,
    Fill,
    Order,
    OrderEvent,
    OrderRequest,
    OrderStatus,
    OrderType,
    PriceEvent,
    Side,
    Ticker,
)
from gridops.simexchange.book import crosses
from gridops.simexchange.market import SimMarket

from . import binance_json as bj
from . import errors, rules
from . import events_json as ev
from .audit import AuditEntry, entries_for

T = TypeVar("T")
Clock = Callable[[], datetime]
UserSink = Callable[[dict[str, Any]], None]
MarketSink = Callable[[str, dict[str, Any]], None]
#: called after every call that may have changed an account's market, with what to do
#: once that change is durable (announce its events); the state store hooks in here
CommitHook = Callable[[str, Callable[[], None]], None]


def commit_now(key: str, on_durable: Callable[[], None]) -> None:
    """No state file: a change is as durable as it will get at once."""
    on_durable()


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class VenueAccount:
    key: str
    secret: str
    uid: int
    market: SimMarket
    sinks: list[UserSink] = field(default_factory=list)


class Venue:
    def __init__(
        self,
        keys: Mapping[str, str],
        markets: Mapping[str, SimMarket],
        *,
        clock: Clock = utc_now,
        audit: list[AuditEntry] | None = None,
    ) -> None:
        if not keys:
            raise ValueError("keys: at least one API key is needed")
        self.clock = clock
        self.accounts: dict[str, VenueAccount] = {
            key: VenueAccount(key, secret, uid, markets[key])
            for uid, (key, secret) in enumerate(keys.items(), start=1)
        }
        self.default_key = next(iter(self.accounts))
        first = self.accounts[self.default_key].market
        self.symbols = {bj.market_id(s): s for s in first.symbols()}
        self.audit: list[AuditEntry] = list(audit or [])
        self.market_sinks: list[MarketSink] = []
        self.commit: CommitHook = commit_now
        #: orders refused before they reached the market (filters, duplicates...), by key
        self.refused: dict[str, int] = {}
        self._public_trade_id = 0
        self._book_update_id = 0

    # ---- lookups -------------------------------------------------------------------

    def now_ms(self) -> int:
        return bj.ms(self.clock())

    def secret_of(self, key: str) -> str | None:
        account = self.accounts.get(key)
        return account.secret if account else None

    def account(self, key: str) -> VenueAccount:
        account = self.accounts.get(key)
        if account is None:
            raise errors.unknown_key()
        return account

    def symbol(self, market_id: str | None) -> str:
        if not market_id:
            raise errors.missing("symbol")
        symbol = self.symbols.get(market_id.upper())
        if symbol is None:
            raise errors.unknown_symbol()
        return symbol

    def sim_account(self, account: str) -> VenueAccount:
        """The Simulator's `account` field: an API key, empty for the first one."""
        found = self.accounts.get(account or self.default_key)
        if found is None:
            raise InvalidArgument(f"account: no API key {account!r} on this venue")
        return found

    @property
    def reference(self) -> SimMarket:
        return self.accounts[self.default_key].market

    # ---- public market data --------------------------------------------------------

    def exchange_info(
        self, weight_limit: int, order_limit: int, wanted: list[str] | None = None
    ) -> dict[str, Any]:
        symbols = [self.symbol(w) for w in wanted] if wanted else list(self.symbols.values())
        infos = [self.reference.symbol_info(s) for s in symbols]
        return bj.exchange_info(infos, self.now_ms(), weight_limit, order_limit)

    def tickers(self, wanted: list[str] | None) -> list[Ticker]:
        symbols = [self.symbol(w) for w in wanted] if wanted else list(self.symbols.values())
        return [self.reference.ticker(s) for s in symbols]

    # ---- trading (Binance's rules and errors) --------------------------------------

    def place(self, key: str, params: Mapping[str, str]) -> dict[str, Any]:
        account = self.account(key)
        rejected = account.market.counters().orders_rejected
        try:
            return self._place(account, params)
        except errors.BinanceError:
            if account.market.counters().orders_rejected == rejected:  # not the market's
                self.refused[key] = self.refused.get(key, 0) + 1
            raise

    def _place(self, account: VenueAccount, params: Mapping[str, str]) -> dict[str, Any]:
        market = account.market
        symbol = self.symbol(params.get("symbol"))
        side = rules.side(params.get("side"))
        order_type = rules.order_type(params.get("type"))
        if order_type is OrderType.LIMIT:
            tif = params.get("timeInForce")
            if not tif:
                raise errors.missing("timeInForce")
            if tif != "GTC":
                raise errors.bad_time_in_force()
        price = rules.decimal(params, "price")
        quantity = rules.decimal(params, "quantity")
        client_id = rules.new_client_id(params.get("newClientOrderId"))
        rules.check_filters(market.symbol_info(symbol), price, quantity)
        if order_type is OrderType.LIMIT_MAKER and crosses(side, price, market.last_price(symbol)):
            raise errors.would_take()
        latest, uses = _versions(market, client_id)
        if latest is not None and latest.is_open:
            raise errors.duplicate_order()
        internal = client_id if uses == 0 else f"{client_id}#{uses}"
        request = OrderRequest(internal, symbol, side, price, quantity, order_type)
        try:
            outcome = market.place_order(request)
        except FailedPrecondition:
            self._after(account, [])  # a refusal moves the market's counters
            raise errors.insufficient_balance() from None
        except InvalidArgument as error:
            self._after(account, [])
            raise errors.BinanceError(400, -1013, str(error)) from None
        self._after(account, outcome.events)
        placed = outcome.value.order
        fills = [e.fill for e in outcome.events if isinstance(e, OrderEvent) and e.fill]
        now = self.now_ms()
        kind = (params.get("newOrderRespType") or "FULL").upper()
        if kind == "ACK":
            return {
                "symbol": bj.market_id(symbol),
                "orderId": bj.order_number(placed.order_id),
                "orderListId": -1,
                "clientOrderId": client_id,
                "transactTime": now,
            }
        body = bj.new_order(placed, fills, now)
        if kind == "RESULT":
            body.pop("fills")
        return body

    def find_order(self, key: str, params: Mapping[str, str], *, cancel: bool) -> Order:
        account = self.account(key)
        symbol = self.symbol(params.get("symbol"))
        not_found = errors.cancel_unknown if cancel else errors.order_not_found
        order_id, client_id = params.get("orderId"), params.get("origClientOrderId")
        if not order_id and not client_id:
            raise errors.missing("orderId")
        found: Order | None
        if order_id:
            try:
                number = int(order_id)
            except ValueError:
                raise errors.bad_value("orderId") from None
            try:
                found = account.market.get_order(order_id=f"sim-{number}")
            except NotFound:
                raise not_found() from None
            if client_id and bj.public_client_id(found.client_order_id) != client_id:
                raise not_found()
        else:
            found = None
            if rules.CLIENT_ID.match(client_id or ""):  # 'id#n' is the venue's, not a client's
                found, _ = _versions(account.market, client_id or "")
        if found is None or found.symbol != symbol:
            raise not_found()
        return found

    def get_order(self, key: str, params: Mapping[str, str]) -> dict[str, Any]:
        return bj.order(self.find_order(key, params, cancel=False))

    def cancel(self, key: str, params: Mapping[str, str]) -> dict[str, Any]:
        account = self.account(key)
        cancel_id = rules.new_client_id(params.get("newClientOrderId"))  # checked first
        order = self.find_order(key, params, cancel=True)
        if not order.is_open:
            raise errors.cancel_unknown()
        outcome = account.market.cancel_order(order_id=order.order_id)
        self._after(account, outcome.events)
        return bj.canceled(outcome.value, cancel_id, self.now_ms())

    def open_orders(self, key: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        account = self.account(key)
        symbol = self.symbol(params["symbol"]) if params.get("symbol") else None
        orders = account.market.open_orders(symbol)
        return [bj.order(o) for o in sorted(orders, key=lambda o: bj.order_number(o.order_id))]

    def cancel_all(self, key: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        account = self.account(key)
        symbol = self.symbol(params.get("symbol"))
        if not account.market.open_orders(symbol):
            # Binance answers a cancel-all with nothing open as an unknown order
            raise errors.cancel_unknown()
        outcome = account.market.cancel_all_orders(symbol)
        self._after(account, outcome.events)
        now = self.now_ms()
        return [bj.canceled(o, rules.new_client_id(None), now) for o in outcome.value]

    def all_orders(self, key: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """The account's orders of `symbol` (from the audit log), oldest first; like
        Binance, from `orderId`/`startTime` on when given, else the most recent."""
        account = self.account(key)
        symbol = self.symbol(params.get("symbol"))
        start, end = rules.int_param(params, "startTime"), rules.int_param(params, "endTime")
        from_id = rules.int_param(params, "orderId")
        accepted = [
            e
            for e in self.audit
            if e.kind == "order"
            and e.account == key
            and e.symbol == symbol
            and (start is None or bj.ms(e.time) >= start)
            and (end is None or bj.ms(e.time) <= end)
            and (from_id is None or bj.order_number(e.order_id) >= from_id)
        ]
        chosen = _window(accepted, from_id is not None or start is not None, params)
        return [bj.order(account.market.get_order(order_id=e.order_id)) for e in chosen]

    def my_trades(self, key: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """The account's fills of `symbol`, oldest first; like Binance, from
        `fromId`/`startTime` on when given, else the most recent."""
        account = self.account(key)
        symbol = self.symbol(params.get("symbol"))
        start, end = rules.int_param(params, "startTime"), rules.int_param(params, "endTime")
        from_id, order_id = rules.int_param(params, "fromId"), rules.int_param(params, "orderId")
        fills = [
            f
            for f in account.market.get_fills(symbol)
            if (start is None or bj.ms(f.time) >= start)
            and (end is None or bj.ms(f.time) <= end)
            and (from_id is None or bj.trade_number(f.trade_id) >= from_id)
            and (order_id is None or bj.order_number(f.order_id) == order_id)
        ]
        chosen = _window(fills, from_id is not None or start is not None, params)
        return [bj.my_trade(f) for f in chosen]

    def account_json(self, key: str) -> dict[str, Any]:
        account = self.account(key)
        market = account.market
        config = market.config
        return bj.account(market.account(), config.maker_fee, config.taker_fee, account.uid)

    # ---- simulator controls (gridops errors) ---------------------------------------

    def set_price(
        self, symbol: str, price: Decimal, account: str = ""
    ) -> tuple[Ticker, list[Order]]:
        """Move the price on every account's market; the fills of `account` (all: '')."""
        if symbol not in self.reference.symbols():
            raise InvalidArgument(f"symbol: unknown symbol {symbol!r}")
        wanted = self.sim_account(account).key if account else None
        ticker: Ticker | None = None
        filled: list[Order] = []
        for venue_account in self.accounts.values():
            outcome = venue_account.market.set_price(symbol, price)
            ticker = outcome.value.ticker
            if wanted is None or venue_account.key == wanted:
                filled += outcome.value.filled
            self._after(venue_account, outcome.events, prices=venue_account.key == self.default_key)
        assert ticker is not None
        return ticker, filled

    def step(self, dt_seconds: float) -> None:
        """One step of the seeded price walk (the first account's generator), every
        account's market moved to the same prices."""
        first = self.accounts[self.default_key]
        for symbol in self.symbols.values():
            outcome = first.market.step(symbol, dt_seconds)
            self._after(first, outcome.events)
            price = outcome.value.ticker.price
            for other in self.accounts.values():
                if other is not first:
                    moved = other.market.set_price(symbol, price)
                    self._after(other, moved.events, prices=False)

    def fill_order(
        self, account: str, client_order_id: str, quantity: Decimal | None
    ) -> tuple[Order, Fill]:
        venue_account = self.sim_account(account)
        latest, _ = _versions(venue_account.market, client_order_id)
        if latest is None:
            raise NotFound(f"order: no order with client_order_id {client_order_id!r}")
        try:
            outcome = venue_account.market.fill_order(latest.client_order_id, quantity)
        except GridopsError:
            self._after(venue_account, [])
            raise
        self._after(venue_account, outcome.events)
        return outcome.value.order, outcome.value.fill

    def set_balances(self, account: str, balances: Mapping[str, Decimal]) -> Any:
        venue_account = self.sim_account(account)
        outcome = venue_account.market.set_balances(balances)
        self._after(venue_account, outcome.events)
        return outcome.value

    def counters(self, account: str) -> Counters:
        """The market's counters; orders refused before the market count as rejected."""
        venue_account = self.sim_account(account)
        counters = venue_account.market.counters()
        counters.orders_rejected += self.refused.get(venue_account.key, 0)
        return counters

    def audit_log(self, account: str, after: int, limit: int) -> list[AuditEntry]:
        key = self.sim_account(account).key if account else None
        found = [e for e in self.audit if e.sequence > after and (key is None or e.account == key)]
        return found[:limit] if limit else found

    # ---- events --------------------------------------------------------------------

    def _after(
        self, account: VenueAccount, events: list[ExchangeEvent], *, prices: bool = True
    ) -> None:
        """Record what a market call did; announce it once it is durable."""
        self.audit += entries_for(account.key, events, len(self.audit) + 1)
        self.commit(account.key, lambda: self._announce(account, events, prices=prices))

    def _announce(
        self, account: VenueAccount, events: list[ExchangeEvent], *, prices: bool
    ) -> None:
        now = self.now_ms()
        for event in events:
            if isinstance(event, OrderEvent):
                self._user(account, _report(event, now))
                if event.fill is not None:
                    self._public_trade(event.fill, now)
            elif isinstance(event, AccountEvent):
                self._user(account, ev.account_position(event.account, now))
            elif isinstance(event, PriceEvent) and prices:
                ticker = event.ticker
                stream = bj.market_id(ticker.symbol).lower()
                self._book_update_id += 1
                self._market(f"{stream}@ticker", ev.ticker_event(ticker.symbol, ticker.price, now))
                self._market(
                    f"{stream}@miniTicker", ev.mini_ticker_event(ticker.symbol, ticker.price, now)
                )
                self._market(
                    f"{stream}@bookTicker",
                    ev.book_ticker_event(ticker.symbol, ticker.price, self._book_update_id),
                )

    def _public_trade(self, fill: Fill, now: int) -> None:
        """Every account's fills are trades on the public tape."""
        self._public_trade_id += 1
        stream = bj.market_id(fill.symbol).lower()
        # the buyer is the maker when a resting buy filled, or a taking sell
        buyer_maker = fill.maker == (fill.side is Side.BUY)
        trade = ev.trade_event(
            fill.symbol, self._public_trade_id, fill.price, fill.quantity, now, buyer_maker
        )
        self._market(f"{stream}@trade", trade)
        self._market(f"{stream}@aggTrade", ev.agg_trade_event(trade))

    def _user(self, account: VenueAccount, event: dict[str, Any]) -> None:
        for sink in list(account.sinks):
            sink(event)

    def _market(self, stream: str, event: dict[str, Any]) -> None:
        for sink in list(self.market_sinks):
            sink(stream, event)


def _window(items: list[T], from_the_start: bool, params: Mapping[str, str]) -> list[T]:
    """`limit` items (default 500, at most 1000): the first ones, or the newest ones."""
    limit = rules.limit(params, 500, 1000)
    return items[:limit] if from_the_start else items[-limit:]


def _report(event: OrderEvent, now: int) -> dict[str, Any]:
    order = event.order
    if event.fill is not None:
        execution = "TRADE"
    elif order.status is OrderStatus.CANCELED:
        execution = "CANCELED"
    else:
        execution = "NEW"
    return ev.execution_report(order, event.fill, now, execution=execution)


def _versions(market: SimMarket, client_id: str) -> tuple[Order | None, int]:
    """The latest order that used `client_id` and how many orders used it."""
    latest: Order | None = None
    uses = 0
    while True:
        candidate = client_id if uses == 0 else f"{client_id}#{uses}"
        try:
            latest = market.get_order(client_order_id=candidate)
        except (NotFound, InvalidArgument):
            return latest, uses
        uses += 1
