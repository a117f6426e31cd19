"""What the connector tells a human operator at INFO: how it started, who subscribes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import pytest

from gridops.client import ConnectorClient, SimulatorClient, Subscribed
from tests.support.connector import ConnectorProcess
from tests.support.poll import eventually, wait_until


async def test_start_and_subscriptions_are_logged(connector_process: ConnectorProcess) -> None:
    connector_process.start()
    start = next(line for line in connector_process.lines if "serving on" in line)
    assert "2 symbols (BTC/USDT, ETH/USDT)" in start
    assert "token auth off" in start
    # The upstream opens after the server serves (at once for the sim, a dial for a venue).
    wait_until(
        lambda: any(
            f"upstream {connector_process.exchange} connected" in line
            for line in connector_process.lines
        ),
        message="the upstream connected line",
    )

    client = await ConnectorClient.connect(connector_process.address)
    try:
        stream = client.subscribe_orders("BTC/USDT", "t-grid")
        assert isinstance(stream, AsyncGenerator)
        assert isinstance(await anext(stream), Subscribed)
        joined = await asyncio.to_thread(
            wait_until,
            lambda: [line for line in connector_process.lines if "subscribed to orders" in line],
            message="subscription logged",
        )
        assert "(BTC/USDT, prefix t-grid); 1 orders subscribers" in joined[0]
        await stream.aclose()
        left = await asyncio.to_thread(
            wait_until,
            lambda: [line for line in connector_process.lines if "left orders" in line],
            message="unsubscription logged",
        )
        assert "0 orders subscribers" in left[0]
    finally:
        await client.close()


# The connector's own subscriber count is read from the in-process sim's Simulator (a
# venue sees the connector's two sockets, not its subscribers): sim only.
@pytest.mark.sim_only
async def test_a_flood_of_vanishing_subscribers_is_counted_and_survived(
    connector_process: ConnectorProcess,
) -> None:
    """200 subscriptions whose channel closes under them: the log tells of the first
    30 a minute, and the connector runs on. (Logging a leave once asked the finished
    call for its peer, which crashed grpc.aio now and then: a SIGSEGV seen about one run
    in seven of tests/integration/live_server/test_history.py.)"""
    connector_process.start()
    for _ in range(25):
        client = await ConnectorClient.connect(connector_process.address)
        streams = [
            client.subscribe_account(),
            client.subscribe_positions(),
            client.subscribe_prices(),
            client.subscribe_orders("BTC/USDT", "t-grid"),
        ]
        for stream in streams:
            assert isinstance(await anext(stream), Subscribed)
        await client.close()  # no goodbye: the streams end with the channel
    async with SimulatorClient(connector_process.simulator_address) as sim:

        async def all_gone() -> bool:
            return (await sim.get_stats()).subscribers == 0

        await eventually(all_gone, message="every subscriber gone")
    assert connector_process.proc is not None
    assert connector_process.proc.poll() is None, connector_process.proc.returncode
    # 200 subscriptions came and went: the log tells of the first 30 (then counts), not all.
    told = [line for line in connector_process.lines if "subscribed to" in line or " left " in line]
    assert 30 <= len(told) <= 32, len(told)
    async with await ConnectorClient.connect(connector_process.address) as client:
        assert (await client.get_info()).exchange == connector_process.exchange
