"""Mailbox: the engine loop's FIFO."""

from __future__ import annotations

import asyncio

import pytest

from gridops.market_maker.mailbox import Mailbox


async def test_items_come_out_in_order() -> None:
    box: Mailbox[int] = Mailbox()
    for n in range(3):
        box.put(n)
    assert len(box) == 3
    assert [await box.get() for _ in range(3)] == [0, 1, 2]
    assert box.empty()


async def test_a_waiting_get_wakes_on_put() -> None:
    box: Mailbox[str] = Mailbox()
    getter = asyncio.create_task(box.get())
    await asyncio.sleep(0)  # let it start waiting
    assert not getter.done()
    box.put("x")
    assert await asyncio.wait_for(getter, 1) == "x"


async def test_a_cancelled_get_leaves_the_mailbox_usable() -> None:
    box: Mailbox[int] = Mailbox()
    getter = asyncio.create_task(box.get())
    await asyncio.sleep(0)
    getter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await getter
    box.put(7)
    assert await asyncio.wait_for(box.get(), 1) == 7


async def test_a_second_waiter_is_a_bug() -> None:
    box: Mailbox[int] = Mailbox()
    first = asyncio.create_task(box.get())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="already waiting"):
        await box.get()
    box.put(1)
    assert await asyncio.wait_for(first, 1) == 1
