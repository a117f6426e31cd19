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
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from gridops import errors

from .actions import pending_request
from .domain.book import GridBook, rebuild
from .domain.grid import GridSpec
from .domain.slots import Slot, SlotState

if TYPE_CHECKING:
    from .engine import Engine

log = logging.getLogger(__name__)

OPEN = (SlotState.ENTRY_OPEN, SlotState.EXIT_OPEN)
PENDING = (SlotState.ENTRY_PENDING, SlotState.EXIT_PENDING)


async def reconcile(engine: Engine) -> GridBook:
    client, config = engine.client, engine.config
    info = await client.get_symbol_info(config.symbol)
    spec = GridSpec.create(config.grid, info)
    # The connector's prefix filter selects exactly this strategy's ids (gridops.order_ids).
    open_orders = await client.get_open_orders(config.symbol, engine.prefix)
    fills = await client.get_fills(config.symbol, prefix=engine.prefix)
    if engine.backend.kind == "simple":
        return rebuild(engine.prefix, spec, fills, open_orders)

    book = engine.book
    if book is None:
        loaded = engine.backend.load()
        book = GridBook.restore(engine.prefix, spec, loaded.slots, loaded.fills)
    changed: dict[tuple[object, ...], Slot] = {}
    new_fills = [f for f in fills if f.trade_id not in book.applied]
    for fill in new_fills:
        slot = book.apply_fill(fill)
        if slot is not None:
            changed[slot.key] = slot
    if new_fills:
        engine.backend.save(slots=changed.values(), fills=new_fills)
        engine.metrics.fills.inc(len(new_fills))
        log.info("applied %d fills that happened while away", len(new_fills))

    for order in open_orders:
        book.apply_order(order)

    open_ids = {o.client_order_id for o in open_orders}
    for slot in list(book.slots.values()):
        if slot.state in OPEN and slot.order_id not in open_ids:
            try:
                book.apply_order(await client.get_order(client_order_id=slot.order_id))
            except errors.NotFound:
                book.mark_rejected(slot.order_id)
        elif slot.state in PENDING:
            try:
                book.apply_order(await client.get_order(client_order_id=slot.order_id))
            except errors.NotFound:
                log.info("re-sending %s: recorded, never reached the exchange", slot.order_id)
                try:
                    result = await client.place_order(pending_request(engine, slot))
                except (errors.InvalidArgument, errors.FailedPrecondition) as refused:
                    # No longer placeable (balance, rules): drop it; plan() decides anew.
                    log.warning("%s refused on re-send: %s", slot.order_id, refused)
                    book.mark_rejected(slot.order_id)
                    engine.metrics.rejected.inc()
                    continue
                book.apply_order(result.order)
    engine.backend.save(slots=list(book.slots.values()))
    return book
