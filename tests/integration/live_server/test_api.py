"""The live server's REST API against a real stack: shapes and values match the connector."""

from __future__ import annotations

from decimal import Decimal

import aiohttp
import pytest

from gridops.live_server import views
from gridops.precision import Precision
from tests.support.poll import wait_until

from .conftest import Stack


async def _precision(stack: Stack) -> Precision:
    return Precision([await stack.client.get_symbol_info(s) for s in ("BTC/USDT", "ETH/USDT")])


async def test_account_positions_orders_match_the_connector(stack: Stack) -> None:
    p = await _precision(stack)
    code, account = stack.live.get("/api/account")
    assert code == 200
    expected = views.account(await stack.client.get_account(), p)
    assert account["balances"] == expected["balances"]
    assert account["quoteAsset"] == "USDT"
    assert Decimal(account["equity"]) == Decimal(expected["equity"])

    code, orders = stack.live.get("/api/orders?symbol=BTC/USDT")
    assert code == 200
    connector_orders = await stack.client.get_open_orders("BTC/USDT")
    assert orders == [views.order(o, p) for o in connector_orders]
    assert len(orders) == 5
    assert set(orders[0]) == {
        "orderId", "clientOrderId", "strategy", "symbol", "side", "type", "price", "quantity",
        "filledQuantity", "averageFillPrice", "status", "createdAt", "updatedAt",
    }  # fmt: skip

    top = next(o for o in orders if o["price"] == "50000")
    await stack.sim.fill_order(top["clientOrderId"])
    code, positions = stack.live.get("/api/positions?symbol=BTC/USDT")
    assert code == 200
    # Everything but the timestamp the exchange stamps at each read.
    expected_positions = [
        views.position(x, p) for x in await stack.client.get_positions("BTC/USDT")
    ]
    for document in (*positions, *expected_positions):
        document.pop("updatedAt")
    assert positions == expected_positions
    assert positions[0]["quantity"] == "0.001"

    code, fills = stack.live.get("/api/fills?symbol=BTC/USDT&limit=10")
    assert code == 200
    assert [f["clientOrderId"] for f in fills] == [top["clientOrderId"]]
    assert fills[0]["price"] == "50000"


async def test_status_and_prices(stack: Stack) -> None:
    await stack.sim.set_price("BTC/USDT", "50020")
    await stack.sim.set_price("BTC/USDT", "50030")

    def prices() -> list[str]:
        code, body = stack.live.get("/api/prices?symbol=BTC/USDT")
        assert code == 200
        return [p["price"] for p in body] if body and body[-1]["price"] == "50030" else []

    history = wait_until(prices, message="price history")
    assert history[-2:] == ["50020", "50030"]

    def status() -> dict[str, object] | None:
        code, body = stack.live.get("/api/status")
        mm = body["marketMakers"][0]
        return body if code == 200 and mm["reachable"] and mm["status"]["synced"] else None

    body = wait_until(status, message="market maker status")
    assert body is not None
    assert body["connector"]["connected"] is True  # type: ignore[index]
    assert body["connector"]["exchange"] == "sim"  # type: ignore[index]
    mm = body["marketMakers"][0]  # type: ignore[index]
    assert mm["status"]["name"] == "t-grid"
    assert mm["prefix"] == "t-grid"  # its client order ids' prefix: the page tells its orders apart
    assert "kubectl" not in mm  # commands only under --operator-managed
    assert len(mm["status"]["openOrders"]) == 5
    assert stack.live.get("/readyz")[0] == 200
    code, text = stack.live.get("/metrics")
    assert code == 200
    assert "gridops_live_connector_connected 1.0" in text


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ("/api/orders?symbol=DOGE/USDT", "symbol"),
        ("/api/positions?symbol=nope", "symbol"),
        ("/api/fills?limit=0", "limit"),
        ("/api/fills?limit=abc", "limit"),
        ("/api/fills?limit=100000", "limit"),
        ("/api/prices", "symbol"),
        ("/api/prices?symbol=BTC/USDT&limit=-1", "limit"),
        ("/api/orders?prefix=bad%20prefix", "prefix"),
    ],
)
async def test_bad_query_parameters_get_400_naming_them(
    stack: Stack, query: str, word: str
) -> None:
    code, body = stack.live.get(query)
    assert code == 400
    assert body["error"].startswith(word)


async def test_unknown_api_paths_answer_json(stack: Stack) -> None:
    code, body = stack.live.get("/api/nope")
    assert code == 404
    assert "/api/nope" in body["error"]
    code, body = stack.live.get("/api/orders/extra/parts")
    assert code == 404
    assert body["error"].startswith("no such API path")
    # a known path with the wrong method: 405, in JSON too
    code, body, kind = stack.live.post("/api/orders", {})
    assert (code, kind.split(";")[0]) == (405, "application/json")
    assert "POST /api/orders" in body["error"]


async def test_ws_messages_sent_is_a_counter(stack: Stack) -> None:
    def metrics() -> tuple[list[str], dict[str, float]]:
        code, text = stack.live.get("/metrics")
        assert code == 200
        lines = text.splitlines()
        samples = dict(line.rsplit(" ", 1) for line in lines if line and line[0] != "#")
        return lines, {name: float(value) for name, value in samples.items()}

    lines, samples = metrics()
    for name in ("gridops_live_ws_messages_sent", "gridops_live_ws_clients_dropped"):
        assert f"# TYPE {name}_total counter" in lines
        assert name not in samples  # no gauge of that name left
    before = samples["gridops_live_ws_messages_sent_total"]
    async with aiohttp.ClientSession() as session, session.ws_connect(stack.live.ws_url) as ws:
        assert (await ws.receive_json(timeout=5))["type"] == "hello"
        await stack.sim.set_price("BTC/USDT", "50015")
        while (await ws.receive_json(timeout=5))["type"] != "price":
            pass
    assert metrics()[1]["gridops_live_ws_messages_sent_total"] > before
