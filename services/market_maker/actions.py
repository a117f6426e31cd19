"""Carrying out decisions: record, act, record the outcome."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from gridops import errors
from gridops.client import OrderChange
from gridops.decimals import fmt
from gridops.models import Fill, Order, OrderRequest, OrderType

from .domain.slots import Action, PlaceAction, Slot, SlotState

if TYPE_CHECKING:
    from .engine import Engine

log = logging.getLogger(__name__)


def order_request(engine: Engine, action: PlaceAction) -> OrderRequest:
    post_only = engine.config.grid.post_only and not action.is_exit
    return OrderRequest(
        client_order_id=action.client_order_id,
        symbol=engine.config.symbol,
        side=action.side,
        price=action.price,
        quantity=action.quantity,
        type=OrderType.LIMIT_MAKER if post_only else OrderType.LIMIT,
    )


def pending_request(engine: Engine, slot: Slot) -> OrderRequest:
    """The order a PENDING slot decided on, to send again after a crash."""
    is_exit = slot.state is SlotState.EXIT_PENDING
    side = slot.direction.exit_side if is_exit else slot.direction.entry_side
    action = PlaceAction(
        slot.key, slot.order_id, side, slot.order_price, slot.order_quantity, is_exit
    )
    return order_request(engine, action)


def describe_fill(fill: Fill, order: Order) -> str:
    """One fill for the log: what traded, at what price, for what fee."""
    done = (
        "order filled"
        if order.filled_quantity >= order.quantity
        else f"{fmt(order.filled_quantity)} of {fmt(order.quantity)} filled"
    )
    return (
        f"fill: {fill.side.value} {fmt(fill.quantity)} {fill.symbol} @ {fmt(fill.price)} "
        f"({fill.client_order_id}, {done}), fee {fmt(fill.fee)} {fill.fee_asset}"
        f"{'' if fill.maker else ' (taker)'}"
    )


class Executor:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def apply_change(self, change: OrderChange) -> None:
        """An order-stream update: the fill first (it moves holdings), then the status."""
        engine = self.engine
        assert engine.book is not None
        slots: list[Slot] = []
        fills = []
        if change.fill is not None:
            slot = engine.book.apply_fill(change.fill)
            if slot is not None:
                slots.append(slot)
                fills.append(change.fill)
                engine.metrics.fills.inc()
                log.info("%s", describe_fill(change.fill, change.order))
        slot = engine.book.apply_order(change.order)
        if slot is not None:
            slots.append(slot)
        if slots or fills:
            engine.backend.save(slots=slots, fills=fills)
        engine.crash.hit("after_fill_saved")

    async def execute(self, actions: list[Action]) -> None:
        for action in actions:
            done = (
                await self._place(action)
                if isinstance(action, PlaceAction)
                else await self._cancel(action.client_order_id, action.reason)
            )
            if not done:
                return  # the connector is in trouble: resync before anything else

    async def _place(self, action: PlaceAction) -> bool:
        engine = self.engine
        assert engine.book is not None
        slot = engine.book.mark_pending(action)
        engine.backend.save(slots=[slot])
        engine.crash.hit("after_pending_saved")
        try:
            result = await engine.client.place_order(order_request(engine, action))
        except (errors.InvalidArgument, errors.FailedPrecondition) as error:
            engine.book.mark_rejected(action.client_order_id)
            engine.backend.save(slots=[slot])
            engine.metrics.rejected.inc()
            log.warning("order %s refused: %s", action.client_order_id, error)
            return True
        except errors.GridopsError as error:
            log.warning("placing %s failed: %s; resync first", action.client_order_id, error)
            engine.synced = False
            return False
        engine.crash.hit("after_place")
        self._record(result.order)
        if not result.duplicate:
            engine.metrics.placed.inc()
        log.info(
            "placed %s %s %s @ %s (%s, %s)%s",
            action.side.value, fmt(action.quantity), engine.config.symbol, fmt(action.price),
            action.client_order_id, "exit" if action.is_exit else "entry",
            "; already on the exchange" if result.duplicate else "",
        )  # fmt: skip
        return True

    async def _cancel(self, client_order_id: str, reason: str) -> bool:
        engine = self.engine
        assert engine.book is not None
        try:
            order = await engine.client.cancel_order(client_order_id=client_order_id)
        except errors.NotFound:
            log.warning("cancel %s: the exchange does not know it", client_order_id)
            engine.book.mark_rejected(client_order_id)
            return True
        except errors.GridopsError as error:
            log.warning("cancel %s failed: %s; resync first", client_order_id, error)
            engine.synced = False
            return False
        engine.crash.hit("after_cancel")
        self._record(order)
        engine.metrics.canceled.inc()
        log.info("canceled %s (%s)", client_order_id, reason)
        return True

    def _record(self, order: Order) -> None:
        engine = self.engine
        assert engine.book is not None
        slot = engine.book.apply_order(order)
        if slot is not None:
            engine.backend.save(slots=[slot])


__all__ = ["Executor", "describe_fill", "order_request", "pending_request"]
