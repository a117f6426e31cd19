"""The ccxt back end against a real `gridops venue`: what only a real venue can do to it.

The venue SIGKILLed and restarted under a live order stream, a connector restarted while
an order filled, the venue saying "too many requests", and keys it refuses.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from gridops import errors
from gridops.client import (
    ConnectorClient,
    Disconnected,
    OrderChange,
    Resync,
    ResyncReason,
    SimulatorClient,
)
from gridops.connector.ccxt.adapter import CcxtAdapter
from gridops.connector.server import ConnectorServer, make_adapter
from gridops.connector.settings import ConnectorSettings
from gridops.models import Account, OrderRequest, OrderStatus, Side, Ticker
from tests.support.connector import ccxt_settings, running_ccxt_connector
from tests.support.poll import eventually
from tests.support.streams import Recorder
from tests.support.venue import VenueProcess


@pytest.fixture
def venue(tmp_path: Path) -> Iterator[VenueProcess]:
    process = VenueProcess(tmp_path).start()
    yield process
    process.stop()


def _buy(cid: str, price: str) -> OrderRequest:
    return OrderRequest(cid, "BTC/USDT", Side.BUY, Decimal(price), Decimal("0.001"))


async def _first_refusal(client: ConnectorClient) -> Exception:
    """GetAccount until the venue refuses one (GET /api/v3/account weighs 20)."""
    for _ in range(20):
        try:
            await client.get_account()
        except errors.GridopsError as error:
            return error
    raise AssertionError("the venue never refused a request")


async def _true(value: object) -> bool:
    return bool(value)


async def test_venue_killed_mid_stream_the_connector_recovers_and_streams_show_a_gap(
    venue: VenueProcess,
) -> None:
    async with running_ccxt_connector(venue, upstream_wait_seconds=20) as server:
        client = await ConnectorClient.connect(server.address, timeout=5)
        try:
            rec: Recorder[OrderChange] = Recorder(client.subscribe_orders("BTC/USDT"))
            await rec.wait_subscribed()
            await client.place_order(_buy("kill-1-B-1", "40000"))
            await rec.wait_updates(1)

            venue.kill()  # SIGKILL: sockets reset, nothing said
            await rec.wait_for(Disconnected)
            venue.start()  # same ports, same --state: kill-1-B-1 is still open there
            await rec.wait_for(Resync)
            # Nobody helped: the connector redialled, resubscribed and serves again.
            assert [o.client_order_id for o in await client.get_open_orders("BTC/USDT")] == [
                "kill-1-B-1"
            ]
            await client.place_order(_buy("kill-1-B-2", "40001"))
            await rec.wait_updates(2)
            await rec.stop()

            kinds = [type(i).__name__ for i in rec.items]
            assert kinds[:3] == ["Subscribed", "Update", "Disconnected"], kinds
            assert kinds[-2:] == ["Resync", "Update"], kinds
            resync = rec.of(Resync)[0]
            assert isinstance(resync, Resync)
            # A gap, not a new connector: the session stays, the subscriber resyncs.
            assert resync.reason is ResyncReason.RECONNECTED
            assert client.session_id == server.session_id
            assert [c.order.client_order_id for c in rec.values] == ["kill-1-B-1", "kill-1-B-2"]
            # Still ONE upstream: a second dial, never a second connection.
            assert server.adapter.upstream_connections == 1
            assert server.adapter.upstream_connects_total >= 2
        finally:
            await client.close()


async def test_a_fill_while_the_connector_was_down_is_in_get_fills_after_it_returns(
    venue: VenueProcess,
) -> None:
    async with running_ccxt_connector(venue) as server, ConnectorClient(server.address) as client:
        placed = await client.place_order(_buy("away-1-B-1", "45000"))
    # Connector gone; the order fills on the venue (an offline fill, price unchanged).
    async with SimulatorClient(venue.grpc_address) as sim:
        order, _ = await sim.fill_order("away-1-B-1")
    assert order.status is OrderStatus.FILLED
    # A new connector knows nothing of away-1-B-1: myTrades names only the orderId, and the
    # connector must find the client id that goes with it.
    async with running_ccxt_connector(venue) as server, ConnectorClient(server.address) as client:
        fills = await client.get_fills("BTC/USDT", prefix="away")
        assert [(f.client_order_id, f.order_id, f.quantity) for f in fills] == [
            ("away-1-B-1", placed.order.order_id, Decimal("0.001"))
        ]
        again = await client.place_order(_buy("away-1-B-1", "45000"))
        # Binance would take the id again (it is unique among OPEN orders only): not here.
        assert again.duplicate
        assert again.order.status is OrderStatus.FILLED


async def test_a_new_connector_learns_fills_client_ids_in_one_request_not_one_per_order(
    venue: VenueProcess,
) -> None:
    async with running_ccxt_connector(venue) as server, ConnectorClient(server.address) as client:
        for n, price in enumerate(("45000", "44900", "44800", "44700"), start=1):
            await client.place_order(_buy(f"learn-{n}-B-1", price))
    async with SimulatorClient(venue.grpc_address) as sim:
        for n in range(1, 5):
            await sim.fill_order(f"learn-{n}-B-1")
    # A restarted connector knows no order: the market makers' resync asks for the fills.
    async with running_ccxt_connector(venue) as server, ConnectorClient(server.address) as client:
        adapter = server.adapter
        assert isinstance(adapter, CcxtAdapter)
        calls: list[str] = []
        for name in ("fetch_order", "fetch_orders"):
            original = getattr(adapter.exchange, name)

            async def counted(*args: object, _name: str = name, _call: object = original,
                              **kwargs: object) -> object:  # fmt: skip
                calls.append(_name)
                return await _call(*args, **kwargs)  # type: ignore[operator]

            setattr(adapter.exchange, name, counted)
        fills = await client.get_fills("BTC/USDT")
        assert sorted(f.client_order_id for f in fills) == [f"learn-{n}-B-1" for n in range(1, 5)]
        assert calls == ["fetch_orders"], calls


async def test_a_429_is_resource_exhausted_and_the_connector_stops_asking(
    tmp_path: Path,
) -> None:
    venue = VenueProcess(tmp_path, extra=["--weight-limit", "150"]).start()
    try:
        async with (
            running_ccxt_connector(venue) as server,
            ConnectorClient(server.address) as client,
            SimulatorClient(venue.grpc_address) as sim,
        ):
            assert isinstance(await _first_refusal(client), errors.ResourceExhausted)
            refused = (await sim.get_stats()).rate_limited
            assert refused == 1
            # Within Retry-After the connector answers for the venue instead of asking.
            for _ in range(5):
                with pytest.raises(errors.ResourceExhausted, match=r"retry in \d"):
                    await client.get_account()
            stats = await sim.get_stats()
            assert (stats.rate_limited, stats.banned) == (refused, 0)
    finally:
        venue.stop()


def test_refused_keys_are_one_clear_line_and_exit_2(venue: VenueProcess, tmp_path: Path) -> None:
    secret = "not-the-venue-secret-42"
    credentials = tmp_path / "wrong.yaml"
    credentials.write_text(f"apiKey: {venue.api_key}\nsecret: {secret}\n")
    done = subprocess.run(
        [sys.executable, "-m", "gridops", "connector", "--exchange", "binance",
         "--host", "127.0.0.1", "--port", "0", "--no-metrics",
         "--api-url", venue.rest_url, "--ws-url", venue.ws_url,
         "--credentials-file", str(credentials)],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("gridops: binance refused the credentials in --credentials-file")
    assert "Traceback" not in done.stderr
    assert secret not in done.stderr


async def test_the_connector_counts_one_upstream_and_serves_while_subscribers_come_and_go(
    venue: VenueProcess,
) -> None:
    async with running_ccxt_connector(venue) as server, ConnectorClient(server.address) as client:
        for _ in range(3):
            rec: Recorder[OrderChange] = Recorder(client.subscribe_orders())
            await rec.wait_subscribed()
            await rec.stop()
        await eventually(lambda: _true(server.hub.count() == 0), message="subscribers gone")
        assert server.adapter.upstream_connects_total == 1
        assert server.adapter.upstream_connections == 1


async def test_the_polled_stream_shows_orders_fills_balances_and_prices(
    venue: VenueProcess,
) -> None:
    """The REST-polling fallback (any venue outside Binance's family), run here on the
    venue by forcing it: the same events, a poll later."""
    config = ConnectorSettings(
        host="127.0.0.1", port=0, metrics_port=None, grace_seconds=1.0, **ccxt_settings(venue)
    )
    adapter = make_adapter(config)
    assert isinstance(adapter, CcxtAdapter)
    adapter.polling, adapter.poll_seconds = True, 0.2
    server = ConnectorServer(adapter, config)
    await server.start()
    try:
        async with (
            ConnectorClient(server.address) as client,
            SimulatorClient(venue.grpc_address) as sim,
        ):
            orders: Recorder[OrderChange] = Recorder(client.subscribe_orders("BTC/USDT"))
            prices: Recorder[Ticker] = Recorder(client.subscribe_prices(["BTC/USDT"]))
            account: Recorder[Account] = Recorder(client.subscribe_account())
            for rec in (orders, prices, account):
                await rec.wait_subscribed()
            await client.place_order(_buy("poll-1-B-1", "45000"))
            await client.place_order(_buy("poll-1-B-2", "44000"))
            await sim.fill_order("poll-1-B-1")
            await client.cancel_order(client_order_id="poll-1-B-2")
            await sim.set_price("BTC/USDT", "51000")

            def last_status(cid: str) -> OrderStatus | None:
                seen = [c.order.status for c in orders.values if c.order.client_order_id == cid]
                return seen[-1] if seen else None

            await eventually(
                lambda: _true(
                    last_status("poll-1-B-1") is OrderStatus.FILLED
                    and last_status("poll-1-B-2") is OrderStatus.CANCELED
                ),
                # a poll cycle is several requests that ccxt's limiter spaces by their
                # weights: on a loaded machine a few cycles take longer than the default 10 s
                timeout=30.0,
                message="both orders closed on the polled stream",
            )
            await eventually(
                lambda: _true(prices.values and prices.values[-1].price == Decimal("51000")),
                message="the price move",
            )
            await eventually(
                lambda: _true(
                    any(a.balance("BTC").total == Decimal("1.001") for a in account.values)
                ),
                message="the filled BTC in the account",
            )
            for rec in (orders, prices, account):
                await rec.stop()
            assert server.adapter.upstream_connections == 1
    finally:
        await server.stop()
