"""Reconciliation: make the engine's view match the exchange before it trades.

Runs on start and after every reconnect, before anything is placed:
1. fills that happened while the engine was away are applied (once each, by trade id);
2. decisions recorded but never confirmed (PENDING slots) are looked up, and re-sent
   with the SAME client order id if the exchange never saw them: the connector's
   idempotent PlaceOrder makes that safe;
3. open orders on the exchange are acknowledged or adopted (mapped back to their slot
   through the deterministic client order id); ones that conflict are marked stray,
   and the next plan cancels them;
4. orders the engine thought open but the exchange doesn't list get their final status.
The `simple` engine does all of this by rebuilding from the exchange history alone.

It reads and writes the book and the backend it is given and returns the book with what
the engine must count (`Reconciled`); it never touches the engine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from gridops import errors
from gridops.spec import StrategyConfig

from .actions import pending_request
from .backend import Backend
from .domain.book import GridBook, rebuild
from .domain.grid import GridSpec
from .domain.ids import strategy_prefix
from .domain.slots import Slot, SlotState
from .port import ExchangePort

log = logging.getLogger(__name__)

OPEN = (SlotState.ENTRY_OPEN, SlotState.EXIT_OPEN)
PENDING = (SlotState.ENTRY_PENDING, SlotState.EXIT_PENDING)


@dataclass(frozen=True, slots=True)
class Reconciled:
    book: GridBook
    #: fills that happened while the engine was away, applied now (durable engine)
    fills: int = 0
    #: recorded orders the exchange refused when they were re-sent
    rejected: int = 0


async def reconcile(
    port: ExchangePort, backend: Backend, config: StrategyConfig, book: GridBook | None
) -> Reconciled:
    """`book`: the engine's current one, or None on start (the backend's is loaded)."""
    prefix = strategy_prefix(config.name)
    info = await port.get_symbol_info(config.symbol)
    spec = GridSpec.create(config.grid, info)
    # The connector's prefix filter selects exactly this strategy's ids (gridops.order_ids).
    open_orders = await port.get_open_orders(config.symbol, prefix)
    fills = await port.get_fills(config.symbol, prefix=prefix)
    if backend.kind == "simple":
        return Reconciled(rebuild(prefix, spec, fills, open_orders))

    if book is None:
        loaded = await backend.load()
        book = GridBook.restore(prefix, spec, loaded.slots, loaded.fills)
    changed: dict[tuple[object, ...], Slot] = {}
    new_fills = [f for f in fills if f.trade_id not in book.applied]
    for fill in new_fills:
        slot = book.apply_fill(fill)
        if slot is not None:
            changed[slot.key] = slot
    if new_fills:
        await backend.save(slots=changed.values(), fills=new_fills)
        log.info("applied %d fills that happened while away", len(new_fills))

    for order in open_orders:
        book.apply_order(order)

    rejected = 0
    open_ids = {o.client_order_id for o in open_orders}
    for slot in list(book.slots.values()):
        if slot.state in OPEN and slot.order_id not in open_ids:
            try:
                book.apply_order(await port.get_order(client_order_id=slot.order_id))
            except errors.NotFound:
                book.mark_rejected(slot.order_id)
        elif slot.state in PENDING:
            try:
                book.apply_order(await port.get_order(client_order_id=slot.order_id))
            except errors.NotFound:
                log.info("re-sending %s: recorded, never reached the exchange", slot.order_id)
                try:
                    result = await port.place_order(pending_request(config, slot))
                except errors.Fenced:
                    raise
                except (errors.InvalidArgument, errors.FailedPrecondition) as refused:
                    # No longer placeable (balance, rules): drop it; plan() decides anew.
                    log.warning("%s refused on re-send: %s", slot.order_id, refused)
                    book.mark_rejected(slot.order_id)
                    rejected += 1
                    continue
                book.apply_order(result.order)
    await backend.save(slots=list(book.slots.values()))
    return Reconciled(book, fills=len(new_fills), rejected=rejected)
