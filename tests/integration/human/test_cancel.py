"""`gridops cancel`: exactly one prefix, confirmed, and what is left."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from gridops.client import ConnectorClient
from gridops.models import OrderRequest, Side
from tests.support.connector import ConnectorProcess
from tests.support.poll import wait_until

from .cli import ANSI, clean_env, gridops, on_terminal

OURS = ["btc-0-B-1", "btc-1-B-1", "btc-m1-S-1"]
THEIRS = ["btc-2-0-B-1", "btc-2-1-B-1"]  # strategy btc-2's, although they start with "btc-"


async def place(client: ConnectorClient, ids: list[str]) -> None:
    for n, cid in enumerate(ids):
        side = Side.SELL if "-S-" in cid else Side.BUY
        price = Decimal(60000 + n) if side is Side.SELL else Decimal(40000 + n)
        await client.place_order(OrderRequest(cid, "BTC/USDT", side, price, Decimal("0.001")))


@pytest.fixture
async def both(connector_client: ConnectorClient) -> ConnectorClient:
    await place(connector_client, OURS + THEIRS)
    return connector_client


async def open_ids(client: ConnectorClient) -> set[str]:
    return {o.client_order_id for o in await client.get_open_orders()}


async def test_cancel_yes_cancels_exactly_the_prefix_and_says_what_is_left(
    both: ConnectorClient, exchange: ConnectorProcess
) -> None:
    done = gridops("cancel", "--connector", exchange.address, "--prefix", "btc", "--yes")
    assert done.code == 0, done.err
    assert done.out.splitlines()[0] == f"3 open orders with prefix btc on {exchange.address}:"
    assert "cancelled 3 orders" in done.out
    assert "left open: none with prefix btc" in done.out
    for cid in OURS:
        assert cid in done.out
    for cid in THEIRS:
        assert cid not in done.out
    assert await open_ids(both) == set(THEIRS)

    again = gridops("cancel", "--connector", exchange.address, "--prefix", "btc", "--yes")
    assert again.code == 0
    assert again.out.strip() == f"no open orders with prefix btc on {exchange.address}"


async def test_without_a_terminal_it_needs_yes(
    both: ConnectorClient, exchange: ConnectorProcess
) -> None:
    done = gridops("cancel", "--connector", exchange.address, "--prefix", "btc")
    assert done.code == 2
    assert "pass --yes" in done.error_line
    assert await open_ids(both) == set(OURS + THEIRS)


async def test_on_a_terminal_it_asks_first(
    both: ConnectorClient, exchange: ConnectorProcess
) -> None:
    args = ("cancel", "--connector", exchange.address, "--prefix", "btc")
    code, shown = on_terminal(*args, typed="n\n")
    assert code == 1, shown
    assert "Cancel these 3 orders? [y/N]" in shown
    assert "nothing cancelled" in shown
    assert await open_ids(both) == set(OURS + THEIRS)

    code, shown = on_terminal(*args, typed="y\n")
    assert code == 0, shown
    assert "cancelled 3 orders" in ANSI.sub("", shown)
    assert await open_ids(both) == set(THEIRS)


async def test_a_symbol_narrows_it(both: ConnectorClient, exchange: ConnectorProcess) -> None:
    args = ("cancel", "--connector", exchange.address, "--prefix", "btc", "--yes")
    done = gridops(*args, "--symbol", "ETH/USDT")
    assert done.code == 0, done.err
    assert "no open orders with prefix btc, symbol ETH/USDT" in done.out
    assert await open_ids(both) == set(OURS + THEIRS)


def test_errors_name_the_address_and_the_flag() -> None:
    done = gridops("cancel", "--connector", "127.0.0.1:1", "--prefix", "btc", "--yes")
    assert done.code == 2
    assert (
        done.error_line == "gridops: no connector at 127.0.0.1:1 (--connector): Connection refused"
    )
    done = gridops("cancel", "--connector", "127.0.0.1:1", "--prefix", "", "--yes")
    assert done.code == 2
    assert "would match every order" in done.error_line
    done = gridops("cancel", "--prefix", "btc", "--yes")
    assert done.code == 2
    assert "--connector" in done.err


async def test_a_connector_with_a_token(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    process = ConnectorProcess(extra=["--token-file", str(token)]).start()
    try:
        args = ("cancel", "--connector", process.address, "--prefix", "btc", "--yes")
        done = gridops(*args)
        assert done.code == 2
        assert "pass its token with --token-file FILE" in done.error_line
        assert gridops(*args, "--token-file", str(token)).code == 0
        env = clean_env(GRIDOPS_CONNECTOR_TOKEN="s3cret")
        assert gridops(*args, env=env).code == 0
        missing = gridops(*args, "--token-file", str(tmp_path / "none"))
        assert missing.code == 2
        assert "--token-file" in missing.error_line
    finally:
        process.stop()


async def test_a_strategy_a_market_maker_holds_needs_force(
    both: ConnectorClient, exchange: ConnectorProcess
) -> None:
    # What a running market maker does at the connector: claim its strategy's writer.
    await both.claim_writer("btc", 5, "mm-btc", 60)
    args = ("cancel", "--connector", exchange.address, "--prefix", "btc", "--yes")
    refused = gridops(*args)
    assert refused.code == 2
    line = refused.error_line
    assert line.startswith("gridops: nothing cancelled: a market maker holds strategy btc;")
    assert "stop it first, or pass --force" in line
    assert "mm-btc" in line
    assert "cancelled 3" not in refused.out
    assert await open_ids(both) == set(OURS + THEIRS)

    forced = gridops(*args, "--force")
    assert forced.code == 0, forced.err
    assert "cancelled 3 orders" in forced.out
    assert await open_ids(both) == set(THEIRS)
    # The connector logs who forced it past the market maker.
    wait_until(
        lambda: "gridops cancel --force by " in exchange.output,
        timeout=5,
        message="the override in the connector's log",
    )


async def test_force_changes_nothing_without_a_market_maker(
    both: ConnectorClient, exchange: ConnectorProcess
) -> None:
    args = ("cancel", "--connector", exchange.address, "--prefix", "btc", "--yes", "--force")
    done = gridops(*args)
    assert done.code == 0, done.err
    assert "cancelled 3 orders" in done.out
    assert await open_ids(both) == set(THEIRS)
