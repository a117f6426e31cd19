"""Fan-out of upstream exchange events to any number of stream subscribers.

Each event is serialized ONCE into the bytes of its stream message (with the session
id); a subscriber receives those same bytes with only its own `sequence` field
appended. Protobuf parsers merge concatenated encodings, so `body + sequence` is a
valid message, and the per-subscriber cost is a few bytes, not a serialization.

Slow subscribers:
- snapshot streams (account, positions, prices) COALESCE: a subscriber keeps only the
  latest pending value per key (the symbol), so it falls behind in time, never in
  memory; the skipped values show as a sequence gap and need no resync;
- order streams are STRICT: events are never dropped silently. A subscriber whose
  backlog passes `max_pending` is ended with RESOURCE_EXHAUSTED and must resync.

Batches (SubscribeOrderBatches): each gRPC stream message costs grpc.aio tens of
microseconds of server CPU whatever its size, so a subscriber with a backlog takes all
of it (up to a limit) as ONE `OrderUpdateBatch`. That message is built from the same
bytes, not re-serialized: `repeated OrderUpdate updates = 1` is on the wire just each
update as a length-delimited field 1, one after the other.
"""

from __future__ import annotations

import asyncio
import enum
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from gridops import errors


class Topic(enum.StrEnum):
    ACCOUNT = "account"
    POSITIONS = "positions"
    ORDERS = "orders"
    PRICES = "prices"


COALESCED = frozenset({Topic.ACCOUNT, Topic.POSITIONS, Topic.PRICES})

# Field 15 (sequence), wire type 0 (varint): the tag byte is 15 << 3.
_SEQUENCE_TAG = 15 << 3
# Field 1 (OrderUpdateBatch.updates), wire type 2 (length-delimited): 1 << 3 | 2.
_BATCH_ITEM_TAG = 1 << 3 | 2

#: SubscribeOrderBatches: updates per batch when the request leaves max_batch at 0
DEFAULT_MAX_BATCH = 256
#: the largest max_batch a request may ask for
MAX_BATCH = 4096
#: a batch stops growing once it holds this many bytes (plus at most one update), far
#: below gRPC's 4 MiB default receive limit whatever the updates weigh
MAX_BATCH_BYTES = 1 << 20


def _tagged_varint(tag: int, value: int) -> bytes:
    # Sequences and update lengths are almost always below 2**14: one or two bytes, made
    # without a loop, since this runs once per update per subscriber.
    if value < 0x80:
        return bytes((tag, value))
    if value < 0x4000:
        return bytes((tag, value & 0x7F | 0x80, value >> 7))
    out = bytearray((tag,))
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def encode_sequence(sequence: int) -> bytes:
    """The protobuf encoding of `sequence = <n>` (field 15, a varint)."""
    return _tagged_varint(_SEQUENCE_TAG, sequence)


def batch_item_header(length: int) -> bytes:
    """What precedes an encoded update of `length` bytes inside an OrderUpdateBatch."""
    return _tagged_varint(_BATCH_ITEM_TAG, length)


@dataclass(frozen=True, slots=True)
class Broadcast:
    """One upstream event, serialized once, with what subscribers filter on."""

    topic: Topic
    body: bytes
    symbol: str = ""
    client_order_id: str = ""


Filter = Callable[[Broadcast], bool]


def match_all(_: Broadcast) -> bool:
    return True


