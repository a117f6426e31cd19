"""The pure simulated exchange: rules, balances, matching, positions, persistence."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from gridops.errors import FailedPrecondition, InvalidArgument, NotFound
from gridops.models import (
    AccountEvent,
    Balance,
    OrderEvent,
    OrderRequest,
    OrderStatus,
    OrderType,
    PositionEvent,
    PriceEvent,
    Side,
)
from gridops.simexchange.market import SimMarket
from gridops.simexchange.specs import MarketConfig, SymbolSpec

BTC = "BTC/USDT"
T0 = datetime(2030, 1, 1, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def btc_spec(price: str = "50000") -> SymbolSpec:
    return SymbolSpec(
        symbol=BTC,
        price=D(price),
        tick_size=D("0.01"),
        step_size=D("0.001"),
        min_quantity=D("0.002"),
        min_notional=D("10"),
    )


def make_market(
    *,
    clock: FakeClock | None = None,
    seed: int = 7,
    config: MarketConfig | None = None,
    usdt: str = "100000",
    btc: str = "1",
) -> SimMarket:
    return SimMarket(
        [btc_spec()],
        {"USDT": D(usdt), "BTC": D(btc)},
        config=config or MarketConfig(maker_fee=D("0.001"), taker_fee=D("0.002")),
        clock=clock or FakeClock(),
        rng=random.Random(seed),
    )


def buy(cid: str, price: str, qty: str, kind: OrderType = OrderType.LIMIT) -> OrderRequest:
    return OrderRequest(cid, BTC, Side.BUY, D(price), D(qty), kind)


def sell(cid: str, price: str, qty: str, kind: OrderType = OrderType.LIMIT) -> OrderRequest:
    return OrderRequest(cid, BTC, Side.SELL, D(price), D(qty), kind)


@pytest.fixture
def market() -> SimMarket:
    return make_market()


# ---- rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "field", "rule"),
    [
        (buy("a", "49999.995", "0.01"), "price", "tick size"),
        (buy("a", "49000", "0.0105"), "quantity", "step size"),
        (buy("a", "49000", "0.001"), "quantity", "minimum quantity"),
        (buy("a", "4000", "0.002"), "quantity", "minimum notional"),
        (buy("a", "0", "0.01"), "price", "greater than 0"),
        (buy("a", "-1", "0.01"), "price", "greater than 0"),
        (buy("a", "49000", "0"), "quantity", "greater than 0"),
        (buy("", "49000", "0.01"), "client_order_id", "required"),
        (OrderRequest("a", "DOGE/USDT", Side.BUY, D(1), D(1)), "symbol", "unknown symbol"),
    ],
)
def test_rule_violations_are_rejected_naming_field_and_rule(
    market: SimMarket, request_: OrderRequest, field: str, rule: str
) -> None:
    before = market.account().balances
    with pytest.raises(InvalidArgument) as caught:
        market.place_order(request_)
    message = str(caught.value)
    assert message.startswith(f"{field}:")
    assert rule in message
    assert market.counters().orders_rejected == 1
    assert market.counters().orders_accepted == 0
    assert market.open_orders() == []
    assert market.account().balances == before


def test_insufficient_balance_names_asset_need_and_free() -> None:
    market = make_market(usdt="100")
    with pytest.raises(
        FailedPrecondition, match=r"insufficient USDT balance: need 100\.2, free 100"
    ):
        market.place_order(buy("a", "50000", "0.002"))
    with pytest.raises(FailedPrecondition, match="insufficient BTC balance: need 2, free 1"):
        market.place_order(sell("b", "60000", "2"))
    assert market.counters().orders_rejected == 2


def test_a_rejected_order_leaves_its_client_id_free_and_its_order_id_unused(
    market: SimMarket,
) -> None:
    with pytest.raises(InvalidArgument):
        market.place_order(buy("a", "49000.001", "0.01"))
    first = market.place_order(buy("a", "49000", "0.01")).value
    assert not first.duplicate
    assert first.order.order_id == "sim-1"
    assert market.place_order(buy("b", "48000", "0.01")).value.order.order_id == "sim-2"


# ---- balances ---------------------------------------------------------------------


def test_buy_locks_quote_with_fee_reserve_and_cancel_releases_it(market: SimMarket) -> None:
    market.place_order(buy("a", "49000", "0.01"))
    usdt = market.account().balance("USDT")
    lock = D("490") * D("1.002")  # the reserve is the larger of the two fee rates
    assert usdt.locked == lock
    assert usdt.free == D("100000") - lock
    canceled = market.cancel_order(client_order_id="a").value
    assert canceled.status is OrderStatus.CANCELED
    usdt = market.account().balance("USDT")
    assert (usdt.free, usdt.locked) == (D("100000"), D(0))
    assert market.counters().orders_canceled == 1


def test_sell_locks_base_and_cancel_by_order_id_releases_it(market: SimMarket) -> None:
    order = market.place_order(sell("s", "51000", "0.4")).value.order
    assert market.account().balance("BTC") == Balance("BTC", D("0.6"), D("0.4"))
    market.cancel_order(order_id=order.order_id)
    btc = market.account().balance("BTC")
    assert (btc.free, btc.locked) == (D(1), D(0))


def test_cancel_of_a_closed_order_returns_it_unchanged_without_events(market: SimMarket) -> None:
    market.place_order(buy("a", "49000", "0.01"))
    market.cancel_order(client_order_id="a")
    again = market.cancel_order(client_order_id="a")
    assert again.value.status is OrderStatus.CANCELED
    assert again.events == []
    assert market.counters().orders_canceled == 1


def test_unknown_or_mismatched_ids_are_not_found(market: SimMarket) -> None:
    market.place_order(buy("a", "49000", "0.01"))
    with pytest.raises(NotFound):
        market.get_order(client_order_id="nope")
    with pytest.raises(NotFound):
        market.get_order(order_id="sim-99")
    with pytest.raises(NotFound):
        market.cancel_order(client_order_id="a", order_id="sim-2")
    with pytest.raises(InvalidArgument):
        market.get_order()
    assert market.get_order(client_order_id="a", order_id="sim-1").client_order_id == "a"


def test_set_balances_sets_free_keeps_locked_and_rejects_negatives(market: SimMarket) -> None:
    market.place_order(buy("a", "49000", "0.01"))
    locked = market.account().balance("USDT").locked
    outcome = market.set_balances({"USDT": D("5000"), "ETH": D("3")})
    assert outcome.value.balance("USDT").free == D("5000")
    assert outcome.value.balance("USDT").locked == locked
    assert outcome.value.balance("ETH").free == D("3")
    assert outcome.value.balance("BTC").free == D("1")
    assert [type(e) for e in outcome.events] == [AccountEvent]
    with pytest.raises(InvalidArgument, match="USDT"):
        market.set_balances({"USDT": D("-1")})
    assert market.account().balance("USDT").free == D("5000")


def test_equity_values_every_asset_in_the_quote_at_last_prices(market: SimMarket) -> None:
    assert market.account().equity == D("100000") + D("50000")
    market.set_price(BTC, D("40000"))
    assert market.account().equity == D("140000")


# ---- idempotency ------------------------------------------------------------------


@pytest.mark.parametrize("then", ["open", "filled", "canceled"])
def test_same_client_order_id_returns_the_first_order_and_changes_nothing(
    market: SimMarket, then: str
) -> None:
    first = market.place_order(buy("a", "49000", "0.01")).value.order
    if then == "filled":
        market.fill_order("a")
    elif then == "canceled":
        market.cancel_order(client_order_id="a")
    before = (market.account().balances, market.counters(), market.snapshot())
    again = market.place_order(buy("a", "10000", "0.5"))
    assert again.value.duplicate
    assert again.value.order.order_id == first.order_id
    assert again.value.order.price == D("49000")
    assert again.events == []
    assert (market.account().balances, market.counters(), market.snapshot()) == before


# ---- crossing at placement --------------------------------------------------------


def test_limit_maker_that_would_cross_is_rejected(market: SimMarket) -> None:
    with pytest.raises(FailedPrecondition, match="LIMIT_MAKER BUY at 50000 would take"):
        market.place_order(buy("a", "50000", "0.01", OrderType.LIMIT_MAKER))
    with pytest.raises(FailedPrecondition, match="LIMIT_MAKER SELL"):
        market.place_order(sell("b", "49999.99", "0.01", OrderType.LIMIT_MAKER))
    assert market.counters().orders_rejected == 2
    ok = market.place_order(buy("c", "49999.99", "0.01", OrderType.LIMIT_MAKER))
    assert ok.value.order.status is OrderStatus.NEW


def test_crossing_limit_fills_at_once_as_taker_at_the_market_and_releases_excess(
    market: SimMarket,
) -> None:
    placed = market.place_order(buy("a", "51000", "0.01"))
    order = placed.value.order
    assert order.status is OrderStatus.FILLED
    assert order.average_fill_price == D("50000")
    fill = market.get_fills()[0]
    assert (fill.price, fill.maker, fill.fee) == (D("50000"), False, D("500") * D("0.002"))
    usdt = market.account().balance("USDT")
    assert usdt.locked == 0
    assert usdt.free == D("100000") - D("500") - D("1")
    assert market.account().balance("BTC").free == D("1.01")
    assert market.last_price(BTC) == D("50000")
    kinds = [type(e) for e in placed.events]
    assert kinds == [OrderEvent, AccountEvent, OrderEvent, AccountEvent, PositionEvent]


# ---- price moves ------------------------------------------------------------------


def test_price_move_fills_crossed_orders_in_price_time_priority(market: SimMarket) -> None:
    market.place_order(buy("low", "49900", "0.01"))
    market.place_order(buy("high-1", "49950", "0.01"))
    market.place_order(buy("high-2", "49950", "0.01"))
    market.place_order(buy("untouched", "49000", "0.01"))
    market.place_order(sell("ask", "50100", "0.01"))
    move = market.set_price(BTC, D("49800"))
    assert [o.client_order_id for o in move.value.filled] == ["high-1", "high-2", "low"]
    fills = market.get_fills()
    assert [(f.client_order_id, f.price, f.maker) for f in fills] == [
        ("high-1", D("49950"), True),
        ("high-2", D("49950"), True),
        ("low", D("49900"), True),
    ]
    assert [f.trade_id for f in fills] == ["t-1", "t-2", "t-3"]
    assert {o.client_order_id for o in market.open_orders()} == {"untouched", "ask"}
    sells = market.set_price(BTC, D("50100"))
    assert [o.client_order_id for o in sells.value.filled] == ["ask"]
    assert market.counters().orders_filled == 4
    assert market.counters().fills == 4


def test_set_price_rounds_to_the_tick_and_rejects_bad_prices(market: SimMarket) -> None:
    assert market.set_price(BTC, D("49000.004")).value.ticker.price == D("49000")
    assert market.ticker(BTC).price == D("49000")
    for bad in ("0", "-5", "0.004"):
        with pytest.raises(InvalidArgument, match="price"):
            market.set_price(BTC, D(bad))
    with pytest.raises(NotFound, match="symbol"):
        market.set_price("DOGE/USDT", D("1"))
    assert market.ticker(BTC).price == D("49000")


def test_price_events_and_position_marks(market: SimMarket) -> None:
    flat = market.set_price(BTC, D("49000"))
    assert [type(e) for e in flat.events] == [PriceEvent]
    market.fill_order(market.place_order(buy("a", "48000", "0.01")).value.order.client_order_id)
    moved = market.set_price(BTC, D("49500"))
    assert [type(e) for e in moved.events] == [PriceEvent, PositionEvent]
    position = moved.events[1]
    assert isinstance(position, PositionEvent)
    assert position.position.mark_price == D("49500")
    assert position.position.unrealized_pnl == D("15")


def test_crossing_fill_events_carry_the_fill(market: SimMarket) -> None:
    market.place_order(buy("a", "49000", "0.01"))
    move = market.set_price(BTC, D("48000"))
    kinds = [type(e) for e in move.events]
    assert kinds == [PriceEvent, OrderEvent, AccountEvent, PositionEvent]
    order_event = move.events[1]
    assert isinstance(order_event, OrderEvent)
    assert order_event.order.status is OrderStatus.FILLED
    assert order_event.fill is not None
    assert order_event.fill.quantity == D("0.01")


def test_partial_fills_on_crossing_are_seeded() -> None:
    config = MarketConfig(partial_fill_probability=1.0)

    def run(seed: int) -> list[D]:
        market = make_market(seed=seed, config=config)
        market.place_order(buy("a", "49000", "0.5"))
        market.set_price(BTC, D("48000"))
        return [f.quantity for f in market.get_fills()]

    first = run(3)
    assert first == run(3)
    assert len(first) == 1
    assert D("0.001") <= first[0] < D("0.5")
    market = make_market(seed=3, config=config)
    market.place_order(buy("a", "49000", "0.5"))
    order = market.set_price(BTC, D("48000")).value.filled[0]
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert order.filled_quantity == first[0]


# ---- offline fills and partial fills ----------------------------------------------


def test_offline_partial_fills_keep_quantities_and_average_and_leave_the_price(
    market: SimMarket,
) -> None:
    market.place_order(sell("s", "52000", "0.01"))
    first = market.fill_order("s", D("0.004")).value
    assert first.order.status is OrderStatus.PARTIALLY_FILLED
    assert first.order.filled_quantity == D("0.004")
    assert first.order.remaining == D("0.006")
    assert first.order.average_fill_price == D("52000")
    assert first.fill.maker
    assert market.account().balance("BTC").locked == D("0.006")
    last = market.fill_order("s").value
    assert last.order.status is OrderStatus.FILLED
    assert last.fill.quantity == D("0.006")
    assert market.last_price(BTC) == D("50000")
    assert market.account().balance("BTC") == Balance("BTC", D("0.99"), D(0))
    proceeds = D("520") - D("520") * D("0.001")
    assert market.account().balance("USDT").free == D("100000") + proceeds


def test_fill_order_errors(market: SimMarket) -> None:
    market.place_order(buy("a", "49000", "0.01"))
    with pytest.raises(NotFound):
        market.fill_order("nope")
    for qty, rule in (("0", "greater than 0"), ("0.0005", "step size"), ("0.02", "remaining")):
        with pytest.raises(InvalidArgument, match=f"quantity: .*{rule}"):
            market.fill_order("a", D(qty))
    market.cancel_order(client_order_id="a")
    with pytest.raises(FailedPrecondition, match="CANCELED"):
        market.fill_order("a")


# ---- positions, PnL, fees ---------------------------------------------------------


def test_positions_realized_and_unrealized_pnl_net_of_fees(market: SimMarket) -> None:
    market.place_order(buy("b1", "49000", "0.01"))
    market.fill_order("b1")
    market.place_order(buy("b2", "48000", "0.01"))
    market.fill_order("b2")
    (position,) = market.positions(BTC)
    assert position.quantity == D("0.02")
    assert position.entry_price == D("48500")
    assert position.unrealized_pnl == (D("50000") - D("48500")) * D("0.02")
    fees = D("490") * D("0.001") + D("480") * D("0.001")
    assert position.realized_pnl == -fees

    market.place_order(sell("s1", "51000", "0.03"))
    fill = market.fill_order("s1").value.fill
    (position,) = market.positions(BTC)
    assert position.quantity == D("-0.01")
    assert position.entry_price == D("51000")  # flipped short: the rest opened at 51000
    fees += fill.fee
    assert position.realized_pnl == (D("51000") - D("48500")) * D("0.02") - fees
    assert position.unrealized_pnl == (D("50000") - D("51000")) * D("-0.01")


def test_positions_leave_the_exchange_quantized_to_the_tick(market: SimMarket) -> None:
    """Average cost divides: 3 buys at 49000, 49000, 49000.01 average 49000.00333...; the
    fees (0.1 % of 98.00002) end in 8 decimals. Reported: multiples of the 0.01 tick."""
    for cid, price in (("b1", "49000"), ("b2", "49000"), ("b3", "49000.01")):
        market.place_order(buy(cid, price, "0.002"))
        market.fill_order(cid)
    market.set_price(BTC, D("49123.45"))
    (position,) = market.positions(BTC)
    assert position.quantity == D("0.006")
    assert position.entry_price == D("49000.00")
    assert position.realized_pnl == D("-0.29")  # -(0.098 + 0.098 + 0.09800002)
    assert position.unrealized_pnl == D("0.74")  # (49123.45 - 49000.00333...) * 0.006
    for value in (position.entry_price, position.mark_price, position.unrealized_pnl,
                  position.realized_pnl):  # fmt: skip
        assert value == value.quantize(D("0.01")), value

    # Closing part of it realizes against the exact average, then rounds once.
    market.place_order(sell("s1", "49200.01", "0.004"))
    market.fill_order("s1")
    (position,) = market.positions(BTC)
    exact = (D("49200.01") - D("147000.01") / 3) * D("0.004") - D("0.29400002") - D("0.19680004")
    assert position.realized_pnl == exact.quantize(D("0.01"))
    assert position.entry_price == D("49000.00")


def test_fees_are_charged_in_the_quote_asset_at_maker_or_taker_rate(market: SimMarket) -> None:
    market.place_order(buy("m", "49000", "0.01"))
    maker = market.fill_order("m").value.fill
    assert (maker.fee, maker.fee_asset, maker.maker) == (D("0.49"), "USDT", True)
    market.place_order(sell("t", "40000", "0.01"))
    taker = market.get_fills()[-1]
    assert (taker.fee, taker.fee_asset, taker.maker) == (D("1.00"), "USDT", False)
    assert taker.price == D("50000")


# ---- fills history ----------------------------------------------------------------


def test_get_fills_filters_by_symbol_time_prefix_and_limit() -> None:
    clock = FakeClock()
    market = make_market(clock=clock)
    for i, prefix in enumerate(["g1", "g1-2", "g1"]):
        clock.advance(10)
        market.place_order(buy(f"{prefix}-{i}-B-1", "49000", "0.01"))
        market.fill_order(f"{prefix}-{i}-B-1")
    fills = market.get_fills()
    assert [f.trade_id for f in fills] == ["t-1", "t-2", "t-3"]
    assert [f.time for f in fills] == sorted(f.time for f in fills)
    assert market.get_fills(since=fills[1].time) == fills[1:]
    ours = ["g1-0-B-1", "g1-2-B-1"]
    assert [f.client_order_id for f in market.get_fills(prefix="g1")] == ours
    assert [f.client_order_id for f in market.get_fills(prefix="g1-")] == ours
    assert [f.client_order_id for f in market.get_fills(prefix="g1-2")] == ["g1-2-1-B-1"]
    assert market.get_fills(limit=2) == fills[:2]
    assert market.get_fills(symbol="ETH/USDT") == []


# ---- price process ----------------------------------------------------------------


def test_price_process_is_deterministic_for_a_seed_and_stays_on_tick() -> None:
    config = MarketConfig(volatility=2.0)

    def walk(seed: int) -> list[D]:
        market = make_market(seed=seed, config=config)
        return [market.step(BTC, 1.0).value.ticker.price for _ in range(50)]

    first = walk(11)
    assert first == walk(11)
    assert first != walk(12)
    assert len(set(first)) > 10
    assert all(p % D("0.01") == 0 and p > 0 for p in first)


def test_price_process_matches_orders_it_crosses() -> None:
    market = make_market(config=MarketConfig(volatility=50.0))
    market.place_order(buy("a", "49999.99", "0.01"))
    market.place_order(sell("b", "50000.01", "0.01"))
    for _ in range(200):
        market.step(BTC, 60.0)
    assert market.open_orders() == []
    assert market.counters().orders_filled == 2


def test_zero_dt_leaves_the_price() -> None:
    market = make_market()
    assert market.step(BTC, 0).value.ticker.price == D("50000")


# ---- cancel all -------------------------------------------------------------------


def test_cancel_all_orders_by_prefix(market: SimMarket) -> None:
    market.place_order(buy("g1-1-B-1", "49000", "0.01"))
    market.place_order(buy("g1-m2-S-3", "48000", "0.01"))
    market.place_order(buy("g1-2-1-B-1", "47000", "0.01"))  # strategy "g1-2"
    market.place_order(buy("g1-manual", "46000", "0.01"))  # not a grid id
    assert [o.client_order_id for o in market.open_orders(BTC, "g1-2")] == ["g1-2-1-B-1"]
    canceled = market.cancel_all_orders(BTC, "g1").value
    assert sorted(o.client_order_id for o in canceled) == ["g1-1-B-1", "g1-m2-S-3"]
    left = sorted(o.client_order_id for o in market.open_orders())
    assert left == ["g1-2-1-B-1", "g1-manual"]
    assert market.counters().extra["open_orders"] == 2


# ---- persistence ------------------------------------------------------------------


def test_snapshot_restore_round_trip_continues_identically() -> None:
    clock = FakeClock()
    market = make_market(clock=clock, config=MarketConfig(partial_fill_probability=0.5))
    market.place_order(buy("a", "49000", "0.05"))
    market.place_order(sell("b", "51000", "0.05"))
    market.place_order(buy("c", "48000", "0.01"))
    market.fill_order("c", D("0.004"))
    market.set_price(BTC, D("48900"))
    market.cancel_order(client_order_id="b")
    data = json.loads(json.dumps(market.snapshot()))
    restored = SimMarket.restore(data, clock=clock)
    assert restored.snapshot() == market.snapshot()
    assert restored.account() == market.account()
    assert restored.positions() == market.positions()
    assert restored.open_orders() == market.open_orders()
    assert restored.get_fills() == market.get_fills()
    assert restored.counters() == market.counters()
    for twin in (market, restored):
        twin.place_order(buy("d", "47000", "0.01"))
        for _ in range(5):
            twin.step(BTC, 3600.0)
    assert restored.snapshot() == market.snapshot()
    assert restored.get_order(client_order_id="d").order_id == "sim-4"


def test_restore_refuses_an_unknown_version(market: SimMarket) -> None:
    data = market.snapshot() | {"version": 99}
    with pytest.raises(ValueError, match="version"):
        SimMarket.restore(data)
