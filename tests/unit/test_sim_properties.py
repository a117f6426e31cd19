"""Random operation sequences against SimMarket never break its accounting invariants."""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from hypothesis import event, given, settings
from hypothesis import strategies as st

from gridops.errors import GridopsError
from gridops.models import OrderRequest, OrderType, Side
from gridops.simexchange.market import SimMarket
from gridops.simexchange.specs import MarketConfig, SymbolSpec

SYMBOL = "XYZ/USDT"
STEP = D("0.001")
CLIENT_IDS = [f"c{i}" for i in range(8)]  # few ids, so duplicates happen often


@dataclass(frozen=True)
class Place:
    client_order_id: str
    side: Side
    price: int
    steps: int
    maker_only: bool


@dataclass(frozen=True)
class Cancel:
    client_order_id: str


@dataclass(frozen=True)
class SetPrice:
    price: int


@dataclass(frozen=True)
class FillOrder:
    client_order_id: str
    steps: int | None


@dataclass(frozen=True)
class SetBalance:
    asset: str
    amount: int


Op = Place | Cancel | SetPrice | FillOrder | SetBalance

client_ids = st.sampled_from(CLIENT_IDS)
# Mostly valid and near the start price (so orders rest and cross), sometimes invalid.
_valid_prices = st.integers(min_value=85, max_value=115)
prices = st.one_of(_valid_prices, _valid_prices, _valid_prices, st.integers(-2, 2))
_valid_steps = st.integers(min_value=20, max_value=2000)
steps = st.one_of(_valid_steps, _valid_steps, _valid_steps, st.integers(-1, 15))
_builders: dict[str, st.SearchStrategy[Op]] = {
    "place": st.builds(
        Place, client_ids, st.sampled_from([Side.BUY, Side.SELL]), prices, steps, st.booleans()
    ),
    "set_price": st.builds(SetPrice, prices),
    "fill": st.builds(FillOrder, client_ids, st.none() | steps),
    "cancel": st.builds(Cancel, client_ids),
    "balance": st.builds(SetBalance, st.sampled_from(["USDT", "XYZ"]), st.integers(0, 3000)),
}
# Weighted towards placing and moving the price, which is where fills come from.
_kinds = ["place"] * 4 + ["set_price"] * 3 + ["fill"] * 2 + ["cancel", "balance"]
ops: st.SearchStrategy[Op] = st.sampled_from(_kinds).flatmap(_builders.__getitem__)


def apply(market: SimMarket, op: Op) -> None:
    if isinstance(op, Place):
        kind = OrderType.LIMIT_MAKER if op.maker_only else OrderType.LIMIT
        market.place_order(
            OrderRequest(op.client_order_id, SYMBOL, op.side, D(op.price), op.steps * STEP, kind)
        )
    elif isinstance(op, Cancel):
        market.cancel_order(client_order_id=op.client_order_id)
    elif isinstance(op, SetPrice):
        market.set_price(SYMBOL, D(op.price))
    elif isinstance(op, FillOrder):
        market.fill_order(op.client_order_id, None if op.steps is None else op.steps * STEP)
    else:
        market.set_balances({op.asset: D(op.amount)})


def totals(market: SimMarket) -> dict[str, D]:
    return {b.asset: b.total for b in market.account().balances}


@settings(max_examples=200, deadline=None)
@given(
    sequence=st.lists(ops, min_size=20, max_size=80),
    partial=st.sampled_from([0.0, 0.5]),
    seed=st.integers(0, 2**16),
)
def test_random_sequences_keep_the_books_straight(
    sequence: list[Op], partial: float, seed: int
) -> None:
    now = [datetime(2030, 1, 1, tzinfo=UTC)]

    def clock() -> datetime:
        now[0] += timedelta(seconds=1)
        return now[0]

    market = SimMarket(
        [SymbolSpec(SYMBOL, D(100), D(1), STEP, STEP, D(1))],
        {"USDT": D(1000), "XYZ": D(5)},
        config=MarketConfig(
            maker_fee=D("0.001"), taker_fee=D("0.002"), partial_fill_probability=partial
        ),
        clock=clock,
        rng=random.Random(seed),
    )
    expected = totals(market)
    for op in sequence:
        fills_before = len(market.get_fills())
        # A refused operation must change nothing: the checks below prove it.
        with contextlib.suppress(GridopsError):
            apply(market, op)
        if isinstance(op, SetBalance):
            expected[op.asset] = D(op.amount) + market.account().balance(op.asset).locked
        for fill in market.get_fills()[fills_before:]:
            value = fill.price * fill.quantity
            sign = 1 if fill.side is Side.BUY else -1
            expected["XYZ"] += sign * fill.quantity
            expected["USDT"] += -sign * value - fill.fee
        check_invariants(market, expected)
    # Shown by --hypothesis-show-statistics: proof that the runs really trade.
    event(f"fills: {min(len(market.get_fills()), 5)}+")
    partly = sum(o["filled_quantity"] != "0" for o in market.snapshot()["book"]["orders"])
    event(f"orders with a fill: {min(partly, 3)}+")


def check_invariants(market: SimMarket, expected: dict[str, D]) -> None:
    account = market.account()
    for balance in account.balances:
        assert balance.free >= 0, balance
        assert balance.locked >= 0, balance
    # free + locked moves only by fills, fees and SetBalances
    assert totals(market) == expected

    snapshot = market.snapshot()
    orders = snapshot["book"]["orders"]
    client_ids = [o["client_order_id"] for o in orders]
    assert len(client_ids) == len(set(client_ids))
    locked = {"USDT": D(0), "XYZ": D(0)}
    for raw in orders:
        order = market.get_order(order_id=raw["order_id"])
        assert 0 <= order.filled_quantity <= order.quantity
        held = D(raw["locked"])
        if order.is_open:
            locked["USDT" if order.side is Side.BUY else "XYZ"] += held
        else:
            assert held == 0
    # the ledger's locked amounts are exactly what the open orders hold
    for asset, amount in locked.items():
        assert account.balance(asset).locked == amount

    fills = market.get_fills()
    signed = sum(
        (f.quantity if f.side is Side.BUY else -f.quantity for f in fills),
        start=D(0),
    )
    (position,) = market.positions(SYMBOL)
    assert position.quantity == signed
    assert market.counters().fills == len(fills)
    assert [f.trade_id for f in fills] == [f"t-{i + 1}" for i in range(len(fills))]