class Subscriber:
    """One open stream: a bounded backlog and its own sequence counter."""

    __slots__ = (
        "_closed",
        "_error",
        "_pending",
        "_ready",
        "_sequence",
        "accepts",
        "coalesced",
        "max_pending",
        "topic",
    )

    def __init__(self, topic: Topic, accepts: Filter, max_pending: int) -> None:
        self.topic = topic
        self.accepts = accepts
        self.coalesced = topic in COALESCED
        self.max_pending = max_pending
        self._pending: deque[bytes] | OrderedDict[str, bytes] = (
            OrderedDict() if self.coalesced else deque()
        )
        self._ready = asyncio.Event()
        self._sequence = 0
        self._closed = False
        self._error: errors.GridopsError | None = None

    @property
    def overflowed(self) -> bool:
        return isinstance(self._error, errors.ResourceExhausted)

    @property
    def backlog(self) -> int:
        return len(self._pending)

    def offer(self, item: Broadcast) -> int:
        """Queue an event; return how many pending values it replaced (coalesced)."""
        if self._closed:
            return 0
        replaced = 0
        if isinstance(self._pending, OrderedDict):
            replaced = 1 if self._pending.pop(item.symbol, None) is not None else 0
            self._pending[item.symbol] = item.body
        else:
            if len(self._pending) >= self.max_pending:
                self.close(
                    errors.ResourceExhausted(
                        f"subscriber fell {len(self._pending)} events behind on the "
                        f"{self.topic} stream and was ended: resubscribe and resync"
                    )
                )
                return 0
            self._pending.append(item.body)
        self._ready.set()
        return replaced

    def close(self, error: errors.GridopsError) -> None:
        """End the stream with `error` once what is already pending has been sent.

        A STRICT overflow ends it at once: its backlog is what it could not take.
        """
        if self._closed:
            return
        self._closed = True
        self._error = error
        if isinstance(error, errors.ResourceExhausted):
            self._pending.clear()
        self._ready.set()

    def stamp(self, body: bytes) -> bytes:
        """The wire bytes for `body` as this subscriber's next message."""
        self._sequence += 1
        return body + encode_sequence(self._sequence)

    async def next_batch(self, limit: int) -> tuple[bytes, int]:
        """Everything pending, up to `limit` updates, as one batch message; and the count.

        Waits while nothing is pending, so with no backlog a batch is a single update and
        leaves as soon as it came. Raises the close error when ended, like `next`.
        """
        if limit < 1:
            raise ValueError(f"a batch holds at least one update, not {limit}")
        pending = self._pending
        if not isinstance(pending, deque):
            # Snapshot streams coalesce instead: their backlog is one value per symbol.
            raise TypeError(f"the {self.topic} stream is coalesced, not batched")
        await self._wait_for_pending()
        parts: list[bytes] = []
        append = parts.append
        sequence = self._sequence
        size = 0
        count = 0
        while pending and count < limit and size < MAX_BATCH_BYTES:
            body = pending.popleft()
            sequence += 1
            stamp = encode_sequence(sequence)
            length = len(body) + len(stamp)
            append(batch_item_header(length))
            append(body)
            append(stamp)
            size += length
            count += 1
        self._sequence = sequence
        return b"".join(parts), count

    async def next(self) -> bytes:
        """The next message for this subscriber; raises the close error when ended."""
        await self._wait_for_pending()
        if isinstance(self._pending, OrderedDict):
            _, body = self._pending.popitem(last=False)
        else:
            body = self._pending.popleft()
        return self.stamp(body)

    async def _wait_for_pending(self) -> None:
        """Until something is pending; raises the close error once ended and drained."""
        while not self._pending:
            if self._closed:
                assert self._error is not None
                raise self._error
            self._ready.clear()
            await self._ready.wait()


class Hub:
    """Topic → subscribers; publish serializes nothing, it only routes bytes."""

    def __init__(self, max_pending: int = 10_000) -> None:
        self.max_pending = max_pending
        self._subscribers: dict[Topic, set[Subscriber]] = {topic: set() for topic in Topic}
        self._closed_with: errors.GridopsError | None = None
        #: values skipped by coalescing, per topic (a metric)
        self.coalesced: dict[Topic, int] = dict.fromkeys(Topic, 0)
        #: subscribers ended for falling behind, per topic (a metric)
        self.overflows: dict[Topic, int] = dict.fromkeys(Topic, 0)

    def subscribe(self, topic: Topic, accepts: Filter = match_all) -> Subscriber:
        if self._closed_with is not None:
            raise self._closed_with
        subscriber = Subscriber(topic, accepts, self.max_pending)
        self._subscribers[topic].add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers[subscriber.topic].discard(subscriber)

    def count(self, topic: Topic | None = None) -> int:
        if topic is not None:
            return len(self._subscribers[topic])
        return sum(len(subs) for subs in self._subscribers.values())

    def publish(self, item: Broadcast) -> None:
        topic = item.topic
        for subscriber in tuple(self._subscribers[topic]):
            if subscriber.accepts(item):
                self.coalesced[topic] += subscriber.offer(item)
                if subscriber.overflowed:
                    self.overflows[topic] += 1
                    self._subscribers[topic].discard(subscriber)

    def end_topic(self, topic: Topic, error: errors.GridopsError) -> None:
        """End every subscriber of `topic` (e.g. order streams after upstream loss)."""
        for subscriber in tuple(self._subscribers[topic]):
            subscriber.close(error)

    def close(self, error: errors.GridopsError) -> None:
        """End every stream and refuse new ones (shutdown)."""
        self._closed_with = error
        for topic in Topic:
            self.end_topic(topic, error)
