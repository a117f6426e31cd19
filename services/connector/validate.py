"""Request checking: wire requests become domain values or InvalidArgument naming the field."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from gridops import order_ids
from gridops.decimals import require_decimal
from gridops.errors import InvalidArgument
from gridops.models import OrderRequest
from gridops.v1 import connector_pb2 as cpb
from gridops.v1 import types_pb2 as pb
from gridops.wire import SIDE_FROM_PB, TYPE_FROM_PB, from_ts

# Exchanges accept short ids of safe characters; binance allows 36, others up to 64.
CLIENT_ORDER_ID = re.compile(r"[A-Za-z0-9._:/-]{1,64}")


def symbol(value: str, known: Collection[str], field: str = "symbol") -> str:
    if not value:
        raise InvalidArgument(f"{field}: required")
    if value not in known:
        raise InvalidArgument(f"{field}: unknown symbol {value!r} (known: {', '.join(known)})")
    return value


def optional_symbol(value: str, known: Collection[str]) -> str | None:
    return symbol(value, known) if value else None


def client_order_id(value: str, field: str = "client_order_id") -> str:
    if not value:
        raise InvalidArgument(f"{field}: required")
    if not CLIENT_ORDER_ID.fullmatch(value):
        raise InvalidArgument(
            f"{field}: {value!r} must be 1-64 characters of letters, digits and ._:/-"
        )
    return value


def prefix(value: str) -> str | None:
    """A strategy's id prefix, without the trailing "-" older clients send; None: no filter.

    It selects that strategy's ids exactly (gridops.order_ids.matches): "btc" selects
    btc-5-B-1, never btc-2-5-B-1.
    """
    if not order_ids.is_valid_prefix(value):
        raise InvalidArgument(
            f"client_order_id_prefix: {value!r} must be up to {order_ids.MAX_PREFIX} letters, "
            "digits or ._:/ in fields joined by single dashes (a strategy's prefix, e.g. "
            "btc-grid; one trailing dash is ignored)"
        )
    return order_ids.normalize_prefix(value) or None


def order_id(value: str) -> str:
    if not value:
        raise InvalidArgument("order_id: required")
    return value


def order_ref(request: cpb.GetOrderRequest | cpb.CancelOrderRequest) -> dict[str, str]:
    """The id a GetOrder/CancelOrder names, as keyword arguments for the adapter."""
    which = request.WhichOneof("id")
    if which == "client_order_id":
        return {"client_order_id": client_order_id(request.client_order_id)}
    if which == "order_id":
        return {"order_id": order_id(request.order_id)}
    raise InvalidArgument("id: set client_order_id or order_id")


def place_order(request: cpb.PlaceOrderRequest, known: Collection[str]) -> OrderRequest:
    if request.side not in SIDE_FROM_PB:
        raise InvalidArgument("side: must be BUY or SELL")
    if request.type not in TYPE_FROM_PB:
        raise InvalidArgument(f"type: unknown order type {request.type}")
    return OrderRequest(
        client_order_id=client_order_id(request.client_order_id),
        symbol=symbol(request.symbol, known),
        side=SIDE_FROM_PB[request.side],
        type=TYPE_FROM_PB[request.type],
        price=require_decimal(request.price, "price", positive=True),
        quantity=require_decimal(request.quantity, "quantity", positive=True),
    )


def since(request: cpb.GetFillsRequest) -> datetime | None:
    stamp: Timestamp = request.since
    if not request.HasField("since"):
        return None
    if stamp.seconds < 0:
        raise InvalidArgument("since: must not be before 1970")
    return from_ts(stamp)


def balances(items: Collection[pb.Balance]) -> dict[str, str]:
    """Simulator.SetBalances input: asset -> free amount (still a string here)."""
    out: dict[str, str] = {}
    for index, item in enumerate(items):
        if not item.asset:
            raise InvalidArgument(f"balances[{index}].asset: required")
        if item.asset in out:
            raise InvalidArgument(f"balances[{index}].asset: {item.asset} listed twice")
        out[item.asset] = item.free
    return out


def max_batch(value: int, most: int) -> int:
    """`max_batch` as asked (0: the connector's default), if at most `most`."""
    if value > most:
        raise InvalidArgument(f"max_batch: {value} is more than {most} (0: the default)")
    return value
