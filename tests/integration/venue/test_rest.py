"""ccxt's async binance against `gridops venue`: markets, orders, fills, accounts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt.pro
import grpc
import pytest

from gridops.client import SimulatorClient
from tests.support.venue import VenueProcess, audit_problems, binance_for


async def test_markets_carry_the_configured_rules(exchange: Any) -> None:
    btc = exchange.markets["BTC/USDT"]
    assert btc["spot"]
    assert btc["active"]
    assert btc["id"] == "BTCUSDT"
    filters = {f["filterType"]: f for f in btc["info"]["filters"]}
    assert Decimal(filters["PRICE_FILTER"]["tickSize"]) == Decimal("0.5")
    assert Decimal(filters["LOT_SIZE"]["stepSize"]) == Decimal("0.001")
    assert Decimal(filters["LOT_SIZE"]["minQty"]) == Decimal("0.002")
    assert Decimal(filters["NOTIONAL"]["minNotional"]) == Decimal("20")
    assert btc["precision"]["price"] == 0.5
    assert btc["limits"]["cost"]["min"] == 20
    assert set(exchange.symbols) == {"BTC/USDT", "ETH/USDT"}


async def test_time_and_tickers(exchange: Any, sim: SimulatorClient) -> None:
    assert abs(await exchange.fetch_time() - exchange.milliseconds()) < 5000
    await sim.set_price("ETH/USDT", "3000.5")
    ticker = await exchange.fetch_ticker("ETH/USDT")
    assert ticker["info"]["lastPrice"] == "3000.50000000"
    tickers = await exchange.fetch_tickers()
    assert set(tickers) == {"BTC/USDT", "ETH/USDT"}
    book = await exchange.fetch_bids_asks(["ETH/USDT"])
    assert book["ETH/USDT"]["info"]["bidPrice"] == "3000.50000000"


async def test_create_fetch_cancel_by_id_and_client_id(exchange: Any) -> None:
    order = await exchange.create_order(
        "BTC/USDT", "limit", "buy", 0.01, 40000, {"newClientOrderId": "rest-1"}
    )
    assert order["clientOrderId"] == "rest-1"
    assert order["status"] == "open"
    by_id = await exchange.fetch_order(order["id"], "BTC/USDT")
    by_client_id = await exchange.fetch_order(None, "BTC/USDT", {"origClientOrderId": "rest-1"})
    assert by_id["id"] == by_client_id["id"] == order["id"]
    assert by_id["info"]["price"] == "40000.00000000"
    open_ids = [o["id"] for o in await exchange.fetch_open_orders("BTC/USDT")]
    assert order["id"] in open_ids
    canceled = await exchange.cancel_order(None, "BTC/USDT", {"origClientOrderId": "rest-1"})
    assert canceled["status"] == "canceled"
    assert order["id"] not in [o["id"] for o in await exchange.fetch_open_orders("BTC/USDT")]
    # Binance frees a closed order's client id for a new order
    again = await exchange.create_order(
        "BTC/USDT", "limit", "buy", 0.01, 40000, {"newClientOrderId": "rest-1"}
    )
    assert again["id"] != order["id"]
    latest = await exchange.fetch_order(None, "BTC/USDT", {"origClientOrderId": "rest-1"})
    assert latest["id"] == again["id"]
    assert latest["status"] == "open"
    await exchange.cancel_order(again["id"], "BTC/USDT")
    history = await exchange.fetch_orders("BTC/USDT")
    assert {order["id"], again["id"]} <= {o["id"] for o in history}


async def test_post_only_and_cancel_all(exchange: Any) -> None:
    maker = await exchange.create_order(
        "ETH/USDT", "limit", "sell", 1, 3500, {"postOnly": True, "newClientOrderId": "po-1"}
    )
    assert maker["info"]["type"] == "LIMIT_MAKER"
    await exchange.create_order("ETH/USDT", "limit", "buy", 1, 2500, {"newClientOrderId": "po-2"})
    canceled = await exchange.cancel_all_orders("ETH/USDT")
    # like Binance: clientOrderId is the cancel request's own, the order's is the original
    assert {o["info"]["origClientOrderId"] for o in canceled} == {"po-1", "po-2"}
    assert await exchange.fetch_open_orders("ETH/USDT") == []


async def test_offline_fill_is_in_my_trades_and_balance(
    exchange: Any, sim: SimulatorClient
) -> None:
    before = await exchange.fetch_balance()
    order = await exchange.create_order(
        "BTC/USDT", "limit", "buy", 0.01, 45000, {"newClientOrderId": "fill-1"}
    )
    filled, _fill = await sim.fill_order("fill-1")
    assert filled.filled_quantity == Decimal("0.01")
    trades = await exchange.fetch_my_trades("BTC/USDT")
    mine = [t for t in trades if t["order"] == order["id"]]
    assert len(mine) == 1
    assert mine[0]["info"]["price"] == "45000.00000000"
    assert mine[0]["info"]["commission"] == "0.45000000"  # maker fee 0.1 % of 450 USDT
    assert mine[0]["takerOrMaker"] == "maker"
    after = await exchange.fetch_balance()
    assert Decimal(str(after["total"]["BTC"])) - Decimal(str(before["total"]["BTC"])) == Decimal(
        "0.01"
    )
    closed = await exchange.fetch_order(order["id"], "BTC/USDT")
    assert closed["status"] == "closed"
    assert closed["filled"] == 0.01


async def test_crossing_limit_takes_at_once(exchange: Any, sim: SimulatorClient) -> None:
    await sim.set_price("ETH/USDT", "3000")
    order = await exchange.create_order(
        "ETH/USDT", "limit", "buy", 0.5, 3100, {"newClientOrderId": "take-1"}
    )
    assert order["status"] == "closed"
    assert order["trades"][0]["price"] == 3000
    assert order["fee"]["cost"] == 3.0  # taker 0.2 % of 1500


@pytest.mark.parametrize(
    ("call", "error"),
    [
        # ccxt rounds to the tick itself: the raw endpoint sends what it is given
        (lambda ex: ex.privatePostOrder(_raw("BTCUSDT", "50000.3", "0.01")), ccxt.InvalidOrder),
        (lambda ex: ex.privatePostOrder(_raw("BTCUSDT", "40000", "0.0105")), ccxt.InvalidOrder),
        (lambda ex: ex.privatePostOrder(_raw("BTCUSDT", "1000", "0.002")), ccxt.BadRequest),
        (lambda ex: ex.create_order("BTC/USDT", "limit", "buy", 3, 49000), ccxt.InsufficientFunds),
        (
            lambda ex: ex.create_order("BTC/USDT", "limit", "buy", 0.01, 51000, {"postOnly": True}),
            ccxt.OrderImmediatelyFillable,
        ),
        (lambda ex: ex.fetch_order("999999", "BTC/USDT"), ccxt.OrderNotFound),
        (lambda ex: ex.cancel_order("999999", "BTC/USDT"), ccxt.OrderNotFound),
    ],
    ids=["price-filter", "lot-size", "notional", "balance", "post-only", "fetch", "cancel"],
)
async def test_refusals_raise_ccxts_own_exceptions(
    exchange: Any, sim: SimulatorClient, call: Any, error: type[Exception]
) -> None:
    await sim.set_price("BTC/USDT", "50000")
    with pytest.raises(error) as raised:
        await call(exchange)
    if error is ccxt.BadRequest:
        assert "NOTIONAL" in str(raised.value)


async def test_duplicate_open_client_id_is_refused(exchange: Any) -> None:
    await exchange.create_order(
        "BTC/USDT", "limit", "buy", 0.01, 30000, {"newClientOrderId": "dup-1"}
    )
    with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent"):
        await exchange.create_order(
            "BTC/USDT", "limit", "buy", 0.01, 30000, {"newClientOrderId": "dup-1"}
        )
    await exchange.cancel_order(None, "BTC/USDT", {"origClientOrderId": "dup-1"})


async def test_authentication_refusals(venue: VenueProcess) -> None:
    wrong_secret = binance_for(venue, secret="wrong-secret")  # -1022
    unknown_key = binance_for(venue, "nobody", secret="x")  # -2015
    late_clock = binance_for(venue)  # -1021: ten minutes behind, outside any recvWindow
    late_clock.nonce = lambda: late_clock.milliseconds() - 600_000
    try:
        for client, error in [
            (wrong_secret, ccxt.AuthenticationError),
            (unknown_key, ccxt.AuthenticationError),
            (late_clock, ccxt.InvalidNonce),
        ]:
            with pytest.raises(error):
                await client.fetch_balance()
    finally:
        for client in (wrong_secret, unknown_key, late_clock):
            await client.close()


async def test_accounts_are_isolated(venue: VenueProcess, sim: SimulatorClient) -> None:
    alice, bob = binance_for(venue, "alice-key"), binance_for(venue, "bob-key")
    bob_sim = SimulatorClient(venue.grpc_address, account="bob-key")
    try:
        await bob_sim.set_balances({"USDT": "123"})
        order = await alice.create_order(
            "BTC/USDT", "limit", "buy", 0.01, 41000, {"newClientOrderId": "iso-1"}
        )
        assert (await bob.fetch_balance())["total"]["USDT"] == 123
        assert order["id"] not in [o["id"] for o in await bob.fetch_open_orders("BTC/USDT")]
        with pytest.raises(ccxt.OrderNotFound):
            await bob.fetch_order(None, "BTC/USDT", {"origClientOrderId": "iso-1"})
        # the same client id in another account is another order
        await bob.create_order(
            "BTC/USDT", "limit", "buy", 0.002, 41000, {"newClientOrderId": "iso-1"}
        )
        # a price move is every account's
        await sim.set_price("BTC/USDT", "52000")
        assert (await bob.fetch_ticker("BTC/USDT"))["last"] == 52000
        bob_stats = await bob_sim.get_stats()
        assert bob_stats.open_orders == 1
        await alice.cancel_order(order["id"], "BTC/USDT")
        await bob.cancel_all_orders("BTC/USDT")
    finally:
        await alice.close()
        await bob.close()
        await bob_sim.close()


async def test_audit_log_shows_orders_cancels_and_fills(
    exchange: Any, sim: SimulatorClient
) -> None:
    start = await sim.get_audit_log(every_account=True)
    after = start[-1].sequence if start else 0
    order = await exchange.create_order(
        "BTC/USDT", "limit", "buy", 0.004, 42000, {"newClientOrderId": "audit-1"}
    )
    await sim.fill_order("audit-1", "0.002")
    await exchange.cancel_order(order["id"], "BTC/USDT")
    entries = await sim.get_audit_log(after)
    kinds = [(e.kind, e.client_order_id, e.quantity) for e in entries]
    assert kinds == [(1, "audit-1", "0.004"), (3, "audit-1", "0.002"), (2, "audit-1", "0.002")]
    assert [e.sequence for e in entries] == sorted(e.sequence for e in entries)
    assert audit_problems(await sim.get_audit_log(every_account=True)) == []


def _raw(symbol: str, price: str, quantity: str) -> dict[str, str]:
    return {
        "symbol": symbol,
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "price": price,
        "quantity": quantity,
    }


async def test_grpc_health_and_reflection(venue: VenueProcess) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    async with grpc.aio.insecure_channel(venue.grpc_address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        answer = await health.Check(health_pb2.HealthCheckRequest(service=""))
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        async for reply in reflection.ServerReflectionInfo(iter([request])):
            names = {s.name for s in reply.list_services_response.service}
            assert "gridops.v1.Simulator" in names
            break


def test_sigterm_stops_cleanly(tmp_path: Path) -> None:
    venue = VenueProcess(tmp_path).start()
    assert venue.terminate() == 0
    assert "Traceback" not in venue.output
