"""A grid strategy's client order ids, `<prefix>-<level>-<B|S>-<n>`, and the prefix filter.

One grammar for every place that reads these ids: the engine (which slot is this order
of mine?), the connector (CancelAllOrders, GetOpenOrders, GetFills, SubscribeOrders with a
`client_order_id_prefix`) and the simulated exchange. A prefix filter matches a
strategy's ids exactly: the prefix, then exactly three fields. So `btc-grid` never
matches `btc-grid-2-5-B-1` (strategy `btc-grid-2`'s), which a plain `startswith` would.

- level: `0`, `7`, or `m7` for -7 ("-" separates the fields); canonical, so "05" or "m0"
  never name the same slot as "5" or "0";
- `B` or `S`: the slot's direction (long or short);
- n: 1, 2, ... the slot's order count, never reused.

Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

SEPARATOR = "-"
LETTERS = ("B", "S")
#: longest prefix the connector accepts in a filter (a client order id is at most 64)
MAX_PREFIX = 64
_LEVEL = re.compile(r"0|m?[1-9][0-9]*")
_SEQUENCE = re.compile(r"[1-9][0-9]*")
# Fields of letters, digits and ._:/ joined by single dashes; one trailing dash allowed
# (older clients send "name-").
_PREFIX = re.compile(r"[A-Za-z0-9._:/]+(?:-[A-Za-z0-9._:/]+)*-?")


#: longest client order id a strategy makes: Binance's limit (`newClientOrderId`), the
#: tightest of the venues ccxt serves
MAX_CLIENT_ORDER_ID = 36
#: longest prefix a strategy name gives its ids: with "-", a level of up to 8 digits and
#: its sign ("m12345678"), "-B-" and an order count of up to 7 digits, an id fits 36
MAX_STRATEGY_PREFIX = 16


def strategy_prefix(name: str) -> str:
    """The id prefix of a strategy: its name when that is short and clean, else a digest.

    A name that had to be changed (too long, odd characters) gets a hash suffix, so two
    different names never share a prefix. Shared: the engine names its orders with it,
    the operator cancels them with it when the strategy is deleted.
    """
    cleaned = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if cleaned == name and len(name) <= MAX_STRATEGY_PREFIX:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    head = cleaned[: MAX_STRATEGY_PREFIX - len(digest) - 1].rstrip("-")
    return f"{head}-{digest}" if head else digest


def writer_lease_name(name: str) -> str:
    """The Kubernetes Lease a strategy's market maker holds while it trades (its fencing
    token lives there). Shared: the engine takes it, the operator deletes it with the
    strategy. A prefix is lowercase letters, digits and dashes: a valid object name."""
    return f"gridops-writer-{strategy_prefix(name)}"


@dataclass(frozen=True, slots=True)
class IdFields:
    """What follows the prefix in a grid id."""

    level: int
    letter: str  # "B" or "S"
    n: int


def normalize_prefix(prefix: str | None) -> str:
    """The prefix without the one trailing "-" older clients add; "" for no filter."""
    if not prefix:
        return ""
    return prefix[:-1] if prefix.endswith(SEPARATOR) else prefix


def is_valid_prefix(prefix: str) -> bool:
    """True for "" (no filter) and for prefixes some grid id can have, "-"-ended or not."""
    return prefix == "" or (len(prefix) <= MAX_PREFIX and _PREFIX.fullmatch(prefix) is not None)


def level_text(level: int) -> str:
    return f"m{-level}" if level < 0 else str(level)


def format_id(prefix: str, level: int, letter: str, n: int) -> str:
    """The id of order `n` of the (level, letter) slot; the caller checks the prefix."""
    return SEPARATOR.join((prefix, level_text(level), letter, str(n)))


def split_id(client_order_id: str) -> tuple[str, IdFields] | None:
    """(prefix, fields) of a grid id; None when the id does not have the grid shape."""
    parts = client_order_id.rsplit(SEPARATOR, 3)
    if len(parts) != 4:
        return None
    prefix, level, letter, n = parts
    if not prefix or prefix.endswith(SEPARATOR):
        return None
    if letter not in LETTERS or not _LEVEL.fullmatch(level) or not _SEQUENCE.fullmatch(n):
        return None
    number = -int(level[1:]) if level.startswith("m") else int(level)
    return prefix, IdFields(number, letter, int(n))


def strategy_of(client_order_id: str) -> str | None:
    """The strategy prefix a grid id carries (`<prefix>-<level>-<B|S>-<n>`), else None."""
    split = split_id(client_order_id)
    return split[0] if split is not None else None


def parse_id(prefix: str, client_order_id: str) -> IdFields | None:
    """The fields of `client_order_id` when it is a grid id of exactly `prefix`, else None."""
    split = split_id(client_order_id)
    if split is None or split[0] != normalize_prefix(prefix):
        return None
    return split[1]


def matches(prefix: str | None, client_order_id: str) -> bool:
    """The prefix filter: True when `client_order_id` is one of `prefix`'s grid ids.

    An empty (or None) prefix matches every id; "name" and "name-" are the same filter.
    """
    wanted = normalize_prefix(prefix)
    if not wanted:
        return True
    if not client_order_id.startswith(wanted):  # the cheap test first
        return False
    split = split_id(client_order_id)
    return split is not None and split[0] == wanted
