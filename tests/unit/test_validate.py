"""gridops.connector.validate: wire requests to domain values or InvalidArgument."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from gridops.connector import validate
from gridops.errors import InvalidArgument
from gridops.models import OrderRequest, OrderType, Side
from gridops.v1 import connector_pb2 as cpb
from gridops.v1 import types_pb2 as pb

KNOWN = ("BTC/USDT", "ETH/USDT")


def request(**overrides: object) -> cpb.PlaceOrderRequest:
    fields: dict[str, object] = {
        "client_order_id": "grid-btc-0001",
        "symbol": "BTC/USDT",
        "side": pb.BUY,
        "type": pb.LIMIT,
        "price": "65000.01",
        "quantity": "0.001",
    }
    fields.update(overrides)
    return cpb.PlaceOrderRequest(**fields)  # type: ignore[arg-type]


def rejects(req: cpb.PlaceOrderRequest, field: str) -> str:
    with pytest.raises(InvalidArgument) as info:
        validate.place_order(req, KNOWN)
    message = str(info.value)
    assert message.startswith(f"{field}:"), message
    return message


# ---- place_order -------------------------------------------------------------------


def test_a_good_request_gives_an_order_request() -> None:
    order = validate.place_order(request(), KNOWN)
    assert order == OrderRequest(
        client_order_id="grid-btc-0001",
        symbol="BTC/USDT",
        side=Side.BUY,
        price=Decimal("65000.01"),
        quantity=Decimal("0.001"),
        type=OrderType.LIMIT,
    )
    assert isinstance(order.price, Decimal)
    assert isinstance(order.quantity, Decimal)


@pytest.mark.parametrize(
    ("side", "type_", "expected_side", "expected_type"),
    [
        (pb.BUY, pb.LIMIT, Side.BUY, OrderType.LIMIT),
        (pb.SELL, pb.LIMIT_MAKER, Side.SELL, OrderType.LIMIT_MAKER),
        (pb.SELL, pb.ORDER_TYPE_UNSPECIFIED, Side.SELL, OrderType.LIMIT),
    ],
)
def test_sides_and_types(
    side: int, type_: int, expected_side: Side, expected_type: OrderType
) -> None:
    order = validate.place_order(request(side=side, type=type_), KNOWN)
    assert order.side is expected_side
    assert order.type is expected_type


@pytest.mark.parametrize("field", ["price", "quantity"])
@pytest.mark.parametrize("bad", ["abc", "", "1e", "NaN", "Infinity", "-inf", "1,5"])
def test_bad_decimals_name_the_field(field: str, bad: str) -> None:
    rejects(request(**{field: bad}), field)


@pytest.mark.parametrize("field", ["price", "quantity"])
@pytest.mark.parametrize("bad", ["0", "-1", "-0.00000001", "0.000"])
def test_zero_and_negative_amounts_name_the_field(field: str, bad: str) -> None:
    assert "greater than 0" in rejects(request(**{field: bad}), field)


def test_unknown_symbol() -> None:
    message = rejects(request(symbol="DOGE/USDT"), "symbol")
    assert "'DOGE/USDT'" in message


def test_empty_symbol() -> None:
    assert "required" in rejects(request(symbol=""), "symbol")


@pytest.mark.parametrize(
    "bad", ["", "x" * 65, "has space", "semi;colon", "ünïcode", "new\nline", "a*b"]
)
def test_bad_client_order_ids(bad: str) -> None:
    rejects(request(client_order_id=bad), "client_order_id")


@pytest.mark.parametrize("good", ["a", "x" * 64, "grid.btc_0001:buy/2-x", "0"])
def test_good_client_order_ids(good: str) -> None:
    assert validate.place_order(request(client_order_id=good), KNOWN).client_order_id == good


def test_client_order_id_with_a_trailing_newline_is_rejected() -> None:
    # `$` in a regex also matches before a final "\n"; the id must still be refused.
    rejects(request(client_order_id="grid-1\n"), "client_order_id")


def test_unspecified_side() -> None:
    assert "BUY or SELL" in rejects(request(side=pb.SIDE_UNSPECIFIED), "side")


def test_unknown_enum_values_are_rejected() -> None:
    rejects(request(side=7), "side")
    rejects(request(type=9), "type")


# ---- order_ref ---------------------------------------------------------------------


@pytest.mark.parametrize("message_type", [cpb.GetOrderRequest, cpb.CancelOrderRequest])
def test_order_ref_by_either_id(
    message_type: type[cpb.GetOrderRequest] | type[cpb.CancelOrderRequest],
) -> None:
    assert validate.order_ref(message_type(client_order_id="grid-1")) == {
        "client_order_id": "grid-1"
    }
    assert validate.order_ref(message_type(order_id="98765")) == {"order_id": "98765"}


@pytest.mark.parametrize("message_type", [cpb.GetOrderRequest, cpb.CancelOrderRequest])
def test_order_ref_requires_an_id(
    message_type: type[cpb.GetOrderRequest] | type[cpb.CancelOrderRequest],
) -> None:
    with pytest.raises(InvalidArgument, match=r"^id: set client_order_id or order_id"):
        validate.order_ref(message_type())


def test_order_ref_checks_the_id_it_is_given() -> None:
    with pytest.raises(InvalidArgument, match=r"^client_order_id: required"):
        validate.order_ref(cpb.GetOrderRequest(client_order_id=""))
    with pytest.raises(InvalidArgument, match=r"^order_id: required"):
        validate.order_ref(cpb.CancelOrderRequest(order_id=""))
    with pytest.raises(InvalidArgument, match=r"^client_order_id:"):
        validate.order_ref(cpb.CancelOrderRequest(client_order_id="bad id"))


def test_order_ref_takes_the_last_id_set() -> None:
    req = cpb.GetOrderRequest(client_order_id="grid-1")
    req.order_id = "42"
    assert validate.order_ref(req) == {"order_id": "42"}


# ---- prefix, symbols ---------------------------------------------------------------


def test_empty_prefix_means_none() -> None:
    assert validate.prefix("") is None


@pytest.mark.parametrize("good", ["a", "btc-grid", "x" * 64, "grid.btc_0:buy/1", "a-b-c"])
def test_good_prefixes(good: str) -> None:
    assert validate.prefix(good) == good


def test_a_trailing_dash_is_dropped() -> None:
    # Older clients send "name-"; it is the same filter as "name".
    assert validate.prefix("btc-grid-") == "btc-grid"
    assert validate.prefix("x" * 63 + "-") == "x" * 63


@pytest.mark.parametrize(
    "bad",
    ["x" * 65, "has space", "ü", "a*", "grid-\nx", "-", "--", "-btc", "btc--", "btc--grid"],
)
def test_bad_prefixes(bad: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^client_order_id_prefix:"):
        validate.prefix(bad)


def test_prefix_with_a_trailing_newline_is_rejected() -> None:
    # Same `$`-before-final-newline hole as client_order_id.
    with pytest.raises(InvalidArgument, match=r"^client_order_id_prefix:"):
        validate.prefix("grid-\n")


def test_optional_symbol() -> None:
    assert validate.optional_symbol("", KNOWN) is None
    assert validate.optional_symbol("ETH/USDT", KNOWN) == "ETH/USDT"
    with pytest.raises(InvalidArgument, match=r"^symbol: unknown symbol 'XRP/USDT'"):
        validate.optional_symbol("XRP/USDT", KNOWN)


def test_symbol_uses_the_given_field_name() -> None:
    with pytest.raises(InvalidArgument, match=r"^prices\[0\].symbol: required"):
        validate.symbol("", KNOWN, field="prices[0].symbol")


# ---- since -------------------------------------------------------------------------


def test_unset_since_is_none() -> None:
    assert validate.since(cpb.GetFillsRequest()) is None


def test_since_at_the_epoch_is_kept_when_set() -> None:
    req = cpb.GetFillsRequest()
    req.since.CopyFrom(Timestamp())
    assert req.HasField("since")
    assert validate.since(req) == datetime(1970, 1, 1, tzinfo=UTC)


def test_since_is_an_aware_utc_datetime() -> None:
    when = datetime(2024, 5, 17, 12, 0, 0, 250000, tzinfo=UTC)
    stamp = Timestamp()
    stamp.FromDatetime(when)
    got = validate.since(cpb.GetFillsRequest(since=stamp))
    assert got == when
    assert got is not None
    assert got.tzinfo is not None


def test_since_before_1970_is_rejected() -> None:
    with pytest.raises(InvalidArgument, match=r"^since: must not be before 1970"):
        validate.since(cpb.GetFillsRequest(since=Timestamp(seconds=-1)))


# ---- balances ----------------------------------------------------------------------


def test_balances() -> None:
    items = [pb.Balance(asset="BTC", free="1.5"), pb.Balance(asset="USDT", free="1000")]
    assert validate.balances(items) == {"BTC": "1.5", "USDT": "1000"}
    assert validate.balances([]) == {}


def test_balances_duplicate_asset_names_the_index() -> None:
    items = [
        pb.Balance(asset="BTC", free="1"),
        pb.Balance(asset="USDT", free="2"),
        pb.Balance(asset="BTC", free="3"),
    ]
    with pytest.raises(InvalidArgument, match=r"^balances\[2\]\.asset: BTC listed twice"):
        validate.balances(items)


def test_balances_empty_asset_names_the_index() -> None:
    items = [pb.Balance(asset="BTC", free="1"), pb.Balance(asset="", free="2")]
    with pytest.raises(InvalidArgument, match=r"^balances\[1\]\.asset: required"):
        validate.balances(items)
