"""ccxt.pro's watch_* against the venue: market streams on /ws, user data on /ws-api/v3."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import ccxt.pro
import pytest

from gridops.client import SimulatorClient
from tests.support.venue import VenueProcess, binance_for

TIMEOUT = 10


async def _until(watch: Any, done: Any) -> Any:
    """Call `watch()` until `done(result)`; ccxt returns what arrived since the last call."""

    async def loop() -> Any:
        while True:
            result = await watch()
            if done(result):
                return result

    return await asyncio.wait_for(loop(), TIMEOUT)


async def test_ticker_and_book_ticker_follow_set_price(exchange: Any, sim: SimulatorClient) -> None:
    await exchange.watch_ticker("ETH/USDT")  # subscribed once the first update is in
    watching = asyncio.ensure_future(
        _until(lambda: exchange.watch_ticker("ETH/USDT"), lambda t: t["last"] == 3111.11)
    )
    await asyncio.sleep(0)
    while not watching.done():
        await sim.set_price("ETH/USDT", "3111.11")
        await asyncio.wait([watching], timeout=0.2)
    ticker = watching.result()
    assert ticker["symbol"] == "ETH/USDT"


async def test_user_data_stream_sees_orders_fills_and_balances(
    venue: VenueProcess, sim: SimulatorClient
) -> None:
    exchange = binance_for(venue)
    try:
        await exchange.load_markets()
        orders = asyncio.ensure_future(
            _until(
                lambda: exchange.watch_orders("BTC/USDT"),
                lambda os: any(
                    o["clientOrderId"] == "ws-1" and o["status"] == "closed" for o in os
                ),
            )
        )
        trades = asyncio.ensure_future(
            _until(
                lambda: exchange.watch_my_trades("BTC/USDT"),
                lambda ts: any(t["info"].get("c") == "ws-1" for t in ts),
            )
        )
        balances = asyncio.ensure_future(
            _until(lambda: exchange.watch_balance(), lambda b: b.get("BTC", {}).get("used") == 0)
        )
        # the user data stream is subscribed before the order is placed
        await asyncio.wait_for(_subscribed(exchange), TIMEOUT)
        await exchange.create_order(
            "BTC/USDT", "limit", "sell", 0.01, 60000, {"newClientOrderId": "ws-1"}
        )
        await sim.fill_order("ws-1")
        done = await asyncio.wait_for(asyncio.gather(orders, trades, balances), TIMEOUT)
        closed = next(o for o in done[0] if o["clientOrderId"] == "ws-1")
        assert closed["filled"] == 0.01
        trade = next(t for t in done[1] if t["info"].get("c") == "ws-1")
        assert trade["price"] == 60000
        assert trade["fee"]["cost"] == 0.6
    finally:
        await exchange.close()


async def _subscribed(exchange: Any) -> None:
    url = exchange.urls["api"]["ws"]["ws-api"]["spot"]
    while True:
        client = exchange.clients.get(url)
        if (
            client is not None
            and client.subscriptions.get("spot")
            and not client.futures.get("authenticate:signature:spot")
        ):
            return
        await asyncio.sleep(0.02)


async def test_trading_over_the_websocket_api(exchange: Any) -> None:
    placed = await exchange.create_order_ws(
        "BTC/USDT", "limit", "buy", 0.01, 43000, {"newClientOrderId": "wsapi-1"}
    )
    assert placed["clientOrderId"] == "wsapi-1"
    fetched = await exchange.fetch_order_ws(placed["id"], "BTC/USDT")
    assert fetched["status"] == "open"
    assert placed["id"] in [o["id"] for o in await exchange.fetch_open_orders_ws("BTC/USDT")]
    canceled = await exchange.cancel_order_ws(placed["id"], "BTC/USDT")
    assert canceled["status"] == "canceled"
    with pytest.raises(ccxt.OrderNotFound):
        await exchange.cancel_order_ws(placed["id"], "BTC/USDT")


async def test_user_data_with_a_wrong_secret_is_refused(venue: VenueProcess) -> None:
    """Checked on the wire: ccxt 4.5.90 raises AuthenticationError for this answer, then
    trips over its own clean-up (a KeyError in ensure_user_data_stream_ws_subscribe_signature)."""
    exchange = binance_for(venue, secret="not-the-secret")
    try:
        for params, code in [
            (exchange.sign_params({}), -1022),
            ({**exchange.sign_params({}), "apiKey": "nobody"}, -2015),
        ]:
            async with (
                aiohttp.ClientSession() as session,
                session.ws_connect(f"{venue.ws_url}/ws-api/v3") as ws,
            ):
                await ws.send_json(
                    {"id": "1", "method": "userDataStream.subscribe.signature", "params": params}
                )
                reply = await ws.receive_json(timeout=TIMEOUT)
            assert reply["id"] == "1"
            assert reply["status"] in (400, 401)
            assert reply["error"]["code"] == code
    finally:
        await exchange.close()
