"""What the connector tells a human operator at INFO: how it started, who subscribes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from gridops.client import ConnectorClient, Subscribed
from tests.support.connector import ConnectorProcess
from tests.support.poll import wait_until


async def test_start_and_subscriptions_are_logged(connector_process: ConnectorProcess) -> None:
    connector_process.start()
    start = next(line for line in connector_process.lines if "serving on" in line)
    assert "2 symbols (BTC/USDT, ETH/USDT)" in start
    assert "token auth off" in start
    assert any("upstream sim connected" in line for line in connector_process.lines)

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
