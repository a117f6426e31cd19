"""Fills from myTrades, which names orders by orderId only: mapped back to client ids."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import Any

from gridops import order_ids
from gridops.errors import InvalidArgument, NotFound
from gridops.models import Fill

from . import convert
from .requests import MAX_SEARCH_SYMBOLS, VenueRequests

#: myTrades pages read for one GetFills at most
MAX_TRADE_PAGES = 20
TRADE_PAGE = 1000
#: allOrders pages read to learn the client ids of unknown orders, at most
MAX_ORDER_PAGES = 5
ORDER_PAGE = 1000


class FillCalls(VenueRequests):
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
            trades = await self._trades(s, since)
            await self._learn_orders(s, trades)
            for raw in trades:
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

    async def _learn_orders(self, symbol: str, trades: list[dict[str, Any]]) -> None:
        """Index the orders behind `trades` that this connector has not seen yet.

        myTrades names a fill's orderId, not its client id. A connector that just started
        knows no order, and asking for each one would be one request per order (a minute
        of history: dozens, each rate-limited) in the resync every market maker makes
        after a connector restart. Binance's allOrders from the oldest unknown orderId on
        gives a thousand per request; whatever it misses is looked up one by one.
        """
        if not self.name.startswith("binance"):
            return
        unknown = sorted(
            {
                int(n)
                for n in (str(t.get("order") or "") for t in trades)
                if n.isdigit() and self.index.by_order_id(n) is None
            }
        )
        if len(unknown) < 2:
            return
        from_id = unknown[0]
        for _ in range(MAX_ORDER_PAGES):
            key = ("orders", symbol, from_id)
            params = {"orderId": from_id}
            fetch = partial(self.exchange.fetch_orders, symbol, None, ORDER_PAGE, params)
            page: list[dict[str, Any]] = await self._shared(key, fetch)
            for raw in page:
                self._order(raw)
            if len(page) < ORDER_PAGE or self.index.by_order_id(str(unknown[-1])) is not None:
                return
            last = str(page[-1].get("id") or "")
            if not last.isdigit():
                return
            from_id = int(last) + 1

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


def _numeric(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (0, text)
