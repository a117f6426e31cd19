"""The finalizer's cancel against a real connector: it never cancels past a market
maker's live claim (WriterLive, the order stays), and cancels once the claim is released.

The finalizer's decisions over these errors are unit-tested (tests/unit/operator/
test_finalize.py); this checks that the connector's refusal reaches orders.cancel_all as
WriterLive through gRPC and the client, and not as an unreachable connector.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from gridops.client import ConnectorClient
from gridops.connector.server import ConnectorServer
from gridops.models import OrderRequest, Side
from gridops.operator import orders
from gridops.operator.errors import Unreachable, WriterLive

pytestmark = [pytest.mark.integration, pytest.mark.sim_only]

PREFIX = "btc-grid"


async def test_a_live_claim_holds_the_cancel_and_a_release_lets_it_through(
    connector: ConnectorServer, client: ConnectorClient
) -> None:
    assert await client.claim_writer(PREFIX, 7, "btc-grid-mm-abc", 30) == 7
    client.fencing_token = 7
    order = OrderRequest(
        f"{PREFIX}-0-B-1", "BTC/USDT", Side.BUY, Decimal("40000"), Decimal("0.001")
    )
    await client.place_order(order)

    with pytest.raises(WriterLive) as held:
        await orders.cancel_all(connector.address, "", PREFIX)
    assert not isinstance(held.value, Unreachable)
    assert "btc-grid-mm-abc" in str(held.value)
    assert held.value.delay == 2
    assert [o.client_order_id for o in await client.get_open_orders(None, PREFIX)] == [
        order.client_order_id
    ]

    # the market maker stopped cleanly: its release ends the claim at once
    await client.claim_writer(PREFIX, 7, "btc-grid-mm-abc", 0)
    assert await orders.cancel_all(connector.address, "", PREFIX) == 1
    assert await client.get_open_orders(None, PREFIX) == []
