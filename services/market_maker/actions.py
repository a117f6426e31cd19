"""Carrying out decisions: record, act, record the outcome.

The executor changes the book it is handed and the backend, and acts through the port;
what the engine itself must learn (counts for its metrics, whether to resync) comes back
as an `Executed` value, which the engine applies in one place.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from gridops import errors
from gridops.client import OrderChange
from gridops.decimals import fmt
from gridops.models import Fill, Order, OrderRequest, OrderType
from gridops.spec import StrategyConfig

from .backend import Backend
from .crash import CrashPoints
from .domain.book import GridBook
from .domain.slots import Action, PlaceAction, Slot, SlotState
from .port import ExchangePort

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Executed:
    """What carrying out a plan, or applying one order update, did."""

    placed: int = 0
    canceled: int = 0
    rejected: int = 0
    fills: int = 0
    #: the connector failed: the rest of the plan was not tried; resync before trading
    resync: bool = False


class Step(enum.Enum):
    """How one action ended."""

    PLACED = "placed"
    DUPLICATE = "duplicate"  # a re-sent id the exchange had already: not a new order
    CANCELED = "canceled"
    GONE = "gone"  # cancel of an order the exchange does not know
    REJECTED = "rejected"
    FAILED = "failed"  # the connector failed: stop and resync


def order_request(config: StrategyConfig, action: PlaceAction) -> OrderRequest:
    post_only = config.grid.post_only and not action.is_exit
    return OrderRequest(
        client_order_id=action.client_order_id,
        symbol=config.symbol,
        side=action.side,
        price=action.price,
        quantity=action.quantity,
        type=OrderType.LIMIT_MAKER if post_only else OrderType.LIMIT,
    )


def pending_request(config: StrategyConfig, slot: Slot) -> OrderRequest:
    """The order a PENDING slot decided on, to send again after a crash."""
    is_exit = slot.state is SlotState.EXIT_PENDING
    side = slot.direction.exit_side if is_exit else slot.direction.entry_side
    action = PlaceAction(
        slot.key, slot.order_id, side, slot.order_price, slot.order_quantity, is_exit
    )
    return order_request(config, action)


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
    def __init__(
        self,
        port: ExchangePort,
        backend: Backend,
        config: StrategyConfig,
        crash: CrashPoints | None = None,
    ) -> None:
        self.port = port
        self.backend = backend
        self.config = config
        self.crash = crash or CrashPoints("")

    async def apply_change(self, book: GridBook, change: OrderChange) -> Executed:
        """An order-stream update: the fill first (it moves holdings), then the status."""
        slots: list[Slot] = []
        fills = []
        if change.fill is not None:
            slot = book.apply_fill(change.fill)
            if slot is not None:
                slots.append(slot)
                fills.append(change.fill)
                log.info("%s", describe_fill(change.fill, change.order))
        slot = book.apply_order(change.order)
        if slot is not None:
            slots.append(slot)
        if slots or fills:
            await self.backend.save(slots=slots, fills=fills)
        self.crash.hit("after_fill_saved")
        return Executed(fills=len(fills))

    async def execute(self, book: GridBook, actions: Sequence[Action]) -> Executed:
        steps: list[Step] = []
        for action in actions:
            if isinstance(action, PlaceAction):
                steps.append(await self._place(book, action))
            else:
                steps.append(await self._cancel(book, action.client_order_id, action.reason))
            if steps[-1] is Step.FAILED:
                break  # the connector is in trouble: the rest waits for the resync
        return Executed(
            placed=steps.count(Step.PLACED),
            canceled=steps.count(Step.CANCELED),
            rejected=steps.count(Step.REJECTED),
            resync=Step.FAILED in steps,
        )

    async def _place(self, book: GridBook, action: PlaceAction) -> Step:
        slot = book.mark_pending(action)
        await self.backend.save(slots=[slot])
        self.crash.hit("after_pending_saved")
        try:
            result = await self.port.place_order(order_request(self.config, action))
        except errors.Fenced:
            raise  # not this order's fault: the engine stops (see Engine.run)
        except (errors.InvalidArgument, errors.FailedPrecondition) as error:
            book.mark_rejected(action.client_order_id)
            await self.backend.save(slots=[slot])
            log.warning("order %s refused: %s", action.client_order_id, error)
            return Step.REJECTED
        except errors.GridopsError as error:
            log.warning("placing %s failed: %s; resync first", action.client_order_id, error)
            return Step.FAILED
        self.crash.hit("after_place")
        await self._record(book, result.order)
        log.info(
            "placed %s %s %s @ %s (%s, %s)%s",
            action.side.value, fmt(action.quantity), self.config.symbol, fmt(action.price),
            action.client_order_id, "exit" if action.is_exit else "entry",
            "; already on the exchange" if result.duplicate else "",
        )  # fmt: skip
        return Step.DUPLICATE if result.duplicate else Step.PLACED

    async def _cancel(self, book: GridBook, client_order_id: str, reason: str) -> Step:
        try:
            order = await self.port.cancel_order(client_order_id=client_order_id)
        except errors.Fenced:
            raise
        except errors.NotFound:
            log.warning("cancel %s: the exchange does not know it", client_order_id)
            book.mark_rejected(client_order_id)
            return Step.GONE
        except errors.GridopsError as error:
            log.warning("cancel %s failed: %s; resync first", client_order_id, error)
            return Step.FAILED
        self.crash.hit("after_cancel")
        await self._record(book, order)
        log.info("canceled %s (%s)", client_order_id, reason)
        return Step.CANCELED

    async def _record(self, book: GridBook, order: Order) -> None:
        slot = book.apply_order(order)
        if slot is not None:
            await self.backend.save(slots=[slot])


__all__ = ["Executed", "Executor", "describe_fill", "order_request", "pending_request"]
