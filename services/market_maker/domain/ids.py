"""Deterministic client order ids: `<prefix>-<level>-<B|S>-<n>`.

The id alone names the slot an order belongs to, so a restarted engine maps every open
order on the exchange back to its slot, and re-sending a recorded decision re-sends the
same id (the connector's idempotent PlaceOrder then never places it twice). `n` grows
per slot and is never reused, so one id always means one order.
"""

from __future__ import annotations

import hashlib
import re

from gridops.errors import InvalidArgument

from .slots import Direction

MAX_PREFIX = 24
MAX_ID = 64
_PREFIX_OK = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Canonical numbers only ("5", not "05" or "m0"): one slot, one spelling, so two ids
# can never name the same order.
_LEVEL = re.compile(r"0|m?[1-9][0-9]*")
_SEQUENCE = re.compile(r"[1-9][0-9]*")


def strategy_prefix(name: str) -> str:
    """The id prefix of a strategy: its name when that is short and clean, else a digest.

    A name that had to be changed (too long, odd characters) gets a hash suffix, so two
    different names never share a prefix.
    """
    cleaned = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if cleaned == name and len(name) <= MAX_PREFIX:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    head = cleaned[: MAX_PREFIX - len(digest) - 1].rstrip("-")
    return f"{head}-{digest}" if head else digest


def _level_text(level: int) -> str:
    # "-" separates the fields, so a negative level is spelled m<abs>.
    return f"m{-level}" if level < 0 else str(level)


def client_order_id(prefix: str, level: int, direction: Direction, n: int) -> str:
    if not _PREFIX_OK.fullmatch(prefix):
        raise InvalidArgument(f"client order id: bad prefix {prefix!r}")
    if n < 1:
        raise InvalidArgument(f"client order id: sequence must be >= 1, got {n}")
    cid = f"{prefix}-{_level_text(level)}-{direction.value}-{n}"
    if len(cid) > MAX_ID:
        raise InvalidArgument(f"client order id {cid!r} is longer than {MAX_ID} characters")
    return cid


def parse_client_order_id(prefix: str, cid: str) -> tuple[int, Direction, int] | None:
    """(level, direction, n) of one of our ids; None for anything else.

    Exactly three fields must follow the prefix, so the ids of a strategy whose prefix
    merely starts with ours ("btc-2-…" against "btc") never parse as ours.
    """
    if not cid.startswith(prefix + "-"):
        return None
    parts = cid[len(prefix) + 1 :].split("-")
    if len(parts) != 3:
        return None
    level_text, direction_text, n_text = parts
    if not _LEVEL.fullmatch(level_text) or not _SEQUENCE.fullmatch(n_text):
        return None
    try:
        direction = Direction(direction_text)
    except ValueError:
        return None
    level = -int(level_text[1:]) if level_text.startswith("m") else int(level_text)
    return level, direction, int(n_text)
