"""The account's trade history: every fill, with unique increasing trade ids."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from gridops import order_ids
from gridops.models import Fill, Side

from .changes import Archive
from .orders import OrderState

TRADE_ID_PREFIX = "t-"


def fill_number(fill: Fill) -> int:
    """The fill's place in its account's history (trade ids are t-1, t-2, ...)."""
    return int(fill.trade_id.removeprefix(TRADE_ID_PREFIX))


class FillLog:
    """Fills in the order they happened: the newest in memory, the released in the archive."""

    def __init__(self) -> None:
        #: where released fills are read back (None: nothing is ever released)
        self.archive: Archive | None = None
        #: the fills in memory: the newest ones, numbered up to next_number - 1
        self._fills: list[Fill] = []
        self.next_number = 1

    def record(
        self,
        order: OrderState,
        price: Decimal,
        quantity: Decimal,
        *,
        fee: Decimal,
        fee_asset: str,
        maker: bool,
        time: datetime,
    ) -> Fill:
        fill = Fill(
            trade_id=f"{TRADE_ID_PREFIX}{self.next_number}",
            order_id=order.order_id,
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            price=price,
            quantity=quantity,
            fee=fee,
            fee_asset=fee_asset,
            maker=maker,
            time=time,
        )
        self.next_number += 1
        self._fills.append(fill)
        return fill

    def query(
        self,
        symbol: str | None = None,
        since: datetime | None = None,
        prefix: str | None = None,
        limit: int | None = None,
    ) -> list[Fill]:
        """Fills at or after `since`, oldest first; `limit` keeps the oldest ones.

        `prefix` keeps one strategy's fills (gridops.order_ids.matches).
        """
        first = self.next_number - len(self._fills)
        found = []
        if self.archive is not None and first > 1:
            found = self.archive.fills(first, symbol, since, prefix, limit)
            if limit and len(found) >= limit:
                return found[:limit]
        found += [
            f
            for f in self._fills
            if (not symbol or f.symbol == symbol)
            and (since is None or f.time >= since)
            and order_ids.matches(prefix, f.client_order_id)
        ]
        return found[:limit] if limit else found

    def forget_through(self, number: int) -> None:
        """Drop the fills numbered up to `number` from memory (the archive holds them)."""
        first = self.next_number - len(self._fills)
        if number >= first:
            del self._fills[: number - first + 1]

    def to_dict(self) -> dict[str, Any]:
        return {"next_number": self.next_number, "fills": [fill_to_dict(f) for f in self._fills]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FillLog:
        log = cls()
        log._fills = [fill_from_dict(f) for f in data["fills"]]
        log.next_number = int(data["next_number"])
        return log


def fill_to_dict(fill: Fill) -> dict[str, Any]:
    return {
        "trade_id": fill.trade_id,
        "order_id": fill.order_id,
        "client_order_id": fill.client_order_id,
        "symbol": fill.symbol,
        "side": fill.side.value,
        "price": str(fill.price),
        "quantity": str(fill.quantity),
        "fee": str(fill.fee),
        "fee_asset": fill.fee_asset,
        "maker": fill.maker,
        "time": fill.time.isoformat(),
    }


def fill_from_dict(data: dict[str, Any]) -> Fill:
    return Fill(
        trade_id=data["trade_id"],
        order_id=data["order_id"],
        client_order_id=data["client_order_id"],
        symbol=data["symbol"],
        side=Side(data["side"]),
        price=Decimal(data["price"]),
        quantity=Decimal(data["quantity"]),
        fee=Decimal(data["fee"]),
        fee_asset=data["fee_asset"],
        maker=bool(data["maker"]),
        time=datetime.fromisoformat(data["time"]),
    )
